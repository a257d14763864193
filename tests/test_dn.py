"""Distinguished names as JSSE prints them, and the TLS 1.2 list of CA names (``loganalyzer.jsse.dn``).

The lists come from REAL sample logs: every ``"certificate authorities": [`` line in
``sample_logs/*/wrapper.log``, whose right split is the ``ca_names_sent`` of the same folder's
``expected.json`` (decoded from the server's own output). The RFC 4514 / RFC 1779 corners (quoted
values with commas, escaped quotes, ``+`` multi-valued RDNs, DC-first names, ``OID.n=#hex``
values, a ``]`` inside a value) are typed by hand, in the form ``X500Principal.toString()``
gives them (``shared/reference/jsse-debug-formats.md`` §2.2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loganalyzer.ingest.sources import decode_line
from loganalyzer.jsse.dn import atom_type, atoms, normalise, same_dn, split_list

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
