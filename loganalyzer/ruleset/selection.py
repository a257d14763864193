"""Rule selection: ``--select`` and ``--ignore``, as ruff reads them.

Each selector is a rule id (``MTLS-020``), an id prefix (``MTLS-0`` is every log rule 001-099,
``MTLS-1`` every one 100-199), a root cause (``auth-user-null``: every rule that names it), or
``ALL``. Ids are matched case-insensitively. A rule runs when ``--select`` is not given or one of
its selectors matches, and no selector of ``--ignore`` does: ``--ignore`` wins. Selection works
on the rules that read logs (scopes ``handshake`` and ``agent``); the others are left as loaded.

The rule set is filtered before anything is evaluated, so a rule left out never fires and never
silences another: a rule that ``yields_to`` an ignored rule speaks for itself again, exactly as
if the ignored rule had not been written.

A selector that matches no log rule is a usage error (:class:`SelectionError`, exit 2), as an
unknown code is in ruff: a typo never passes for "nothing found".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loganalyzer.analysis.selection import SelectionError
from loganalyzer.ruleset.rules import Rule, RuleSet

LOG_SCOPES = frozenset({"handshake", "agent"})


@dataclass(frozen=True, slots=True)
class Selection:
    """The selectors of ``--select`` and ``--ignore``, split and trimmed.

    Plain, hashable, picklable data: a batch task carries it to its worker.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @classmethod
    def of(cls, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Selection | None:
        """The selection of the options (comma-separated, repeatable); None when none is given."""
        chosen, left_out = _split(select), _split(ignore)
        if not chosen and not left_out:
            return None
        return cls(chosen, left_out)

    def apply(self, rules: RuleSet) -> RuleSet:
        """``rules`` with only the selected log rules; unknown selectors raise SelectionError."""
        logs = [r for r in rules if r.scope in LOG_SCOPES]
        for option, selectors in (("--select", self.select), ("--ignore", self.ignore)):
            for selector in selectors:
                if not any(_matches(r, selector) for r in logs):
                    raise SelectionError(_unknown(option, selector, rules))
        kept = tuple(r for r in rules if r.scope not in LOG_SCOPES or self.runs(r))
        return RuleSet(kept, rules.directory, rules.errors)

    def runs(self, rule: Rule) -> bool:
        """Whether ``rule`` is selected and not ignored."""
        selected = not self.select or any(_matches(rule, s) for s in self.select)
        return selected and not any(_matches(rule, s) for s in self.ignore)

    def describe(self, rules: RuleSet) -> dict[str, Any]:
        """The selection as the report states it, against the rules before selection.

        ``rules``: the ids of the log rules that ran; ``of``: how many log rules were loaded.
        """
        logs = [r for r in rules if r.scope in LOG_SCOPES]
        return {"select": list(self.select), "ignore": list(self.ignore),
                "rules": [r.id for r in logs if self.runs(r)], "of": len(logs)}


def _split(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _matches(rule: Rule, selector: str) -> bool:
    if selector.upper() == "ALL":
        return True
    return rule.id.startswith(selector.upper()) or rule.root_cause == selector.lower()


def _unknown(option: str, selector: str, rules: RuleSet) -> str:
    others = sorted({r.scope for r in rules if _matches(r, selector)})
    if others:
        return (f"{option}: {selector!r} names no rule that reads logs, only {', '.join(others)} "
                "rules; see 'loganalyzer rules list'")
    return (f"{option}: {selector!r} is no rule id, id prefix or root cause of the rules loaded; "
            "see 'loganalyzer rules list'")
