"""The wheel carries grammars/ and rules/ and works away from the checkout.

The wheel is built here without its dependencies and unpacked into a folder that is put first
on the import path of a subprocess started in an unrelated directory; the test checks that
the package imported is the unpacked one, so the checkout's data folders cannot be used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm"


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    [wheel] = out.glob("loganalyzer-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_wheel_holds_the_data_folders(unpacked_wheel: Path) -> None:
    data = unpacked_wheel / "loganalyzer" / "_data"
    assert (data / "grammars" / "jsse_unified.lark").is_file()
    assert (data / "grammars" / "jsse_legacy.lark").is_file()
    assert len(list((data / "rules").rglob("MTLS-*.yaml"))) == len(list((ROOT / "rules").rglob("MTLS-*.yaml")))


def test_installed_tool_works_from_another_directory(unpacked_wheel: Path, tmp_path: Path) -> None:
    where = _run(unpacked_wheel, tmp_path, "-c", "import loganalyzer; print(loganalyzer.__file__)")
    assert where.stdout.strip().startswith(str(unpacked_wheel)), where.stdout + where.stderr
    check = _run(unpacked_wheel, tmp_path, "-m", "loganalyzer", "rules", "check")
    assert check.returncode == 0, check.stderr
    assert "_data" in check.stdout
    result = _run(unpacked_wheel, tmp_path, "-m", "loganalyzer", "analyze", "--format", "json", str(SAMPLE))
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["diagnoses"][0]["root_cause"] == "ca-chain-incomplete"
