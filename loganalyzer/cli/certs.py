"""``loganalyzer certs FILE…``: split, verify and check the certificate files the KB asks for."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import FailOn, ReportFormat
from loganalyzer.cli.app import app
from loganalyzer.cli.options import PASSWORD_ENV_OPTION, passwords
from loganalyzer.cli.selfcheck import (
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    OUTPUT_OPTION,
    REDACT_OPTION,
    emit,
)


@app.command()
def certs(
    files: list[str] = typer.Argument(..., help="PEM bundles, single PEMs, DER, PKCS#12 files."),
    split: Path | None = typer.Option(
        None, "--split", metavar="DIR",
        help="Write the KB's three PEM files into DIR: private key + leaf (mode 0600), leaf, "
             "intermediates + root."),
    password_env: str | None = PASSWORD_ENV_OPTION,
    format: ReportFormat = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    redact: bool = REDACT_OPTION,
) -> None:
    """Check certificate files the way the KB does: chain, hashes, EKU, validity and key.

    It checks the chain leaf -> intermediates -> root (signatures, names, and
    the subject/issuer hashes `openssl x509 -hash -issuer_hash` prints),
    Extended Key Usage "TLS Web Client Authentication", self-signed leaf,
    validity, key size, and that the private key matches; it says what is not
    PEM and how to convert it.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1
    at least one such finding; 2 usage error or a file that could not be read
    (garbage, wrong password).
    """
    from loganalyzer.selfcheck.combine import run

    password, ask = passwords(password_env)
    check = run(cert_files=files, password=password, ask=ask,
                split_dir=str(split) if split else None)
    check.command = "certs"
    emit(check, format, fail_on, output, redact)
