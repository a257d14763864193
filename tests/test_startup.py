"""Start-up imports only what a command uses, and the shortcuts it takes change no result.

No timing here (the figure is benchmarks/run.py's): what is imported, and what the values the
command line converts without pydantic come out as, compared with typer's own conversion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._click.exceptions import ClickException
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from loganalyzer.cli import commands  # noqa: F401  (registers every command)
from loganalyzer.cli.app import app, plain_help
from loganalyzer.cli.coercion import DirectParam

ROOT = Path(__file__).resolve().parent.parent
SMALL_LOG = ROOT / "sample_logs" / "jdk17-tls12-success-lptm"  # benchmarks/run.py's start-up


def _imported(cache: Path, *args: str) -> set[str]:
    """The modules a fresh ``loganalyzer ARGS`` process has imported when it ends.

    It runs twice with ``cache`` as the cache folder: the first run fills it (loading the rule
    files imports what a cached rule set does not need), the second is the one measured.
    """
    code = ("import sys, runpy\n"
            "sys.argv = ['loganalyzer', *sys.argv[1:]]\n"
            "try:\n"
            "    runpy.run_module('loganalyzer', run_name='__main__')\n"
            "finally:\n"
            "    sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n")
    env = {**os.environ, "LOGANALYZER_PROGRESS": "never", "LOGANALYZER_CACHE_DIR": str(cache)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, env=env, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    listed = done.stderr.rsplit("MODULES ", 1)[-1].split()
    assert "loganalyzer.analysis.diagnoses" in listed  # the list is real
    return set(listed)


def test_analyze_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    imported = _imported(tmp_path, "analyze", str(SMALL_LOG), "-f", "json")
    # rule_engine: the cached rules match with their conditions translated to Python
    unused = ("pydantic", "pandas", "pyarrow", "dask", "distributed", "cryptography", "OpenSSL",
              "jks", "pyasn1", "requests", "yaml", "rule_engine")
    assert not sorted(m for m in imported if m.split(".")[0] in unused)
    assert "importlib.metadata" not in imported  # with the e-mail parser it reads versions with
    assert "loganalyzer.analysis.setup_facts" not in imported  # only self-check judges a set-up


def test_the_rules_name_the_scopes_of_the_setup_facts() -> None:
    """The rule loader names them itself, so that judging logs never imports the set-up facts."""
    from loganalyzer.analysis.setup_facts import SETUP_FACT_CLASSES
    from loganalyzer.ruleset.rules import SETUP_SCOPES, fact_class

    assert SETUP_SCOPES == tuple(SETUP_FACT_CLASSES)
    assert all(fact_class(scope) is SETUP_FACT_CLASSES[scope] for scope in SETUP_SCOPES)


# ---------------------------------------------------------------------------------------------
# cli/coercion.py: the values converted directly come out as typer's adapters make them


def _params() -> list[tuple[str, _TyperParameter, Context]]:
    plain_help(app)
    found: list[tuple[str, _TyperParameter, Context]] = []

    def walk(command: Any, path: str) -> None:
        ctx = Context(command, info_name=path)
        found.extend((f"{path} {p.name}", p, ctx) for p in command.params
                     if isinstance(p, _TyperParameter))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "loganalyzer")
    return found


def _values(tmp: Path) -> list[Any]:
    folder, file = tmp / "folder", tmp / "file.txt"
    folder.mkdir(exist_ok=True)
    file.write_text("x")
    texts = ["", "x", "text", "JSON", "json", "Warning", "never", "info", "5", "-3", "+4", "007",
             "0", "1.5", ".5", "5.", "1e3", " 5", "1_0", "inf", "0.05", "99999999999999999999",
             "rules/", "./a", "a//b", "-", "/", str(folder), str(folder) + "/", str(file),
             str(file) + "/", str(tmp / "missing" / "file")]
    natives: list[Any] = [True, False, 0, 3, 2.5, Path("a"), folder, file]
    lists: list[Any] = [(), ("a", "b"), ("json",), (str(file), str(folder)), ("5", "x"), ["a"]]
    return texts + natives + lists


def _outcome(convert: Any) -> tuple[str, Any]:
    try:
        value = convert()
    except ClickException as exc:
        return "error", (type(exc).__name__, exc.format_message())
    return "value", (type(value), [type(v) for v in value] if isinstance(value, list) else None,
                     value)


def test_plain_values_convert_as_typer_converts_them(tmp_path: Path) -> None:
    differ = []
    params = _params()
    assert len(params) > 40  # every command's parameters
    for where, param, ctx in params:
        if param.type_descriptor.file_annotation is not None:
            continue  # typer opens files itself
        direct = DirectParam(parameter_info=param.type_descriptor.parameter_info,
                             annotation=param.type_descriptor.annotation)
        typers = build_runtime_param(param.type_descriptor)
        for value in [param.default, *_values(tmp_path)]:
            ours = _outcome(lambda: direct.coerce(value, param=param, ctx=ctx))
            theirs = _outcome(lambda: typers.coerce(value, param=param, ctx=ctx))
            if ours != theirs:
                differ.append(f"{where} {value!r}: {ours} != {theirs}")
    assert not differ, "\n".join(differ[:20])


def test_a_refused_value_is_worded_by_typer(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_helpers import run_cli

    code, _, err = run_cli(capsys, monkeypatch, "analyze", str(SMALL_LOG), "-f", "yaml")
    assert code == 2
    assert "'yaml' is not one of 'text', 'json', 'markdown', 'html'" in err


def test_a_progress_bar_off_a_terminal_does_not_import_rich() -> None:
    """Asking whether stderr is a terminal costs no rich import; forced colour still draws."""
    code = ("import sys\n"
            "from loganalyzer.cli.output import ByteProgress\n"
            "bar = ByteProgress([], False)\n"
            "started = bar._start()\n"
            "if started is not None:\n"
            "    started[0].stop()  # before printing: the bar takes stdout while it runs\n"
            "print(started is None, 'rich.console' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                           timeout=60)
    assert plain.stdout.split() == ["True", "False"], plain.stderr
    forced = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**env, "FORCE_COLOR": "1"}, timeout=60)
    assert forced.stdout.split() == ["False", "True"], forced.stderr
