"""Every ``loganalyzer`` command the README shows runs, as written, against local stand-ins.

The commands are read from the README's ``sh`` blocks, so an example can never again fail with
"No such option". Each placeholder is replaced by something real of the same kind: a sample
log for ``wrapper.log``, a zip or tar.gz built from sample folders for ``case.zip``, a PKI made
with the openssl CLI for ``bundle.pem``, an ``openssl s_server`` on 127.0.0.1 for the instance,
a local Dask cluster for the scheduler. A command passes when it is not a usage error: exit 0,
1 (findings) or 3 (nothing to judge), and never a traceback.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE = ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm"
OTHER = ROOT / "sample_logs" / "jdk25-tls13-success-tm"
CERTS = ROOT / "sample_logs" / "jdk17-tls13-ca-mismatch-lputm" / "mid-certificates.pem"


def readme_commands() -> list[str]:
    """The ``loganalyzer`` commands of the README's sh blocks, one per line as a user types it."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if "loganalyzer " not in line or line.startswith(("python3 -m venv", "pip ")):
                continue
            # "rules list | rules show MTLS-020 | rules check" lists three sub-commands
            if line.startswith("loganalyzer rules list |"):
                out += [f"loganalyzer rules {part.strip().removeprefix('rules ')}"
                        for part in line.removeprefix("loganalyzer rules ").split("|")]
                continue
            out.append(line)
    return out


COMMANDS = readme_commands()


def test_the_readme_shows_the_commands_it_should() -> None:
    verbs = {shlex.split(c.split("| ")[-1])[1] for c in COMMANDS}
    assert {"analyze", "parse", "explain", "rules", "scan", "self-check", "certs", "config",
            "probe"} <= verbs


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    """The files, folders, archives and servers the README's placeholders stand for."""
    base = tmp_path_factory.mktemp("readme")
    logs = base / "agent" / "logs"
    shutil.copytree(SAMPLE, logs)
    shutil.copy2(SAMPLE / "wrapper.log", base / "wrapper.log")
    with zipfile.ZipFile(base / "case.zip", "w") as z:
        for f in SAMPLE.iterdir():
            z.write(f, f"mid1/{f.name}")
    cases = base / "cases"
    shutil.copytree(SAMPLE, cases / "2026" / "mid1")
    shutil.copytree(OTHER, cases / "mid2")
    (base / "uploads").mkdir()
    shutil.copy2(base / "case.zip", base / "uploads" / "a.zip")
    with tarfile.open(base / "case-123.tar.gz", "w:gz") as t:
        t.add(OTHER, arcname="mid2")
    shutil.copy2(CERTS, base / "mid.pem")  # a MID Server's certificates, as a case brings them
    pki = _pki(base)
    (base / "agent" / "config.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<parameters>\n'
        '<parameter name="url" value="https://acme-lab.service-now.com/"/>\n'
        '<parameter name="name" value="mid-lab-01"/>\n</parameters>\n', encoding="utf-8")
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(pki / "server.pem"),
         "-key", str(pki / "server.key"), "-Verify", "1", "-CAfile", str(pki / "ca.pem"),
         "-www", "-quiet"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=base)
    port = _accept_port(server)
    yield {"base": base, "port": port}
    server.kill()
    server.wait()


def _pki(base: Path) -> Path:
    pki = base / "pki"
    pki.mkdir()

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=pki)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=README Test Root CA", "-days", "30")
    for name, eku in (("server", "serverAuth"), ("client", "clientAuth")):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN=readme-{name}")
        (pki / f"{name}.ext").write_text(f"extendedKeyUsage={eku}\nsubjectAltName=DNS:localhost\n")
        ssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "30", "-extfile", f"{name}.ext")
    bundle = "".join((pki / n).read_text() for n in ("client.key", "client.pem", "ca.pem"))
    (base / "bundle.pem").write_text(bundle)
    return pki


def _accept_port(server: subprocess.Popen) -> int:
    """openssl prints nothing useful for port 0 with -quiet: find its listening socket."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if f"pid={server.pid}," in line:
                return int(line.split()[3].rsplit(":", 1)[1])
        time.sleep(0.1)
    raise RuntimeError("openssl s_server did not start")


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    yield cluster.scheduler_address
    cluster.close()


def _localise(command: str, stand: dict, scheduler: str | None) -> str:
    base, port = stand["base"], stand["port"]
    command = re.sub(r"\[(--\w[^\]]*)\]", r"\1", command)  # optional options: use them
    command = command.replace("https://acme.service-now.com", f"https://127.0.0.1:{port}")
    command = command.replace("/cases/", "cases/")
    if scheduler:
        command = command.replace("tcp://scheduler:8786", scheduler)
    return command


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, stand_ins, request):
    scheduler = request.getfixturevalue("dask_scheduler") if "--scheduler" in command else None
    local = _localise(command, stand_ins, scheduler)
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
           "LOGANALYZER_PROGRESS": "never", "NO_COLOR": "1"}
    env.pop("LOGANALYZER_DEBUG", None)
    done = subprocess.run(local, shell=True, capture_output=True, text=True, cwd=stand_ins["base"],
                          env=env, timeout=300, stdin=subprocess.DEVNULL)
    said = done.stdout[-1500:] + done.stderr[-1500:]
    assert done.returncode in (0, 1, 3), f"{local}\n{said}"
    assert "No such option" not in said and "Traceback" not in said and "Usage:" not in said
    for token in shlex.split(local):
        if token.startswith(("report.", "results.")):
            assert (stand_ins["base"] / token).stat().st_size > 0, token
