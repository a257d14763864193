"""The shipped rules load from a cache in the user's cache folder, keyed by the files' hashes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from loganalyzer.ruleset import rules as rules_mod


def _load(cache: Path) -> str:
    """Load the shipped rules in a fresh process with ``cache`` as the cache folder."""
    code = ("from loganalyzer.ruleset.rules import load_rules; rs = load_rules(); "
            "print(len(rs.rules), sum(r.compiled is not None for r in rs.rules))")
    env = {"LOGANALYZER_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    return done.stdout.strip()


def test_cached_rules_equal_loaded_rules(tmp_path: Path) -> None:
    first = _load(tmp_path)  # loads the files and writes the cache
    assert list((tmp_path / "rules").glob("*.pickle"))
    assert _load(tmp_path) == first  # read from the cache, conditions compiled again
    fresh = rules_mod._load_folder(rules_mod._resolve(None))
    assert first == f"{len(fresh.rules)} {sum(r.compiled is not None for r in fresh.rules)}"


def test_a_stale_or_broken_cache_is_not_used(tmp_path: Path) -> None:
    _load(tmp_path)
    cached = next((tmp_path / "rules").glob("*.pickle"))
    cached.write_bytes(b"not a pickle")
    assert _load(tmp_path).split()[0] == str(len(rules_mod.load_rules().rules))
    directory = rules_mod._resolve(None)
    assert rules_mod._from_disk(directory, "another key") is None


def test_an_unwritable_cache_folder_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    assert _load(blocker).split()[0] == str(len(rules_mod.load_rules().rules))


def test_cached_rules_explain_as_loaded_rules(tmp_path: Path, monkeypatch) -> None:
    """The cache keeps no compiled ``explain`` pattern; each compiles when first searched."""
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(tmp_path))
    directory = rules_mod._resolve(None)
    fresh = rules_mod._load_folder(directory)
    key = "a key"
    rules_mod._to_disk(directory, key, fresh)
    cached = rules_mod._from_disk(directory, key)
    assert cached is not None and [r.id for r in cached] == [r.id for r in fresh]
    texts = [text for r in fresh for text in r.explain]
    assert len(texts) > 20
    for text in [*texts, "UNABLE TO VALIDATE the certificate from ca", "nothing to match"]:
        assert ([r.id for r in rules_mod.match_text(cached, text)]
                == [r.id for r in rules_mod.match_text(fresh, text)])
