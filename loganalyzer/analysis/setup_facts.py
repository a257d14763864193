"""Facts about the MID Server's set-up: certificate files, config.xml, endpoint, cross-check.

They describe its certificate files, its config.xml, the live endpoint, and the cross-check of
the two.

The self-check reads these inputs (:mod:`loganalyzer.selfcheck`) and describes each as one flat
record, like :mod:`loganalyzer.analysis.facts` does for a handshake; rules in ``rules/setup/``
are written against these dataclasses and compiled against them at load time (three-way answers
are :data:`~loganalyzer.vocabulary.Tri` strings, as in the log facts). So a certificate
check is data, like a log check: a fact here, a condition and a fix in a rule file.

Each record travels with its :class:`Located` evidence: the file lines (or the URL) that a rule's
``evidence`` names point at, so a diagnosis cites where its fact was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loganalyzer.analysis.diagnoses import Evidence
from loganalyzer.vocabulary import TRI_VALUES, UNKNOWN

VALIDITY = frozenset({"", "valid", "expiring", "expired", "not-yet-valid"})


@dataclass(slots=True)
class CertFacts:
    """One set of certificate and key files (what ``certs`` or ``self-check --certs`` read)."""

    files: str = ""  # the file names, comma-separated
    # -- forms
    pkcs7_file: str = ""  # a file holding a PKCS#7 bundle ("" when none): PEM is wanted
    der_file: str = ""  # a file holding a lone DER certificate ("" when none)
    ignored_blocks: list[str] = field(default_factory=list)  # PEM labels that are no cert or key
    # -- keys
    keys: int = 0  # private keys found (readable or not)
    usable_keys: int = 0  # private keys that could be read
    key_file: str = ""  # the file holding the key the leaf goes with (or the first key)
    # pkcs8 | pkcs8-encrypted | pkcs1 | sec1 | dsa | der | pkcs12 | jks ("" none)
    key_form: str = ""
    key_encrypted_unread: bool = False  # encrypted and no password: not compared with the leaf
    key_matches: str = UNKNOWN  # the key belongs to the leaf (unknown: no key, or unread)
    key_described: str = ""  # "RSA 2048 bits" of the chosen key
    # -- keystore entries (JKS, JCEKS, PKCS#12), as keytool -list lists them
    aliases: list[str] = field(default_factory=list)  # every alias, sorted as keytool sorts them
    key_aliases: list[str] = field(default_factory=list)  # the aliases of private-key entries
    # the private-key alias Java's SunX509 key manager presents ("" when no keystore holds a key,
    # or when the instance's key type and CA names decide between them)
    presented_alias: str = ""
    # the presented alias's key pair would do: a valid clientAuth certificate, RSA >= 2048 bits,
    # with its own key (unknown: no presented alias)
    presented_fits: str = UNKNOWN
    presented_flaws: list[str] = field(default_factory=list)  # why it would not ("expired on …")
    fitting_aliases: list[str] = field(default_factory=list)  # private-key aliases that would do
    # for the detail text: the private-key aliases and which one SunX509 presents, in words
    key_choice: str = ""
    # -- the leaf (the certificate the key belongs to, else the one that issued none)
    certificates: int = 0
    leaf: str = ""  # subject DN ("" when no certificate was read)
    leaf_issuer: str = ""
    leaf_issuer_hash: str = ""
    leaf_key: str = ""  # "RSA 2048 bits", "EC secp256r1"
    leaf_key_algorithm: str = ""  # RSA | EC | DSA | Ed25519 | Ed448
    leaf_key_bits: int = 0
    leaf_eku: list[str] = field(default_factory=list)  # openssl's names
    leaf_eku_present: bool = False
    # clientAuth (or anyExtendedKeyUsage) is listed; unknown: no EKU
    leaf_client_auth: str = UNKNOWN
    leaf_digital_signature: str = UNKNOWN  # Key Usage has digitalSignature; unknown: no Key Usage
    leaf_self_signed: bool = False
    leaf_validity: str = ""  # valid | expiring | expired | not-yet-valid
    leaf_not_before: str = ""
    leaf_not_after: str = ""
    leaf_days_left: int = 0
    # -- the chain the files hold, leaf to root
    chain: str = ""  # "subject (hash h) <- ..." as the report prints it
    chain_end: str = ""  # self-signed | missing | bad-signature ("" when no leaf)
    missing_issuer: str = ""  # the issuer not in the files (chain_end missing)
    missing_issuer_hash: str = ""
    missing_below: str = ""  # the certificate that names it
    missing_kind: str = ""  # root | issuing
    bad_signature_subject: str = ""
    bad_signature_issuer: str = ""
    cas_expired: list[str] = field(default_factory=list)  # CA subjects expired or not yet valid
    cas_expiring: list[str] = field(default_factory=list)
    order_ok: bool = True  # the key's file is ordered leaf, intermediates, root


@dataclass(slots=True)
class ConfigFacts:
    """One MID Server ``config.xml``."""

    path: str = ""
    url_state: str = ""  # https | not-https | missing | encrypted
    url: str = ""
    url_host: str = ""
    under_servicenow: bool = False  # the host ends in .service-now.com or .servicenow.com
    target_endpoint_set: bool = False
    basic_auth_user: str = ""  # the user name parameter that is set ("" none)
    basic_auth_password_only: bool = False  # a password parameter with no user name
    mutual_flag_off: str = ""  # a "*mutual*" parameter set to false ("" none)
    check_cert_off: list[str] = field(default_factory=list)  # hostname | chain | revocation: false
    check_cert_values: str = ""  # "hostname=true, chain=(default true), ..." for the detail text
    instance_policy: str = ""  # mid.ssl.use.instance.security.policy: true | false | "" (absent)
    duplicates: list[str] = field(default_factory=list)  # parameter names set twice
    proxy: str = ""  # mid.proxy.host:port when a proxy is configured


@dataclass(slots=True)
class ProbeFacts:
    """What the live probe of the instance endpoint showed."""

    url: str = ""
    http_answered: bool = False
    server_header: str = ""
    adcv2: str = UNKNOWN  # Server: snow_adc; unknown: no HTTP answer
    supports_tls: str = ""  # the /adcv2/supports_tls answer ("" none)
    handshake: str = ""  # completed | failed | "" (not tried)
    handshake_error: str = ""
    cert_requested: str = UNKNOWN
    ca_names: list[str] = field(default_factory=list)
    # with the client certificate: accepted (requested, sent, and the request after it answered),
    # completed (no answer after it), rejected, not-requested, "" (no certificate to try)
    with_cert: str = ""
    with_cert_error: str = ""
    # -- the server's certificate, verified with the stdlib against trust_store
    proxy: str = ""  # host:port of the HTTP CONNECT proxy the probe went through ("" none)
    trust_store: str = ""  # "bundle FILE" or "the system store" ("" when not verified)
    server_subject: str = ""  # subject DN of the server's (leaf) certificate
    server_issuer: str = ""  # its issuer DN
    server_chain: str = ""  # the certificates the server sent, "subject <- subject ..."
    server_trusted: str = UNKNOWN  # the chain verifies; unknown: the check did not get that far
    server_verify_error: str = ""  # OpenSSL's verify error ("unable to get local issuer ...")
    hostname_ok: str = UNKNOWN  # the certificate names the host probed
    # a CA name of the server chain has the wording of a TLS-inspection CA (the log side's
    # INSPECTION_CA_WORDS); unknown: no certificate was received
    inspection_issuer: str = UNKNOWN


@dataclass(slots=True)
class CrossFacts:
    """The client certificate's chain against one list of CA names the instance sent."""

    source: str = ""  # logs | probe
    ca_names: list[str] = field(default_factory=list)
    ca_names_text: str = ""  # "; "-joined, for the detail text
    chain_covered: bool = True  # an issuer of the chain is among the names
    leaf: str = ""
    leaf_issuer: str = ""
    leaf_issuer_hash: str = ""
    chain: str = ""  # the CAs above the leaf, "subject (hash h) <- ..."
    seen_where: str = ""  # file:line of the log, or the URL


@dataclass(slots=True)
class InstanceFacts:
    """The instance's records of mutual authentication, read with the Table API.

    They are compared with the MID Server's chain (from ``--certs``) and its name (config.xml
    or ``--mid-name``). Each check is "" when it had no input (no chain, no leaf, no MID Server
    name), unknown when it could not be made (a table not readable, a column not found), and
    otherwise its finding.
    """

    url: str = ""
    # plugin com.glide.auth.mutual: active | inactive | missing (no record) | unknown
    plugin: str = UNKNOWN
    # -- the CAs of the MID Server's chain against sys_ca_certificate ("" no chain given)
    ca_check: str = ""  # done | unknown
    cas: list[str] = field(default_factory=list)  # the chain's CA subjects compared
    cas_missing: list[str] = field(default_factory=list)  # in no record
    cas_inactive: list[str] = field(default_factory=list)  # only in inactive records
    cas_intermediate: list[str] = field(default_factory=list)  # in a record of type Intermediate
    # in a record whose Publish Status is not Exists yet: "subject (status)"
    cas_unpublished: list[str] = field(default_factory=list)
    ca_columns: str = ""  # the columns used, "Publish Status = publish_status, ..."
    # -- the leaf against sys_user_certificate ("" no leaf given)
    leaf: str = ""
    leaf_fingerprint: str = ""  # SHA-256, as openssl prints it
    # active | inactive | missing (no record holds the leaf) | mismatch (the MID Server's record
    # holds another certificate) | unknown
    user_cert: str = ""
    user_cert_record: str = ""  # the record's name (or sys_id)
    user_cert_fingerprint: str = ""  # the fingerprint the mismatching record holds
    user_cert_column: str = ""  # the column the fingerprint was read from
    # -- the MID Server record (ecc_agent) ("" no MID Server name known)
    mid_name: str = ""
    mid_record: str = ""  # found | missing | unknown
    mid_mutual: str = UNKNOWN  # "Is using mutual authentication?" (unknown: not read)
    # the checks that could not be made, with why: the report is then never clean
    unchecked: list[str] = field(default_factory=list)


#: scope name -> facts dataclass; the rule loader compiles each setup rule against its scope's.
SETUP_FACT_CLASSES: dict[str, type] = {
    "certs": CertFacts,
    "config": ConfigFacts,
    "probe": ProbeFacts,
    "cross-check": CrossFacts,
    "instance": InstanceFacts,
}

#: The values each string fact can take, so that a mistyped literal fails at load time.
SETUP_FACT_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "certs": {
        "key_matches": TRI_VALUES,
        "presented_fits": TRI_VALUES,
        "leaf_client_auth": TRI_VALUES,
        "leaf_digital_signature": TRI_VALUES,
        "leaf_validity": VALIDITY,
        "chain_end": frozenset({"", "self-signed", "missing", "bad-signature"}),
        "missing_kind": frozenset({"", "root", "issuing"}),
        "key_form": frozenset({"", "pkcs8", "pkcs8-encrypted", "pkcs1", "sec1", "dsa", "der",
                               "pkcs12", "jks", "jceks"}),
        "leaf_key_algorithm": frozenset({"", "RSA", "EC", "DSA", "Ed25519", "Ed448", "other"}),
    },
    "config": {
        "url_state": frozenset({"https", "not-https", "missing", "encrypted"}),
        "check_cert_off": frozenset({"hostname", "chain", "revocation"}),
        "instance_policy": frozenset({"", "true", "false"}),
    },
    "probe": {
        "adcv2": TRI_VALUES,
        "cert_requested": TRI_VALUES,
        "handshake": frozenset({"", "completed", "failed"}),
        "with_cert": frozenset({"", "accepted", "rejected", "not-requested", "completed"}),
        "server_trusted": TRI_VALUES,
        "hostname_ok": TRI_VALUES,
        "inspection_issuer": TRI_VALUES,
    },
    "cross-check": {"source": frozenset({"logs", "probe"})},
    "instance": {
        "plugin": frozenset({"active", "inactive", "missing", UNKNOWN}),
        "ca_check": frozenset({"", "done", UNKNOWN}),
        "user_cert": frozenset({"", "active", "inactive", "missing", "mismatch", UNKNOWN}),
        "mid_record": frozenset({"", "found", "missing", UNKNOWN}),
        "mid_mutual": TRI_VALUES,
    },
}

#: Evidence a setup rule may name, per scope: what each name points at.
SETUP_EVIDENCE: dict[str, dict[str, str]] = {
    "certs": {
        "leaf": "the client (leaf) certificate's place in its file",
        "key": "the private key's place in its file",
        "chain_end": "the certificate whose issuer is missing or did not sign it",
        "cas": "the CA certificates that are expired or expire soon",
        "files": "the files in a form other than PEM, or with ignored blocks",
        "second_key": "the second private key",
        "aliases": "each private-key entry of the keystore: its certificate, whether it would do, "
                   "and the one SunX509 presents",
    },
    "config": {
        "url": "the url parameter",
        "user": "the basic-authentication user name or password parameter",
        "mutual_flag": "the parameter that switches mutual authentication off",
        "check_cert": "the check_cert_* parameters set to false",
        "policy": "mid.ssl.use.instance.security.policy",
        "duplicates": "the parameters set twice",
        "file": "config.xml itself",
    },
    "probe": {
        "endpoint": "the instance URL probed, with what it answered",
        "server_certificate": "the server's certificate chain and how it verified",
    },
    "cross-check": {
        "ca_names": "where the instance's CA names were seen (log line or probe)",
        "leaf": "the client certificate and its issuer",
    },
    "instance": {
        "plugin": "the v_plugin record of com.glide.auth.mutual (or that there is none)",
        "missing_cas": "each CA of the chain that no sys_ca_certificate record holds, in its file",
        "inactive_cas": "the inactive sys_ca_certificate records of the chain's CAs",
        "intermediate_cas": "the sys_ca_certificate records of type Intermediate Cert",
        "unpublished_cas": "the sys_ca_certificate records whose Publish Status is not Exists",
        "user_certificate": "the sys_user_certificate record of the leaf, or the MID Server's",
        "leaf": "the client (leaf) certificate's place in its file, with its fingerprint",
        "mid_record": "the MID Server's ecc_agent record",
        "ca_columns": "the sys_ca_certificate columns read, found by their labels",
        "user_columns": "the sys_user_certificate columns read, found by their labels",
    },
}


#: One evidence line of a set-up fact: a file and line (0: the whole file, or a URL), and text.
#: The log diagnoses' evidence type, so a self-check diagnosis cites the same way.
Located = Evidence


@dataclass(slots=True)
class Observation:
    """One input described for the setup rules: its scope, its facts, and its evidence by name.

    ``subject`` names what was checked (a file list, config.xml's path, the URL) for the report.
    """

    scope: str
    subject: str
    facts: CertFacts | ConfigFacts | ProbeFacts | CrossFacts | InstanceFacts
    evidence: dict[str, list[Located]] = field(default_factory=dict)

    def lines(self, names: tuple[str, ...]) -> list[Located]:
        """The evidence lines of ``names``, in that order, each line once."""
        out: list[Located] = []
        seen: set[tuple[str, int, str]] = set()
        for name in names:
            for item in self.evidence.get(name, []):
                key = (item.path, item.line, item.text)
                if key not in seen:
                    seen.add(key)
                    out.append(item)
        return out
