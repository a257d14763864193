"""Parsed handshakes against what really happened, as the capture harness recorded it.

Each sample log folder has ``expected.json``, written from the openssl server's own output:
one entry per TLS connection the server saw, with the client thread that made it. The
handshakes ``read`` finds for that JVM and thread must match them one to one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from loganalyzer.analysis.reading import read
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import normalise

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
FOLDERS = sorted(p.parent for p in SAMPLES.glob("*/expected.json"))
# javax.net.debug values that print the handshake messages on every JDK we capture with
FULL_DEBUG = {"all", "ssl,handshake", "ssl:handshake:verbose", "ssl:handshake"}


def _expected(folder: Path) -> dict:
    return json.loads((folder / "expected.json").read_text())


def _full_debug(exp: dict) -> bool:
    debug = exp.get("javax_net_debug") or ""
    # JDK 25 fixed plain "ssl" (JDK-8350582): it prints the handshake there too
    return debug in FULL_DEBUG or (debug == "ssl" and exp.get("jdk_major", 0) >= 25)


def _jvm_shift(folder: Path, exp: dict) -> int:
    """What to take from the harness's JVM number to get the reader's.

    The wrapper numbers its JVMs from its own start (``jvm 1`` for the first launch). The
    reader takes that number from the P column, or else counts the ``Launching a JVM...``
    lines it sees, 0 standing for the JVM that was already running when the log begins. A
    size-rotated set whose start banner rolled away, in a layout without P, shows neither, so
    the wrapper's number for that JVM is not in the log at all: the reader's 0 is then the
    harness's first JVM (rather than a guess of 1, which after restarts the log cannot show
    either).
    """
    if "P" in exp["wrapper_layout"]:
        return 0
    files = exp.get("wrapper_logfiles") or []
    if not files or "Launching a JVM..." in (folder / files[0]).read_text(errors="replace"):
        return 0
    return min(exp.get("wrapper_jvm_ids") or [1])


def _by_thread(items, key):
    out = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return out


# (sample, test) pairs where the reader does not match the server's truth yet: strict xfails, the reason
# names what the reader lacks; remove the entry when it is fixed (the test then XPASSes and fails).
KNOWN_GAPS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module", params=FOLDERS, ids=[f.name for f in FOLDERS])
def _sample(request):
    folder = request.param
    return folder, _expected(folder), read([str(folder)])


@pytest.fixture
def sample(_sample, request):
    reason = KNOWN_GAPS.get((_sample[0].name, request.node.originalname))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    return _sample


def test_known_gaps_name_existing_samples_and_tests():
    names = {f.name for f in FOLDERS}
    assert all(folder in names and test in globals() for folder, test in KNOWN_GAPS)


def test_every_sample_reads_without_problems(sample):
    folder, _, reading = sample
    assert reading.problems == [], reading.problems
    assert {f.source.role for f in reading.files} >= {"wrapper"}


def test_one_handshake_per_connection(sample):
    folder, exp, reading = sample
    shift = _jvm_shift(folder, exp)
    conns = _by_thread(exp["connections"], lambda c: (c["client_jvm"] - shift, c["client_thread"]))
    attempts = exp.get("client_attempts_not_seen_by_server") or []
    # the capture names an attempt's JVM and thread "jvm" / "thread" (a connection's "client_jvm" /
    # "client_thread"); such an attempt is a handshake of its own in the timeline (issue 13:
    # keystore-unreadable), a failed one that never sent a ClientHello
    unseen = set()
    for a in attempts:
        key = (a.get("client_jvm", a.get("jvm", 1)) - shift, a.get("client_thread", a.get("thread", "")))
        conns[key].append(a)
        unseen.add(key)
    found = _by_thread(reading.handshakes, lambda h: (h.thread.jvm, h.thread.name))
    assert {k: len(v) for k, v in found.items()} == {k: len(v) for k, v in conns.items()}
    for key in unseen - {k for k in conns if any("client_thread" in c for c in conns[k])}:
        for h in found[key]:
            assert h.outcome == "failed" and not any(isinstance(e, ev.ClientHello) for e in h.events), key


def test_handshake_facts_match_the_server(sample):
    folder, exp, reading = sample
    found = _by_thread(reading.handshakes, lambda h: (h.thread.jvm, h.thread.name))
    full = _full_debug(exp)
    shift = _jvm_shift(folder, exp)
    for conn in exp["connections"]:
        key = (conn["client_jvm"], conn["client_thread"])
        index = [c for c in exp["connections"] if (c["client_jvm"], c["client_thread"]) == key].index(conn)
        h = found[(key[0] - shift, key[1])][index]
        where = f"{folder.name} {h.path}:{h.start.line}"
        completed = bool(conn["handshake_completed"]) and conn["client_outcome"]["result"] == "ok"
        assert h.outcome == ("completed" if completed else "failed"), where
        server_fatal = [a.split(" ", 1)[1] for a in conn["alerts_sent_by_server"] if a.startswith("fatal")]
        if server_fatal and full:
            assert h.alert_received is not None and h.alert_received.description == server_fatal[0], where
        if server_fatal and not full:
            # little debug output: the failure still names the alert the server sent
            assert h.failure is not None and server_fatal[0] in h.failure.message, where
        if not full:
            continue
        # the server's decode of the ClientHello (None: no server_name); captures made before
        # scenario 23 do not record it, and every one of them named the instance
        assert h.sni == conn.get("client_hello_server_name", exp["instance_host"]), where
        if conn["tls_version"] and h.version:
            assert h.version == conn["tls_version"], where
        if h.cert_requested:
            assert conn["server_requested_client_cert"], where
            sent = {normalise(n) for n in conn["ca_names_sent"] or []}
            assert {normalise(n) for n in h.ca_names} == sent, where
        elif conn["client_certificate_message"] or completed:
            assert not conn["server_requested_client_cert"], where
        if conn["client_certificate_message"]:
            assert h.client_cert_sent is conn["server_received_client_cert"], where
            if conn["server_received_client_cert"]:
                assert normalise(h.client_chain[0].subject) == normalise(conn["received_cert_subject"]), where


def test_samples_cover_both_tls_versions_and_several_layouts():
    versions, layouts = set(), set()
    for folder in FOLDERS:
        reading = read([str(folder)])
        versions.update(h.version for h in reading.handshakes if h.version)
        layouts.update(f.layout for f in reading.files if f.source.role == "wrapper")
    assert {"TLSv1.2", "TLSv1.3"} <= versions
    assert len(layouts) >= 3, layouts


def test_detected_layout_is_the_one_configured(sample):
    """Every wrapper file has the configured layout. A rotated set (``wrapper.log.N`` ...
    ``wrapper.log``) is one log read file by file, oldest first, each file's layout detected
    on its own; its handshakes are one series, and a connection cut by the rotation is one
    handshake (``test_one_handshake_per_connection``)."""
    folder, exp, reading = sample
    wrapper = [f for f in reading.files if f.source.role == "wrapper"]
    names = exp.get("wrapper_logfiles") or [Path(wrapper[0].path).name] if wrapper else []
    assert [Path(f.path).name for f in wrapper] == names
    assert [f.layout for f in wrapper] == [exp["wrapper_layout"]] * len(names)
    paths = {f.path for f in wrapper}
    assert len({h.series for h in reading.handshakes if h.path in paths}) <= 1
