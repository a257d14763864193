"""Distinguished names as JSSE prints them, and the TLS 1.2 list of CA names (``loganalyzer.jsse.dn``).

The lists come from REAL sample logs: every ``"certificate authorities": [`` line in
``sample_logs/*/wrapper.log``, whose right split is the ``ca_names_sent`` of the same folder's
``expected.json`` (decoded from the server's own output). The RFC 4514 / RFC 1779 corners (quoted
values with commas, escaped quotes, ``+`` multi-valued RDNs, DC-first names, ``OID.n=#hex``
values, a ``]`` inside a value) are typed by hand, in the form ``X500Principal.toString()``
gives them (``shared/reference/jsse-debug-formats.md`` §2.2).

A DN's OpenSSL hash is checked against ``openssl x509 -hash``: of the capture PKI's certificates
behind the samples (a table of them, and the certificates themselves when the harness's work
folder is there), of certificates made here with the corners the samples lack, and of the
system store's CAs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from loganalyzer.ingest.sources import decode_line
from loganalyzer.jsse.dn import (
    atom_type,
    atoms,
    dn_der,
    dn_hash,
    normalise,
    same_dn,
    split_list,
)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
MARK = '"certificate authorities": ['


def _real_lists() -> list[tuple[str, str, tuple[str, ...], list[tuple[str, ...]], dict]]:
    """(folder, form, names as printed, the folder's expected lists, expected.json) per list.

    ``form`` is ``list`` for TLS 1.2 (the raw one-line text is kept in ``names[0]``) and
    ``extension`` for TLS 1.3 (one DN per line; the closing ``]`` is glued to the last one).
    """
    found = []
    for exp_path in sorted(SAMPLES.glob("*/expected.json")):
        folder = exp_path.parent
        log = folder / "wrapper.log"
        if not log.is_file():
            continue
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        lines = [decode_line(x) for x in log.read_bytes().splitlines()]  # cp1252 logs too
        for i, line in enumerate(lines):
            if MARK not in line:
                continue
            rest = "[" + line.split(MARK, 1)[1].rstrip()
            if rest != "[":
                form, names = "list", (rest,)
            else:
                names_list = []
                for follow in lines[i + 1 :]:
                    text = follow.rsplit(" | ", 1)[-1].strip()
                    if text.endswith("]"):
                        names_list.append(text[:-1])
                        break
                    names_list.append(text)
                form, names = "extension", tuple(names_list)
            want = [tuple(c["ca_names_sent"]) for c in exp["connections"]
                    if c.get("ca_names_form") == form]
            found.append((folder.name, form, names, want, exp))
    return found


REAL = _real_lists()
TLS12 = [r for r in REAL if r[1] == "list"]
TLS13 = [r for r in REAL if r[1] == "extension"]
TLS12_MANY = [r for r in TLS12 if r[2][0].count("CN=") >= 2]


def _ids(items) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name, *_ in items:
        seen[name] = seen.get(name, 0) + 1
        out.append(f"{name}#{seen[name]}")
    return out


def test_the_samples_hold_every_kind_of_real_list() -> None:
    """The real data covers the cases that matter: empty, one name, and the ambiguous two."""
    if not REAL:
        pytest.skip("no sample logs")
    sizes = {(form, len(want[0]) if want else -1) for _, form, _, want, _ in REAL}
    assert {("list", 0), ("list", 1), ("list", 2), ("extension", 1), ("extension", 2)} <= sizes
    two = [names[0] for _, form, names, want, _ in TLS12 if want and len(want[0]) == 2]
    assert any('O="Acme Lab, Inc."' in raw for raw in two)  # a comma inside a quoted value


# ----------------------------------------------------------------------------- real TLS 1.2 lists


@pytest.mark.parametrize("folder,form,names,want,exp", TLS12, ids=_ids(TLS12))
def test_real_tls12_list_is_split_heuristically(folder, form, names, want, exp) -> None:
    raw = names[0]
    got, how = split_list(raw)
    assert got in want, f"{raw!r} split as {got!r}"
    assert how == ("exact" if not got else "heuristic")
    # no atom is lost or invented by the split
    assert sum(len(atoms(dn)) for dn in got) == len(atoms(raw[1:-1]))


@pytest.mark.parametrize("folder,form,names,want,exp", TLS12, ids=_ids(TLS12))
def test_real_tls12_list_is_split_exactly_with_known_names(folder, form, names, want, exp) -> None:
    """The names the servers are configured with and the client chain's DNs make it exact."""
    raw = names[0]
    known = [dn for server in exp["servers"] for dn in server["ca_names_configured"]] + [
        dn for c in exp["connections"] for x in c.get("received_chain") or []
        for dn in (x["subject"], x["issuer"])]
    got, how = split_list(raw, known)
    assert got in want
    assert how == ("exact" if not got else "known")
    # the known names may be spelled differently: case and spaces do not matter
    sloppy = [" ".join(dn.lower().replace(", ", ",  ").split(" ")) for dn in known]
    assert split_list(raw, sloppy) == (got, how)
    # brackets are optional
    assert split_list(raw[1:-1], known) == (got, how)


@pytest.mark.parametrize("folder,form,names,want,exp", TLS12_MANY, ids=_ids(TLS12_MANY))
def test_real_tls12_list_with_only_one_name_known(folder, form, names, want, exp) -> None:
    got, _ = split_list(names[0])
    assert len(got) >= 2
    for known in got:
        assert split_list(names[0], [known]) == (got, "heuristic")


# ----------------------------------------------------------------------------- real TLS 1.3 names


@pytest.mark.parametrize("folder,form,names,want,exp", TLS13, ids=_ids(TLS13))
def test_real_tls13_names_are_the_expected_ones(folder, form, names, want, exp) -> None:
    assert names in want
    for dn in names:
        assert normalise(dn) == normalise(dn.upper())
        assert same_dn(dn, ",".join(atoms(dn)))  # no space after the separators
        assert ", ".join(atoms(dn)) == dn


@pytest.mark.parametrize("folder,form,names,want,exp", TLS13, ids=_ids(TLS13))
def test_real_tls13_names_joined_as_tls12_prints_them_split_back(folder, form, names, want, exp) -> None:
    """The same request printed the TLS 1.2 way (one comma-joined list) splits back."""
    raw = "[" + ", ".join(names) + "]"
    assert split_list(raw)[0] == names
    assert split_list(raw, names) == (names, "known")


# ----------------------------------------------------------------------------- atoms


@pytest.mark.parametrize("text,want", [
    ('CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US',
     ["CN=Lab Client Issuing CA", "OU=PKI", 'O="Acme, Inc."', "L=San Diego", "ST=California", "C=US"]),
    ('CN="a=b;c<d>e#f", O="x\\"y"', ['CN="a=b;c<d>e#f"', 'O="x\\"y"']),
    ('CN="x\\"y, z", O=Q', ['CN="x\\"y, z"', "O=Q"]),  # an escaped quote does not end the quoting
    ("CN=Smith\\, John, O=Q", ["CN=Smith\\, John", "O=Q"]),  # RFC 4514 escaped comma
    ("OU=A + O=Multi, CN=X", ["OU=A + O=Multi", "CN=X"]),
    ("DC=com, DC=example, CN=Users, CN=Issuing CA 01",
     ["DC=com", "DC=example", "CN=Users", "CN=Issuing CA 01"]),
    ("OID.1.2.3.4=#0403414243, CN=X", ["OID.1.2.3.4=#0403414243", "CN=X"]),
    ("O=a]b[c, CN=Y", ["O=a]b[c", "CN=Y"]),
    ('CN=" spaced ", C=US', ['CN=" spaced "', "C=US"]),
    ("CN=A,O=B", ["CN=A", "O=B"]),
    ("CN=Ünïcödé Name, C=DE", ["CN=Ünïcödé Name", "C=DE"]),
    ("", []),
    ("  ", []),
])
def test_atoms(text: str, want: list[str]) -> None:
    assert atoms(text) == want


@pytest.mark.parametrize("atom,kind", [
    ("CN=x", "CN"), ("cn=x", "CN"), ("  ou = x", "OU"), ("E=a@b.c", "EMAILADDRESS"),
    ("EMAILADDRESS=a@b.c", "EMAILADDRESS"), ("S=California", "ST"), ("DC=com", "DC"),
    ("OID.1.2.3.4=#0403414243", "OID.1.2.3.4"), ("2.5.4.3=x", "2.5.4.3"),
    ("OU=A + O=Multi", "OU"), ("no equals sign", ""), ("=x", ""),
])
def test_atom_type(atom: str, kind: str) -> None:
    assert atom_type(atom) == kind


# ----------------------------------------------------------------------------- normalise


@pytest.mark.parametrize("a,b", [
    ('CN=Lab  Client CA, O="Acme, Inc.", C=US', 'cn=lab client ca,o="ACME, INC.",c=us'),
    ('O="Acme"', "O=Acme"),
    ('O="x\\"y"', 'o="X\\"Y"'),
    ("E=ops@acme.example, CN=X", "EMAILADDRESS=OPS@acme.example, CN=X"),
    ("S=California, C=US", "ST=California, C=US"),
    ('CN=" spaced ", C=US', "CN=spaced, C=US"),
])
def test_same_dn(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)
    assert same_dn(a, b)


@pytest.mark.parametrize("a,b", [
    ("CN=A, O=X", "CN=A, O=Y"),
    ("CN=A, O=X", "O=X, CN=A"),  # order is part of a DN
    ("CN=A, O=X", "CN=A, O=X, C=US"),
    ("CN=Issuing CA 1, O=Acme", "CN=Issuing CA 11, O=Acme"),
    ("OU=A + O=Multi, CN=X", "OU=A, O=Multi, CN=X"),  # one multi-valued RDN is not two RDNs
])
def test_different_dns(a: str, b: str) -> None:
    assert not same_dn(a, b)


def test_normalise_gives_a_stable_key() -> None:
    assert normalise('CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", C=US') == (
        "CN=lab client issuing ca, OU=pki, O=acme, inc., C=us")
    assert normalise('O="x\\"y"') == 'O=x"y'
    assert normalise("") == ""


def test_rfc4514_escapes_and_rfc1779_quotes_are_the_same_dn() -> None:
    assert same_dn("CN=Acme\\, Inc., C=US", 'CN="Acme, Inc.", C=US')
    assert same_dn("CN=Plus\\+Sign", 'CN="Plus+Sign"')


def test_sn_is_a_surname_not_a_serial_number() -> None:
    assert not same_dn("SN=12345, CN=X", "SERIALNUMBER=12345, CN=X")


# ----------------------------------------------------------------------------- split_list corners

REF_LIST = ('[CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US, '
            "CN=Some Other Trusted CA, O=Trust Services, C=DE]")
REF_NAMES = ('CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US',
             "CN=Some Other Trusted CA, O=Trust Services, C=DE")


@pytest.mark.parametrize("raw,names", [
    (REF_LIST, REF_NAMES),
    ('[CN="Foo, Bar", C=US, CN=Baz, C=US]', ('CN="Foo, Bar", C=US', "CN=Baz, C=US")),
    ('[CN="x\\"y, CN=z", O=Q, CN=R, O=Q]', ('CN="x\\"y, CN=z", O=Q', "CN=R, O=Q")),
    ("[CN=X, OU=A + O=Multi, C=US, CN=Y, OU=B + O=Multi, C=US]",
     ("CN=X, OU=A + O=Multi, C=US", "CN=Y, OU=B + O=Multi, C=US")),
    ("[CN=X, OID.1.2.3.4=#0403414243, CN=Y, OID.1.2.3.4=#0403414244]",
     ("CN=X, OID.1.2.3.4=#0403414243", "CN=Y, OID.1.2.3.4=#0403414244")),
    ("[CN=X, O=a]b[c, C=US, CN=Y, O=Z]", ("CN=X, O=a]b[c, C=US", "CN=Y, O=Z")),
    ("[CN=Y, O=Z, CN=X, O=ends]]", ("CN=Y, O=Z", "CN=X, O=ends]")),
    ("[CN=Only One]", ("CN=Only One",)),
    ("[EMAILADDRESS=pki@acme.example, CN=Acme CA, O=Acme, EMAILADDRESS=x@y.z, CN=Other, C=DE]",
     ("EMAILADDRESS=pki@acme.example, CN=Acme CA, O=Acme", "EMAILADDRESS=x@y.z, CN=Other, C=DE")),
    ("[]", ()),
    ("", ()),
])
def test_heuristic_split(raw: str, names: tuple[str, ...]) -> None:
    got, how = split_list(raw)
    assert got == names
    assert how == ("exact" if not names else "heuristic")


def test_known_names_are_matched_longest_first() -> None:
    raw = "[CN=A, O=X, C=US, CN=A, O=X]"
    known = ["CN=A, O=X", "CN=A, O=X, C=US"]
    assert split_list(raw, known) == (("CN=A, O=X, C=US", "CN=A, O=X"), "known")
    assert split_list(raw, reversed(known)) == (("CN=A, O=X, C=US", "CN=A, O=X"), "known")


def test_known_names_split_what_no_heuristic_can() -> None:
    """Two CN-only names in a row, and DC-first names: only the log's own DNs can tell."""
    raw = "[CN=Acme Root, CN=Acme Issuing, O=Acme]"
    assert split_list(raw, ["CN=Acme Root", "CN=Acme Issuing, O=Acme"]) == (
        ("CN=Acme Root", "CN=Acme Issuing, O=Acme"), "known")
    ad = "[DC=com, DC=example, CN=Users, CN=Issuing CA 01, DC=org, DC=other, CN=Root]"
    want = ("DC=com, DC=example, CN=Users, CN=Issuing CA 01", "DC=org, DC=other, CN=Root")
    assert split_list(ad, want) == (want, "known")
    assert split_list(ad, want[:1]) == (want, "heuristic")  # one known name is enough here
    assert split_list(ad, want[1:]) == (want, "heuristic")


def test_known_names_keep_the_printed_spelling() -> None:
    got, how = split_list("[cn=lab ca, o=ACME, CN=Other, C=DE]", ["CN=Lab CA, O=Acme", "CN=Other, C=DE"])
    assert (got, how) == (("cn=lab ca, o=ACME", "CN=Other, C=DE"), "known")


def test_a_known_name_that_is_not_in_the_list_changes_nothing() -> None:
    assert split_list(REF_LIST, ["CN=Unrelated, C=FR"]) == (REF_NAMES, "heuristic")


def test_heuristic_split_of_dc_first_names() -> None:
    ad = "[DC=com, DC=example, CN=Users, CN=Issuing CA 01, DC=org, DC=other, CN=Root]"
    assert split_list(ad)[0] == ("DC=com, DC=example, CN=Users, CN=Issuing CA 01",
                                 "DC=org, DC=other, CN=Root")


# ----------------------------------------------------------------------------- OpenSSL hashes
#
# ``openssl x509 -hash`` of the capture PKI's certificates (tools/capture/work/pki, made by
# tools/capture/capture.py), keyed by the DN as the sample logs print it: every kind of name the
# samples hold (a comma and quotes inside values, ``#``, ``<>``, ``+``, ``=``, ``;``, accents,
# Japanese, a cp1252 log's ``Zürich``).
SAMPLE_HASHES = {
    'CN=Acme Lab Client Root CA, OU=Acme Lab PKI, O="Acme Lab, Inc.", ST=California, C=US':
        "049de078",
    'CN=Acme Lab Client Issuing CA 1, OU=Acme Lab PKI, O="Acme Lab, Inc.", ST=California, C=US':
        "d1111716",
    'CN=mid-lab-01.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "b997265a",
    'CN=mid-lab-2024.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "0fa7a077",
    'CN=mid-lab-expired.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "67979be4",
    'CN=mid-lab-notyet.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "f5046f96",
    'CN=mid-lab-revoked.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "d4d47eb0",
    'CN=mid-lab-selfsigned.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "214afd2e",
    'CN=mid-lab-serverauth.acme.example, OU=MID Servers, O="Acme Lab, Inc.", C=US': "2a5160cb",
    "CN=Other Corp Root CA, O=Other Corp GmbH, C=DE": "23c7d030",
    "CN=mid-lab-otherca.acme.example, O=Other Corp GmbH, C=DE": "ef0df2c1",
    "CN=Lab Instance Root CA, O=Lab Instance Trust, C=US": "b9b0bc1c",
    "CN=acme-lab.service-now.com, O=Lab Instance Trust, C=US": "0f269b29",
    "CN=acme-lab.service-now.com, OU=Revocation lab, O=Lab Instance Trust, C=US": "52cf50d2",
    "CN=acme-dev.service-now.com, O=Lab Instance Trust, C=US": "50ddc658",
    'CN=Acme Lab SSL Inspection CA, OU=Network Security, O="Acme Lab, Inc.", C=US': "d0dea89e",
    "CN=mid-lab-zürich.acme.example, OU=MID Servers, O=Acme Lab (Schweiz) AG, L=Zürich, C=CH":
        "1b28816d",
    'CN="Special #7", OU="A<B>C", O="Plus+Equals=Corp", C=US': "00b92977",
    'CN="\\"Quoted\\" Root 3", O="The \\"Quoted\\" Trust Ltd", C=GB': "a6bb177b",
    "CN=Autorité de Certification 4, O=Société Générale Démo, C=FR": "14570abd",
    'CN=Example Issuing CA 2, OU="Sales, EMEA", O="Example, Inc.", C=US': "f565cec9",
    "CN=Lab Japan CA 8, O=Lab 日本, C=JP": "fdb9e087",
    "CN=Müller Root CA 1, O=Müller & Söhne GmbH, L=München, C=DE": "11b39691",
    "CN=ZKD Issuing CA 5, O=Zürcher Kantonal Démo AG, L=Zürich, C=CH": "814e78f1",
    'CN=Åkesson CA 6, OU="IT; Security", O=Åkesson Övrigt AB, C=SE': "d0831652",
}
CAPTURE_PKI = SAMPLES.parent / "tools" / "capture" / "work" / "pki"


def _sample_dns() -> set[str]:
    """Every DN the sample logs print: CA names, and subjects and issuers of every chain."""
    from loganalyzer.analysis.reading import read

    found: set[str] = set()
    for folder in sorted(SAMPLES.glob("*/expected.json")):
        for h in read([str(folder.parent)]).handshakes:
            chains = [h.client_chain, h.server_chain, *(c for _, c in h.key_manager.aliases)]
            found.update(h.ca_names)
            found.update(dn for chain in chains for c in chain for dn in (c.subject, c.issuer))
    return found


@pytest.mark.parametrize("dn", sorted(SAMPLE_HASHES))
def test_hash_of_a_sample_dn_is_openssls(dn: str) -> None:
    assert dn_hash(dn) == SAMPLE_HASHES[dn]


def test_the_hash_table_covers_the_samples() -> None:
    """Every sample DN is in the table, or differs from one only by a number (CA 1 .. CA 64)."""
    def shape(dn: str) -> str:
        return re.sub(r"(?<=[ #])\d+\b", "N", dn)

    assert {shape(dn) for dn in _sample_dns()} == {shape(dn) for dn in SAMPLE_HASHES}


@pytest.mark.skipif(not CAPTURE_PKI.is_dir() or shutil.which("openssl") is None,
                    reason="needs the capture PKI (python3 tools/capture/capture.py) and openssl")
def test_every_sample_dn_hashes_as_openssl_hashes_its_certificate() -> None:
    """The real certificates behind the samples: openssl's hash of each against the log's DN."""
    from cryptography import x509

    from loganalyzer.selfcheck.certs import name_text

    real: dict[str, str] = {}
    for pem in sorted(CAPTURE_PKI.rglob("*.pem")):
        text = pem.read_text(encoding="ascii", errors="replace")
        for block in re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----",
                                text, re.S):
            cert = x509.load_pem_x509_certificate(block.encode())
            printed = subprocess.run(["openssl", "x509", "-noout", "-hash", "-issuer_hash"],
                                     input=block, capture_output=True, text=True, check=True)
            subject_hash, issuer_hash = printed.stdout.split()
            real[normalise(name_text(cert.subject.public_bytes()))] = subject_hash
            real[normalise(name_text(cert.issuer.public_bytes()))] = issuer_hash
    dns = _sample_dns()
    assert len(dns) > 70
    assert {dn: dn_hash(dn) for dn in dns} == {dn: real.get(normalise(dn)) for dn in dns}


# Names typed in the form ``X500Principal.toString()`` prints them, with the ``-subj`` that
# makes a certificate of that name: the corners the samples lack.
LAB_NAMES = [
    ("/DC=com/DC=example/CN=Users/CN=Issuing CA 01",
     "CN=Issuing CA 01, CN=Users, DC=example, DC=com"),
    ("/C=DE/O=Grüße GmbH/OU=PKI+CN=Multi Valued", "CN=Multi Valued + OU=PKI, O=Grüße GmbH, C=DE"),
    ("/C=US/O=Acme/emailAddress=Ops@Example.COM/CN=mail",
     "CN=mail, EMAILADDRESS=Ops@Example.COM, O=Acme, C=US"),
    ("/C=US/CN=Lab   Spaced  CA", 'CN="Lab   Spaced  CA", C=US'),
    ("/C=US/O=UPPER lower/CN=Case", "CN=Case, O=UPPER lower, C=US"),
    ("/UID=jdoe/serialNumber=12345/CN=Someone", "CN=Someone, SERIALNUMBER=12345, UID=jdoe"),
    ("/C=US/ST=California/L=San Diego/street=1 Main St/postalCode=92101/CN=Where",
     "CN=Where, POSTALCODE=92101, STREET=1 Main St, L=San Diego, ST=California, C=US"),
    ("/C=US/CN=Acme\\, Inc.", "CN=Acme\\, Inc., C=US"),  # RFC 4514 escapes
    ("/C=CH/L=Zürich/CN=Hex", "CN=Hex, L=Z\\C3\\BCrich, C=CH"),
    ("/C=US/CN=abc", "CN=#0c03616263, C=US"),  # a #hex value: its own DER (a UTF8String)
    ("/C=US/S=x/CN=Keyword", "CN=Keyword, S=x, C=US"),  # S is ST
]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize("subj,printed", LAB_NAMES, ids=[p for _, p in LAB_NAMES])
def test_hash_equals_openssls_for_a_certificate_of_that_name(tmp_path, subj: str,
                                                             printed: str) -> None:
    made = subprocess.run(
        ["openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "k.pem"), "-days", "1",
         "-utf8", "-multivalue-rdn", "-subj", subj.replace("/S=", "/ST=")],
        capture_output=True, text=True, check=True)
    hashed = subprocess.run(["openssl", "x509", "-noout", "-hash"], input=made.stdout,
                            capture_output=True, text=True, check=True)
    assert dn_hash(printed) == hashed.stdout.strip()


SYSTEM_CERTS = Path("/etc/ssl/certs")


@pytest.mark.skipif(not SYSTEM_CERTS.is_dir(), reason="no /etc/ssl/certs")
def test_hashes_of_the_system_stores_names_as_text_equal_their_rehash_links() -> None:
    """``openssl rehash`` names each CA <subject hash>.N: real-world names in many encodings.

    Here from their RFC 4514 text (escapes, not quotes) rather than from DER.
    """
    from loganalyzer.selfcheck.certs import load, name_text

    links = [p for p in SYSTEM_CERTS.iterdir() if re.fullmatch(r"[0-9a-f]{8}\.\d+", p.name)]
    if not links:
        pytest.skip("no hash links in /etc/ssl/certs")
    loaded = [(p, load([p]).certs) for p in links]
    names = [(p.name.split(".")[0], name_text(c[0].x509.subject.public_bytes()))
             for p, c in loaded if c]
    assert len(names) > 10
    assert [(h, n) for h, n in names if dn_hash(n) != h] == []


@pytest.mark.parametrize("dn", [
    "no equals sign", "FOO=bar, CN=x", "CN=#zz", "CN=#0c05ab", "CN=bad\\C3", "=x",
])
def test_a_dn_that_cannot_be_encoded_has_no_hash(dn: str) -> None:
    assert dn_hash(dn) == ""


def test_der_of_a_printed_dn_reverses_the_rdns() -> None:
    from loganalyzer.jsse.dn import name_entries

    rdns = name_entries(dn_der("CN=Leaf + OU=Unit, O=Org, C=US"))
    assert [{oid for oid, *_ in rdn} for rdn in rdns] == [
        {"2.5.4.6"}, {"2.5.4.10"}, {"2.5.4.3", "2.5.4.11"}]
