"""What is missing, named: ``ca-chain-incomplete``, ``ca-list-empty`` and ``wrong-key-chosen``.

On every sample with one of those root causes, the diagnosis opens with one sentence naming the
CA names the instance accepts, the chain the MID Server holds (with OpenSSL hashes) and what to
upload to sys_ca_certificate; its ``missing`` field (the README's JSON contract) holds the same,
and the text, Markdown and HTML reports show both. Where the log does not show the chain, the
sentence says so; given the MID Server's certificates (``analyze --certs``, each sample's
``mid-certificates.pem``: ``openssl pkcs12 -nokeys`` of the keystore the capture used) it names
the missing CAs from them. The hashes are openssl's: the capture PKI's certificates behind the
samples (``test_dn.SAMPLE_HASHES``, and the certificates themselves when the harness's work
folder is there).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from cli_helpers import run_cli
from rich.console import Console
from test_dn import CAPTURE_PKI, SAMPLE_HASHES
from test_reports import _doc

from loganalyzer.analysis.diagnoses import (
    CHAIN_CAUSES,
    HeldKey,
    diagnose,
    short_name,
    what_is_missing,
)
from loganalyzer.analysis.facts import Timeline
from loganalyzer.analysis.handshakes import Handshake, KeyManagerView
from loganalyzer.analysis.reading import read
from loganalyzer.errors import Location
from loganalyzer.ingest.records import Thread
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import dn_hash, normalise
from loganalyzer.reporters import html as html_report
from loganalyzer.reporters import markdown, text
from loganalyzer.reporters.redaction import redact_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()
FIELDS = {"accepted", "chain", "alias", "source", "upload", "keys"}
SOURCES = {"sent", "keystore", "other handshake", "certs", ""}
PEM = "mid-certificates.pem"


DOCS = {p.parent.name: _doc(p.parent.name)
        for p in sorted((ROOT / "sample_logs").glob("*/expected.json"))}


def _named(cause: str | frozenset[str]) -> list[tuple[str, dict]]:
    causes = {cause} if isinstance(cause, str) else cause
    return [(name, d) for name, doc in DOCS.items() for d in doc["diagnoses"]
            if d["root_cause"] in causes]


INCOMPLETE = _named("ca-chain-incomplete")
ALL = _named(CHAIN_CAUSES)


def _ids(items: list[tuple[str, dict]]) -> list[str]:
    return [f"{name}:{d['rule']}" for name, d in items]


def test_the_samples_hold_each_cause_with_and_without_a_chain() -> None:
    assert len(INCOMPLETE) >= 15
    assert {d["root_cause"] for _, d in ALL} == set(CHAIN_CAUSES)
    assert any(d["missing"]["chain"] for _, d in INCOMPLETE)
    assert any(not d["missing"]["chain"] for _, d in INCOMPLETE)


# ----------------------------------------------------------------------------- the sentence


@pytest.mark.parametrize(("name", "d"), INCOMPLETE, ids=_ids(INCOMPLETE))
def test_the_sentence_names_the_accepted_and_the_missing_cas(name: str, d: dict) -> None:
    m, sentence = d["missing"], d["detail"]
    assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence
    accepted = m["accepted"]
    assert accepted, "every ca-chain-incomplete sample's request names its CAs"
    assert sentence.startswith("The instance accepts certificates issued by ")
    for dn in accepted[:3]:
        assert short_name(dn) in sentence
    if len(accepted) > 3:
        assert f"and {len(accepted) - 3} more" in sentence
    if m["chain"]:
        assert m["upload"] and f"upload {short_name(m['upload'][0])}" in sentence
        assert all(short_name(dn) in sentence for dn in m["upload"])
        assert all(f"(hash {c['subject_hash']})" in sentence for c in m["chain"])
        covered = {normalise(n) for n in accepted}
        assert not any(normalise(c["issuer"]) in covered for c in m["chain"])
    else:
        assert "the MID Server's chain is not in the log (add keymanager to javax.net.debug, or " \
            "give its certificate files with --certs)" in sentence


@pytest.mark.parametrize(("name", "d"), ALL, ids=_ids(ALL))
def test_every_format_shows_the_sentence_and_the_names(name: str, d: dict) -> None:
    doc = DOCS[name]
    sentence, m = d["detail"], d["missing"]
    names = m["accepted"][:3] + m["upload"]
    plain = " ".join(text.render(doc, width=80).split())
    assert " ".join(sentence.split()) in plain
    assert all(" ".join(n.split()) in plain for n in names)
    raw = markdown.render_document(doc)
    md = re.sub(r"\\(.)", r"\1", raw)  # the sentence's escapes undone (code spans have none)
    assert f"**{sentence}**" in md
    assert all(f"`{n}`" in raw for n in names)
    page = html.unescape(re.sub(r"<[^>]+>", " ", html_report.render_document(doc)))
    assert sentence in page
    assert all(n in page for n in names)
    assert all(c["subject_hash"] in plain and c["subject_hash"] in page
               and c["subject_hash"] in md for c in m["chain"])


def test_the_text_block_fits_80_columns() -> None:
    for name, _ in ALL:
        out = text.render(DOCS[name], width=80)
        assert max(len(line) for line in out.splitlines()) <= 80, name


def test_a_wrong_key_names_the_aliases_and_the_one_presented() -> None:
    (_, d), = _named("wrong-key-chosen")
    assert d["detail"].startswith("The keystore holds 2 keys, mid-2024 [CN=mid-lab-2024")
    assert "the MID Server presented mid-2024, which is expired, instead of mid-2026" in (
        d["detail"])
    assert "nothing to upload" in d["detail"]
    keys = {k["alias"]: k for k in d["missing"]["keys"]}
    assert keys["mid-2024"]["presented"] and not keys["mid-2024"]["fits"]
    assert keys["mid-2026"]["fits"] and not keys["mid-2026"]["presented"]
    assert d["missing"]["alias"] == "mid-2026" and d["missing"]["upload"] == []


def test_an_empty_ca_list_says_no_ca_was_named_and_uploads_the_whole_chain() -> None:
    found = [(n, d) for n, d in _named("ca-list-empty") if d["missing"]["chain"]]
    assert found
    for _, d in found:
        assert d["detail"].startswith(
            "The instance asked for a client certificate but named no CA it accepts; ")
        chain = d["missing"]["chain"]
        assert d["missing"]["accepted"] == []
        assert [normalise(u) for u in d["missing"]["upload"]] == list(dict.fromkeys(
            normalise(c["issuer"]) for c in chain))


def test_the_redacted_sentence_keeps_its_shape_and_no_name() -> None:
    name, _ = next((n, d) for n, d in INCOMPLETE if d["missing"]["chain"])
    doc = redact_document(DOCS[name])
    d = next(x for x in doc["diagnoses"] if x["root_cause"] == "ca-chain-incomplete")
    assert "Acme" not in d["detail"] and "Other Corp" not in d["detail"]
    assert re.fullmatch(r"The instance accepts certificates issued by \[CN=cn-\d+\]; .* upload "
                        r"\[CN=cn-\d+\] and \[CN=cn-\d+\] to sys_ca_certificate\.", d["detail"])
    assert "Acme" not in str(d["missing"])
    # an OpenSSL name hash names its DN as surely: pseudonymised too, consistently
    original = next(x for x in DOCS[name]["diagnoses"] if x["rule"] == d["rule"])["missing"]
    hashes = {c[k] for c in original["chain"] for k in ("subject_hash", "issuer_hash")}
    assert not any(h in json.dumps(doc) for h in hashes)
    assert re.search(r"\(hash hash-\d+\)", d["detail"])
    chain = d["missing"]["chain"]
    assert all(below["issuer_hash"] == above["subject_hash"] and
               re.fullmatch(r"hash-\d+", below["subject_hash"])
               for below, above in zip(chain, chain[1:]))


# ----------------------------------------------------------------------------- the JSON field


@pytest.mark.parametrize(("name", "d"), ALL, ids=_ids(ALL))
def test_the_json_field_has_the_documented_shape(name: str, d: dict) -> None:
    m = d["missing"]
    assert set(m) == FIELDS
    assert all(isinstance(n, str) for n in m["accepted"] + m["upload"])
    assert isinstance(m["alias"], str) and m["source"] in SOURCES
    assert bool(m["source"]) == bool(m["chain"])
    for c in m["chain"]:
        assert set(c) == {"subject", "issuer", "subject_hash", "issuer_hash"}
        assert re.fullmatch(r"[0-9a-f]{8}", c["subject_hash"])
        assert re.fullmatch(r"[0-9a-f]{8}", c["issuer_hash"])
    for k in m["keys"]:
        assert set(k) == {"alias", "subject", "presented", "fits"}


def test_other_causes_have_no_missing_field() -> None:
    others = [d for doc in DOCS.values() for d in doc["diagnoses"]
              if d["root_cause"] not in CHAIN_CAUSES]
    assert others and not any("missing" in d for d in others)


def test_the_readme_documents_the_field() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = next(p for p in readme.split("\n\n") if p.startswith("Each diagnosis has `root"))
    assert "`missing`" in paragraph
    assert all(f"`{field}`" in paragraph for field in FIELDS | {"subject_hash", "issuer_hash"})


# ----------------------------------------------------------------------------- --certs


NO_CHAIN = [(name, d) for name, d in ALL if not d["missing"]["chain"]]
WITH_PEM = [(name, d) for name, d in NO_CHAIN if (ROOT / "sample_logs" / name / PEM).is_file()]


def test_every_sample_without_a_logged_chain_comes_with_the_mid_certificates() -> None:
    """Unless its MID Server had no keystore at all, as the default-context captures."""
    assert len(NO_CHAIN) >= 15
    for name, _ in NO_CHAIN:
        expected = json.loads((ROOT / "sample_logs" / name / "expected.json").read_text())
        if expected["client_keystore"].startswith("none"):
            assert expected["client_certificates"] is None, name
        else:
            assert expected["client_certificates"] == PEM, name
            assert (ROOT / "sample_logs" / name / PEM).is_file(), name
    assert len(WITH_PEM) >= len(NO_CHAIN) - 2


def _openssl_chain(pem: Path) -> list[tuple[str, str]]:
    """(subject hash, issuer hash) of each certificate in ``pem``, as openssl prints them."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                        pem.read_text(encoding="utf-8"), re.S)
    out = []
    for block in blocks:
        got = subprocess.run(["openssl", "x509", "-noout", "-hash", "-issuer_hash"], input=block,
                             capture_output=True, text=True, check=True).stdout.split()
        out.append((got[0], got[1]))
    return out


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize(("name", "d"), WITH_PEM, ids=_ids(WITH_PEM))
def test_with_the_mid_certificates_every_format_names_the_missing_cas(
        name: str, d: dict, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze LOGS --certs mid-certificates.pem``, through the real entry point."""
    monkeypatch.chdir(ROOT)
    folder = f"sample_logs/{name}"
    outs = {}
    for fmt in ("json", "text", "markdown", "html"):
        code, out, err = run_cli(capsys, monkeypatch, "analyze", folder, "--certs",
                                 f"{folder}/{PEM}", "-f", fmt)
        assert code in (0, 1, 3), err
        assert "error" not in err, err
        outs[fmt] = out
    doc = json.loads(outs["json"])
    assert [x["rule"] for x in doc["diagnoses"]] == [x["rule"] for x in DOCS[name]["diagnoses"]]
    got = next(x for x in doc["diagnoses"] if x["rule"] == d["rule"])
    m, sentence = got["missing"], got["detail"]
    assert m["source"] == "certs" and m["chain"]
    assert m["accepted"] == d["missing"]["accepted"]
    # what to upload, worked out from openssl's hashes alone: every issuer in the file's chain
    # that the CA names do not cover
    accepted = {dn_hash(a) for a in m["accepted"]}
    chain = _openssl_chain(ROOT / folder / PEM)
    assert [(c["subject_hash"], c["issuer_hash"]) for c in m["chain"]] == chain[:len(m["chain"])]
    want = list(dict.fromkeys(issuer for _, issuer in chain[:len(m["chain"])]
                              if issuer not in accepted))
    assert [dn_hash(u) for u in m["upload"]] == want
    # one sentence: the accepted names (or that none was named), the chain, what to upload
    assert sentence.count(". ") == 0 and sentence.endswith(".")
    if m["accepted"]:
        assert sentence.startswith("The instance accepts certificates issued by ")
        assert all(short_name(a) in sentence for a in m["accepted"][:3])
    else:
        assert sentence.startswith("The instance asked for a client certificate but named no "
                                   "CA it accepts; ")
    assert f"the chain in {PEM} is " in sentence
    if want:
        assert sentence.endswith(f"upload {_names_text(m['upload'])} to sys_ca_certificate.")
    else:  # the CA names cover the chain: this candidate is not the cause (an EC key is)
        assert sentence.endswith("its issuers are all named, so nothing is missing from "
                                 "sys_ca_certificate.")
    names = m["accepted"][:3] + m["upload"]
    plain = " ".join(outs["text"].split())
    assert " ".join(sentence.split()) in plain
    md = re.sub(r"\\(.)", r"\1", outs["markdown"])
    assert f"**{sentence}**" in md
    page = html.unescape(re.sub(r"<[^>]+>", " ", outs["html"]))
    assert " ".join(sentence.split()) in " ".join(page.split())
    for n in names:
        assert " ".join(n.split()) in plain and f"`{n}`" in outs["markdown"] and n in page


def _names_text(dns: list[str]) -> str:
    shown = [short_name(d) for d in dns]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def test_certs_never_replace_a_chain_the_log_shows(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The log says what the JVM held; a file given beside it only fills what the log lacks."""
    name, d = next((n, d) for n, d in ALL if d["missing"]["source"] == "keystore")
    other = next(n for n, _ in WITH_PEM)
    monkeypatch.chdir(ROOT)
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", f"sample_logs/{name}", "--certs",
                           f"sample_logs/{other}/{PEM}", "-f", "json")
    got = next(x for x in json.loads(out)["diagnoses"] if x["rule"] == d["rule"])
    assert got["missing"] == d["missing"] and got["detail"] == d["detail"]


def test_where_the_log_hides_the_ca_names_nothing_is_called_missing(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A public excerpt (WSO2 product-ei#5550, tests/field) that shows no CertificateRequest.

    Which CAs the server accepts is unknown, so the chain's issuers are to be checked, not
    called missing.
    """
    monkeypatch.chdir(ROOT)
    pem = f"sample_logs/{WITH_PEM[0][0]}/{PEM}"
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", "-q", "-f", "json", "--certs", pem,
                           "tests/field/wso2-product-ei-5550-unified-empty-certificate-list.log")
    d = next(x for x in json.loads(out)["diagnoses"] if x["root_cause"] == "ca-chain-incomplete")
    assert d["missing"]["accepted"] == [] and d["missing"]["source"] == "certs"
    assert d["detail"].startswith("The log does not show which CAs the instance accepts; "
                                  f"the chain in {PEM} is ")
    assert d["detail"].endswith(f"make sure {_names_text(d['missing']['upload'])} are in "
                                "sys_ca_certificate (the log does not show which the instance "
                                "already has).")
    assert " upload " not in d["detail"]


def test_an_unreadable_certificate_file_is_a_problem_and_the_report_is_still_written(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    name, _ = WITH_PEM[0]
    bad = tmp_path / "garbage.pem"
    bad.write_bytes(b"\x00\x01 not a certificate")
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli(capsys, monkeypatch, "analyze", f"sample_logs/{name}", "--certs",
                             str(bad), "-f", "json")
    assert code == 2
    assert "garbage.pem" in err and "Traceback" not in err
    assert json.loads(out)["diagnoses"]


def test_a_held_key_judged_across_clocks_is_not_called_expired_within_the_zone_margin() -> None:
    """A file's UTC against a log's local time: a bound within 14 hours cannot be told."""
    from datetime import timedelta

    leaf = ev.CertInfo(subject="CN=mid", issuer="CN=Acme Issuing",
                       not_before=datetime(2025, 1, 1), not_after=datetime(2026, 1, 1, 6))
    h = _handshake(("CN=Other Root",), {})
    for hours, problems in ((-20, []), (5, []), (13, []), (15, ["expired"])):
        held = HeldKey("", "mid.pem", (leaf,))
        h2 = Handshake(path=h.path, thread=h.thread, start=h.start, end=h.end,
                       start_time=leaf.not_after + timedelta(hours=hours), request=h.request,
                       cert_requested=True)
        _, m = what_is_missing("ca-chain-incomplete", [h2], Timeline([h2]), [held])
        assert m is not None and m["keys"][0]["fits"] == (not problems), hours


# ----------------------------------------------------------------------------- the hashes


def _chains() -> list[tuple[str, dict]]:
    return [(f"{name}:{d['rule']}", c) for name, d in ALL for c in d["missing"]["chain"]]


@pytest.mark.parametrize(("where", "c"), _chains(), ids=[w for w, _ in _chains()])
def test_chain_hashes_are_openssls(where: str, c: dict) -> None:
    assert c["subject_hash"] == SAMPLE_HASHES[c["subject"]]
    assert c["issuer_hash"] == SAMPLE_HASHES[c["issuer"]]


def test_each_issuer_hash_is_the_next_certificates_hash() -> None:
    """As the KB's Q&A checks a chain: issuer hash = next subject hash; a root's two are equal."""
    for _, d in ALL:
        chain = d["missing"]["chain"]
        for below, above in zip(chain, chain[1:]):
            assert below["issuer_hash"] == above["subject_hash"]
        if chain and normalise(chain[-1]["subject"]) == normalise(chain[-1]["issuer"]):
            assert chain[-1]["subject_hash"] == chain[-1]["issuer_hash"]


@pytest.mark.skipif(not CAPTURE_PKI.is_dir() or shutil.which("openssl") is None,
                    reason="needs the capture PKI (python3 tools/capture/capture.py) and openssl")
def test_chain_hashes_equal_openssl_on_the_capture_certificates() -> None:
    """``openssl x509 -hash -issuer_hash`` of the certificates the samples' MID Server held."""
    files = {"CN=mid-lab-01.acme.example": "client-good.pem",
             "CN=mid-lab-selfsigned.acme.example": "client-selfsigned.pem",
             "CN=Acme Lab Client Issuing CA 1": "client-int.pem",
             "CN=Acme Lab Client Root CA": "client-root.pem"}
    checked = 0
    for _, d in ALL:
        for c in d["missing"]["chain"]:
            cn = c["subject"].split(", ")[0]
            if cn not in files:
                continue
            out = subprocess.run(["openssl", "x509", "-noout", "-hash", "-issuer_hash", "-in",
                                  str(CAPTURE_PKI / files[cn])],
                                 capture_output=True, text=True, check=True).stdout.split()
            assert [c["subject_hash"], c["issuer_hash"]] == out, (cn, out)
            checked += 1
    assert checked >= 10


# ----------------------------------------------------------------------------- corners


def _cert(subject: str, issuer: str) -> ev.CertInfo:
    return ev.CertInfo(subject=subject, issuer=issuer)


WHERE = Location("wrapper.log", 10)
THREAD = Thread(1, "main")
LEAF = _cert("CN=mid, O=Acme", "CN=Acme Issuing, O=Acme")
INT = _cert("CN=Acme Issuing, O=Acme", "CN=Acme Root, O=Acme")


def _handshake(ca_names: tuple[str, ...], chains: dict[str, tuple[ev.CertInfo, ...]],
               state: str = "listed") -> Handshake:
    found = tuple(ev.KeyFound(WHERE, THREAD, None, f"found key for : {a}", alias=a, chain=c)
                  for a, c in chains.items())
    request = ev.CertificateRequest(WHERE, THREAD, None, "CertificateRequest",
                                    ca_names=ca_names, ca_state=state)
    return Handshake(path="wrapper.log", thread=THREAD, start=WHERE, end=WHERE,
                     start_time=datetime(2026, 1, 1), request=request, cert_requested=True,
                     key_manager=KeyManagerView(found=found))


def test_a_keystore_chain_without_its_root_still_names_the_root_to_upload() -> None:
    h = _handshake(("CN=Other Root",), {"mid": (LEAF, INT)})
    sentence, m = what_is_missing("ca-chain-incomplete", [h], Timeline([h]))
    assert m is not None and m["upload"] == ["CN=Acme Issuing, O=Acme", "CN=Acme Root, O=Acme"]
    assert m["chain"][1]["issuer_hash"] != ""  # the root's hash, though the chain lacks it
    assert sentence.endswith("upload [CN=Acme Issuing] and [CN=Acme Root] to "
                             "sys_ca_certificate.")


def test_the_mid_servers_own_alias_is_the_chain_shown() -> None:
    other = (_cert("CN=old, O=Acme", "CN=Old CA"),)
    h = _handshake(("CN=Other Root",), {"zzz": other, "defaultsecuritykeypairhandle": (LEAF,)})
    _, m = what_is_missing("ca-chain-incomplete", [h], Timeline([h]))
    assert m is not None and m["alias"] == "defaultsecuritykeypairhandle"
    assert m["upload"] == ["CN=Acme Issuing, O=Acme"] and m["source"] == "keystore"


def test_names_already_accepted_are_not_to_be_uploaded() -> None:
    h = _handshake(("CN=Acme Root, O=Acme",), {"mid": (LEAF, INT)})
    _, m = what_is_missing("ca-list-empty", [h], Timeline([h]))
    assert m is not None and m["upload"] == ["CN=Acme Issuing, O=Acme"]


def test_a_dn_without_cn_is_shown_whole_and_an_unhashable_one_as_a_question_mark() -> None:
    odd = _cert("OU=Unit, O=Acme", "FOO=bar")
    h = _handshake((), {"mid": (odd,)}, state="empty")
    sentence, m = what_is_missing("ca-list-empty", [h], Timeline([h]))
    assert m is not None and m["chain"][0]["issuer_hash"] == ""
    assert "[OU=Unit, O=Acme] (hash " in sentence and "upload [FOO=bar]" in sentence
    console = Console(width=80, record=True)
    console.print(text.missing_table(m))
    assert re.search(r"OU=Unit, O=Acme +[0-9a-f]{8} \?", console.export_text())


def test_a_bug_naming_what_is_missing_costs_the_sentence_not_the_diagnosis(monkeypatch) -> None:
    from loganalyzer.analysis import diagnoses
    from loganalyzer.errors import DEBUG_ENV

    monkeypatch.delenv(DEBUG_ENV, raising=False)  # --debug lets the planted bug escape

    def broken(*_: object) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(diagnoses, "what_is_missing", broken)
    reading = read([str(ROOT / "sample_logs" / "jdk25-tls13-ca-mismatch-ptm")])
    found = diagnose(reading, RULES)
    hit = next(d for d in found if d.root_cause == "ca-chain-incomplete")
    assert hit.detail == "" and hit.missing is None and hit.evidence
    assert any(p.kind == "internal" and "naming what is missing" in p.message
               for p in reading.problems)
