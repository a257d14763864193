"""Running the real CLI entry point in process, as the tests of several files do."""

from __future__ import annotations

import sys

import pytest

from loganalyzer.cli.app import main
from loganalyzer.errors import DEBUG_ENV


def run_cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run ``loganalyzer ARGS`` through ``main()``; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["loganalyzer", *args])
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    return done.value.code, out, err
