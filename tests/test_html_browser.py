"""The HTML report: one self-contained file, checked as markup and rendered in a real browser.

The browser tests (marked ``browser``) run headless Chromium; they are skipped where no Chromium
is installed (Debian: ``apt-get install chromium chromium-driver``).

- One renders the file written by ``analyze --format html -o``, checks the rendered text and takes
  a screenshot.
- One opens the report of every sample, of the whole ``sample_logs`` folder and of a self-check in
  windows 1280 and 800 px wide and checks that the page is no wider than the window
  (``document.documentElement.scrollWidth <= innerWidth``) and that no table needs its scroll box.
  It drives one Chromium over the DevTools protocol (``--remote-debugging-pipe``), so the reports
  are opened as they ship, without a script added, and saves screenshots of the page whose
  handshake table used to overflow (an exception name with no break point) at both widths.

Set ``LOGANALYZER_SCREENSHOT_DIR=DIR`` to keep the screenshots (and the report they show) in DIR,
to look at.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.reporters.html import render_document
from loganalyzer.reporters.document import analyze_document, parse_document
from loganalyzer.reporters.redaction import redact_document
from loganalyzer.ruleset.rules import load_rules

from test_certs import pki, run  # noqa: F401  (the session PKI fixture, for a self-check page)
from test_midconfig import MUTUAL

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


_FLAGS = (
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
)


def _run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [browser, *_FLAGS, f"--user-data-dir={profile}", *args]
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


class _DevTools:
    """One headless Chromium, driven over ``--remote-debugging-pipe``.

    The messages are JSON ending in a NUL byte, read by the browser from its fd 3 and answered on
    its fd 4.
    """

    def __init__(self, browser: str, profile: Path) -> None:
        to_browser, self._send = os.pipe()
        self._receive, from_browser = os.pipe()
        # above 4, so that putting them on 3 and 4 in the child cannot overwrite one another
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
        os.close(to_browser)
        os.close(from_browser)

        def on_3_and_4() -> None:
            os.dup2(ends[0], 3)  # dup2 leaves the copies inheritable
            os.dup2(ends[1], 4)

        self._proc = subprocess.Popen(
            # scroll bars hidden, so that innerWidth is the width the page can use
            [browser, *_FLAGS, "--hide-scrollbars", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=on_3_and_4, close_fds=False,
        )
        for fd in ends:
            os.close(fd)
        self._buffer = b""
        self._id = 0
        self._events: list[dict] = []
        self._session: str | None = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                  flatten=True)["sessionId"]
        self.call("Page.enable")

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._receive], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._receive, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, **params: object) -> dict:
        """Send one command (to the page, once attached) and return its result."""
        self._id += 1
        message: dict = {"id": self._id, "method": method, "params": params}
        if self._session:
            message["sessionId"] = self._session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._id:
                assert "error" not in answer, (method, answer["error"])
                return answer["result"]
            self._events.append(answer)

    def open(self, page: Path, width: int) -> None:
        """Load ``page`` in a window ``width`` px wide and wait for its load event."""
        self.resize(width)
        self._events.clear()
        self.call("Page.navigate", url=page.resolve().as_uri())
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._message(deadline))

    def resize(self, width: int, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def evaluate(self, expression: str) -> object:
        return self.call("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"]["value"]

    def screenshot(self, width: int) -> bytes:
        """The whole page of the open document, ``width`` px wide, as PNG."""
        self.resize(width)
        height = int(self.evaluate("document.documentElement.scrollHeight"))  # type: ignore[arg-type]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, EOFError, TimeoutError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._send)
        os.close(self._receive)


WIDTHS = (1280, 800)
# the sample whose handshake table was 1,369 px wide at 1280 and 1,329 px at 800: its outcome
# is an exception name with no break point (sun.security.provider.certpath.SunCert...)
WIDEST = "jdk17-tls12-untrusted-server-tm"
# how wide the page is, and which boxes that may scroll sideways (the tables' .scroll wrappers,
# the header, a diagnosis) would have to
_MEASURE = """({
  page: document.documentElement.scrollWidth,
  window: innerWidth,
  scrolling: [...document.querySelectorAll("body *")]
    .filter(e => getComputedStyle(e).overflowX === "auto" && e.scrollWidth > e.clientWidth)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth} > ${e.clientWidth}`),
})"""


def _reports(tmp_path: Path, pki) -> list[Path]:  # noqa: F811  (pki is the fixture)
    """Every sample's analyze report, the whole folder's, and a self-check's, as HTML files."""
    pages = tmp_path / "pages"
    pages.mkdir()
    out = []
    for folder in FOLDERS:
        out.append(pages / f"{folder.name}.html")
        out[-1].write_text(_page(folder), encoding="utf-8")
    out.append(pages / "sample_logs.html")
    out[-1].write_text(_page(ROOT / "sample_logs"), encoding="utf-8")
    config = tmp_path / "config.xml"
    config.write_text(MUTUAL)
    out.append(pages / "self-check.html")
    done = run("self-check", "--certs", str(pki.dir / "bundle.pem"), "--config", str(config),
               "--logs", FAILING, "--format", "html", "-o", str(out[-1]))
    assert done.returncode == 1, done.stderr
    return out


@pytest.mark.browser
def test_every_report_fits_the_window_at_1280_and_800_px(tmp_path: Path, pki) -> None:  # noqa: F811
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium chromium-driver)")
    pages = _reports(tmp_path, pki)
    chromium = _DevTools(browser, tmp_path / "profile-devtools")
    too_wide, scrolling = [], []
    try:
        for page in pages:
            chromium.open(page, WIDTHS[0])
            for width in WIDTHS:
                chromium.resize(width)
                seen = chromium.evaluate(_MEASURE)
                assert isinstance(seen, dict) and seen["window"] == width, seen
                if seen["page"] > seen["window"]:
                    too_wide.append(f"{page.stem} at {width}: {seen['page']} px")
                scrolling += [f"{page.stem} at {width}: {box}" for box in seen["scrolling"]]
        widest = next(p for p in pages if p.stem == WIDEST)
        chromium.open(widest, WIDTHS[0])
        shots = {width: chromium.screenshot(width) for width in WIDTHS}
    finally:
        chromium.close()
    assert not too_wide, "pages wider than the window:\n" + "\n".join(too_wide)
    # the scroll boxes keep the page in the window whatever a log holds; on the samples, every
    # table fits without one
    assert not scrolling, "boxes that scroll:\n" + "\n".join(scrolling)

    keep = os.environ.get("LOGANALYZER_SCREENSHOT_DIR")
    for width, png in shots.items():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == width
        assert int.from_bytes(png[20:24], "big") > 1500  # the whole page, not one window
        name = f"analyze-html-{width}px.png"
        (tmp_path / name).write_bytes(png)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / name).write_bytes(png)
    if keep:
        shutil.copy(widest, Path(keep) / f"analyze-html-{WIDEST}.html")
