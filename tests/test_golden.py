"""Golden test per sample log: a grammar or grouping change that loses a record fails here.

The golden files are written by ``python tools/regen_golden.py``; review their diff when a
change is meant to alter what is parsed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "tools" / "regen_golden.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

FOLDERS = sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_parse_matches_golden(folder: Path) -> None:
    target = ROOT / "tests" / "golden" / f"{folder.name}.json"
    assert target.exists(), f"no golden file for {folder.name}: run tools/regen_golden.py"
    assert regen.golden(folder) == json.loads(target.read_text())


def test_no_orphan_golden_files() -> None:
    names = {f.name for f in FOLDERS}
    orphans = [p.name for p in (ROOT / "tests" / "golden").glob("*.json") if p.stem not in names]
    assert orphans == []
