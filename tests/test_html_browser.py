"""The HTML report: one self-contained file, checked as markup and rendered in a real browser.

The browser test (marked ``browser``) runs headless Chromium on the file written by
``analyze --format html -o``, checks the rendered text and takes a screenshot; it is skipped where
no Chromium is installed (Debian: ``apt-get install chromium chromium-driver``). Set
``LOGANALYZER_SCREENSHOT_DIR`` to keep the screenshot somewhere to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.reporters.html import render_document
from loganalyzer.reporters.document import analyze_document, parse_document
from loganalyzer.reporters.redaction import redact_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json"))
FAILING = "sample_logs/jdk21-tls12-ca-mismatch-tm"
_RULES = load_rules()
_EXTERNAL = ("http", "//", "src=", "@import", "url(")
_FETCHING_TAGS = {
    "script",
    "link",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "source",
    "video",
    "audio",
    "track",
    "base",
    "form",
    "picture",
    "svg",
    "use",
    "image",
    "meta",
}


class _Markup(HTMLParser):
    """Tags, attributes and style sheets of a page, apart from its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag) -> None:
        self._in_style = False

    def handle_data(self, data) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _page(folder: Path, redact: bool = False) -> str:
    reading = read([str(folder)])
    doc = analyze_document(reading, diagnose(reading, _RULES))
    return render_document(redact_document(doc) if redact else doc)


def _assert_self_contained(page: str) -> None:
    markup = _Markup()
    markup.feed(page)
    for tag, attrs in markup.tags:
        # the one meta kind allowed: charset and viewport, which fetch nothing
        if tag == "meta":
            assert set(attrs) <= {"charset", "name", "content"}, attrs
            continue
        assert tag not in _FETCHING_TAGS, tag
        for name, value in attrs.items():
            assert name not in (
                "src",
                "srcset",
                "action",
                "formaction",
                "data",
                "poster",
                "background",
            ), (tag, name)
            assert not name.startswith("on"), (tag, name)  # no scripts in attributes either
            if name == "href":
                assert value and value.startswith("#"), value
            if name == "style":
                assert "url(" not in (value or ""), value
    css = "".join(markup.styles)
    for needle in _EXTERNAL:
        assert needle not in css, needle
    # outside of the text nodes (log text may quote a URL), nothing points anywhere
    skeleton = "".join(f"<{tag} {attrs}>" for tag, attrs in markup.tags) + css
    for needle in _EXTERNAL:
        assert needle not in skeleton, needle


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_html_report_is_self_contained(folder: Path) -> None:
    _assert_self_contained(_page(folder))


def _write_report(target: Path) -> subprocess.CompletedProcess:
    """``loganalyzer analyze FAILING --format html -o target``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "loganalyzer", "analyze", FAILING, "--format", "html",
         "-o", str(target)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def test_the_failing_report_file_has_no_external_reference_at_all(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    out = _write_report(target)
    assert out.returncode == 1 and out.stdout == "", out.stderr
    page = target.read_text(encoding="utf-8")
    # the one address a page may show is the KB article each fix cites, as text to copy, never
    # as a link: apart from those lines, not even text names an address
    sources = re.findall(r'<p class="meta source">Source: <span class="mono">([^<]*)</span></p>',
                         page)
    assert sources and all(s.startswith("https://support.servicenow.com/kb?") for s in sources)
    bare = re.sub(r'<p class="meta source">Source: <span class="mono">[^<]*</span></p>', "", page)
    for needle in _EXTERNAL:
        assert needle not in bare, needle
    _assert_self_contained(page)


def test_the_page_escapes_log_text() -> None:
    """Log text is shown, never interpreted: a thread or DN holding markup stays text."""
    reading = read([str(ROOT / FAILING)])
    doc = analyze_document(reading, diagnose(reading, _RULES))
    doc["handshakes"][0]["thread"] = '<script>alert("x")</script>'
    doc["diagnoses"][0]["evidence"][0]["text"] = '<img src="https://example.com/x.png">'
    page = render_document(doc)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=" in page


def test_parse_documents_render_too() -> None:
    page = render_document(parse_document(read([str(ROOT / FAILING)])))
    assert "TLS handshakes in" in page and "diagnosis" not in page.split("<main>")[1]
    _assert_self_contained(page)


def test_redacted_page_says_so() -> None:
    page = _page(ROOT / FAILING, redact=True)
    assert "REDACTED" in page and "Acme" not in page
    _assert_self_contained(page)


# ----------------------------------------------------------------------------- a real browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",  # offline: any fetch fails
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.browser
def test_chromium_renders_the_report_with_cause_and_fix(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium chromium-driver)")
    report = tmp_path / "report.html"
    out = _write_report(report)
    assert out.returncode == 1, out.stderr
    url = report.resolve().as_uri()

    dom = _run_chromium(browser, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom.stdout))
    for needle in (
        "MID Server mutual TLS analysis",
        "ca-chain-incomplete",
        "confirmed",
        "The instance's CA list does not cover the MID Server's certificate chain",
        "Compare the 'certificate authorities' of the CertificateRequest",
        "Errors: Certificate chain incomplete",
        "wrapper.log:780",
        "TLS handshakes in",
        "failed: received handshake_failure",
    ):
        assert needle in text, needle

    shot = tmp_path / "report.png"
    run = _run_chromium(
        browser,
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        url,
    )
    assert run.returncode == 0, run.stderr
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(png) > 50_000  # a page of text and colour, not a blank sheet
    keep = os.environ.get("LOGANALYZER_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "analyze-html-report.png")
        shutil.copy(report, Path(keep) / "analyze-html-report.html")
