"""What a person sees in an 80-column terminal: tmux captures of the commands, as snapshots.

Each command runs in a detached tmux session of 80x50 cells on a private socket, so it writes to
a real terminal (colour, the terminal's width, stderr a terminal too) as when a person types it;
``tmux capture-pane`` then reads the whole pane, scrollback included, as plain text. The
captures live in ``tests/snapshots/tmux/``; after a deliberate change to the output, rewrite them
and review the diff:

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_tmux.py

Skipped where tmux is not installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from snapshot_files import check_snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "snapshots" / "tmux"
WIDTH, HEIGHT = 80, 50
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def capture(args: list[str], cwd: Path, tmp_path: Path, timeout: float = 240) -> tuple[int, str]:
    """Run ``loganalyzer ARGS`` in a fresh 80x50 tmux pane; its exit code and the whole pane."""
    assert TMUX is not None
    socket = tmp_path / "tmux.sock"
    done = tmp_path / "exit-code"
    # COLUMNS and LINES would override the terminal's size; the pane stays open after the
    # command (sleep) so that it can be read, and the server is ended below
    command = (f"env -u COLUMNS -u LINES -u NO_COLOR -u FORCE_COLOR LOGANALYZER_PROGRESS=never "
               f"{shlex.quote(sys.executable)} -m loganalyzer {shlex.join(args)}; "
               f"echo $? > {shlex.quote(str(done))}; exec sleep {int(timeout)}")
    tmux = [TMUX, "-S", str(socket), "-f", "/dev/null"]
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", str(HEIGHT),
                    "-c", str(cwd), "sh", "-c", command], check=True, env=env, timeout=30)
    try:
        subprocess.run([*tmux, "set-option", "-t", "t", "history-limit", "10000"], env=env,
                       check=False, timeout=30)
        deadline = time.monotonic() + timeout
        while not done.exists() or not done.read_text().strip():
            assert time.monotonic() < deadline, f"loganalyzer {shlex.join(args)} did not end"
            time.sleep(0.1)
        pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", "t", "-S", "-", "-E", "-"],
                              capture_output=True, text=True, check=True, env=env, timeout=30)
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, check=False, timeout=30,
                       capture_output=True)
    return int(done.read_text()), pane.stdout.rstrip("\n") + "\n"


def _check_snapshot(name: str, got: str) -> None:
    check_snapshot(SNAPSHOTS / name, got)


def readable(text: str) -> None:
    """What every capture must be: 80 columns, no padding, no id cut short."""
    lines = text.splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert not re.search(r"MTLS-(?!\d{3}\b)", text), "a rule id is cut"


def test_analyze_two_mid_servers(tmp_path: Path) -> None:
    """A differential shares its evidence, the side effect points to it, a summary frames it."""
    code, screen = capture(["analyze", "sample_logs/jdk17-tls12-no-private-key-m",
                            "sample_logs/jdk25-tls13-ca-mismatch-ptm"], ROOT, tmp_path)
    assert code == 1
    readable(screen)
    lines = screen.splitlines()
    assert "2 MID Servers in sample_logs/" in lines[:4]  # after the line of what was read
    assert lines[-1] == "2 MID Servers: 2 error · 2 of 2 TLS handshakes failed"
    assert screen.count("wrapper.log:263  Fatal (HANDSHAKE_FAILURE)") == 1  # evidence once
    assert "A side effect: see diagnoses 1–3, the possible causes." in screen
    _check_snapshot("analyze.txt", screen)


def test_rules_list(tmp_path: Path) -> None:
    code, screen = capture(["rules", "list"], ROOT, tmp_path)
    assert code == 0
    readable(screen)
    from loganalyzer.ruleset.rules import load_rules

    ids = re.findall(r"^(MTLS-\d{3})  ", screen, re.M)
    assert ids == [r.id for r in load_rules()]
    assert "encryption-keys-mismatch-misleading" in screen  # the longest root cause, whole
    _check_snapshot("rules-list.txt", screen)


def test_scan(tmp_path: Path) -> None:
    """Paths too long for the line lose their left end; the rest of each row stays whole."""
    cases = tmp_path / "work"
    deep = cases / "uploads" / ("customer-with-a-rather-long-folder-name-" * 2) / "case-2026-11"
    for sample, mid in (("jdk17-tls12-no-private-key-m", "mid-server-01"),
                        ("jdk25-tls13-ca-mismatch-ptm", "mid-server-02")):
        shutil.copytree(ROOT / "sample_logs" / sample, deep / mid)
    code, screen = capture(["scan", "uploads", "-q", "-j", "1"], cases, tmp_path)
    assert code == 0
    readable(screen)
    headings = [line for line in screen.splitlines() if line.startswith("…")]
    assert [h[-13:] for h in headings] == ["mid-server-01", "mid-server-02"]
    assert all(len(h) == WIDTH for h in headings)
    _check_snapshot("scan.txt", screen)


def test_self_check(tmp_path: Path) -> None:
    code, screen = capture(["self-check", "--config", "tests/fixtures/config/check-cert-off.xml",
                            "--logs", "sample_logs/jdk21-tls12-ca-mismatch-tm"], ROOT, tmp_path)
    assert code == 1
    readable(screen)
    # a config parameter too long for the label column gets a line of its own, whole
    assert "\nmid.ssl.bootstrap.default.check_cert_revocation\n" in screen
    _check_snapshot("self-check.txt", screen)
