"""The built documentation, checked in a real (headless) browser.

Serves ``docs/_build/html`` from a local HTTP server on 127.0.0.1 and opens
every page in headless Chromium through Selenium, then checks what a reader
would see: formulas typeset by the vendored MathJax (no raw TeX left) and
none wider than the text column, every image loaded, every internal link
pointing at a file and anchor that exist, no errors on the browser console,
nothing fetched from another host (the site must work offline), API
signatures as a user writes them (no reprs, no private module paths), every
API page linked to a page that explains its name and back, code that fits
the column, padded tables, and chapter pages whose checks are folded away.

Skipped when the site has not been built or Chromium, chromedriver or Selenium
is missing, unless ``JAXNN_REQUIRE_DOCS_BROWSER=1`` (``.ci/run`` sets it after
building the docs), in which case any of those is a failure.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML_DIR = ROOT / "docs" / "_build" / "html"
REQUIRED = os.environ.get("JAXNN_REQUIRE_DOCS_BROWSER") == "1"
# Folders of the build that hold assets or sources, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads", "reports", ".doctrees"}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
)
# Raw TeX that MathJax should have replaced.
RAW_TEX = ("\\(", "\\)", "\\[", "\\]", "$$", "\\frac", "\\begin{")
# What a signature must never show: reprs, private modules, autodoc's "~".
BAD_IN_SIGNATURES = ("<function", "<class", " at 0x", "_src", "jaxnn._", "~")
API_PAGES = "api/generated/"
# The pages a student reads as a chapter, and the how-to pages: their checks
# must be folded away, not in the reader's path.
READ_AS_PROSE = (
    "layers.html",
    "perceptron.html",
    "sigmoid.html",
    "nonlinearity.html",
    "relu.html",
    "networks.html",
    "logistic.html",
    "scaling.html",
    "howto/",
)


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"JAXNN_REQUIRE_DOCS_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _pages() -> list[Path]:
    return sorted(
        p
        for p in HTML_DIR.rglob("*.html")
        if not NOT_PAGES.intersection(p.relative_to(HTML_DIR).parts)
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


_HREF = re.compile(r"<a\s[^>]*\bhref=")


@functools.cache
def _anchors(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


# Runs in the page: waits for MathJax (when the page loaded it) and for every
# image, then reports what the checks need.
_INSPECT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const report = {};
  report.mathElements = document.querySelectorAll(
      "span.math, div.math, .math.notranslate").length;
  report.mathjax = Boolean(window.MathJax && MathJax.startup);
  if (report.mathjax) {
    // startup.promise can resolve before the first typeset has begun on a
    // loaded machine: wait (up to 20 s) until every formula is typeset.
    const typeset = () => document.querySelectorAll("mjx-container").length;
    const deadline = Date.now() + 20000;
    try {
      await MathJax.startup.promise;
      while (typeset() < report.mathElements && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 200));
        await MathJax.startup.promise;
      }
      report.mathjaxError = null;
    } catch (e) { report.mathjaxError = String(e); }
  }
  report.typeset = document.querySelectorAll("mjx-container").length;
  report.mathErrors = Array.from(document.querySelectorAll("mjx-merror, merror"))
      .map(e => e.getAttribute("data-mjx-error") || e.textContent).slice(0, 5);
  for (const img of document.images) { img.loading = "eager"; }
  await Promise.all(Array.from(document.images).map(
      img => img.decode().catch(() => null)));
  report.images = Array.from(document.images).map(
      img => [img.src, img.complete && img.naturalWidth > 0]);
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA",
                        "MJX-ASSISTIVE-MML", "NOSCRIPT"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
  report.text = texts.join(" ");
  report.links = Array.from(document.querySelectorAll("a[href]")).map(a => a.href);
  report.signatures = Array.from(document.querySelectorAll("dt.sig"))
      .map(e => e.textContent.replace(/\s+/g, " "));
  report.url = location.href;
  report.explained = Array.from(
      document.querySelectorAll("p.jaxnn-explained a[href]")).map(a => a.href);
  const article = document.querySelector("article.bd-article") || document.body;
  const column = article.getBoundingClientRect();
  // Display math wider than the text column (clipped or scrolled).
  report.wideMath = Array.from(
      document.querySelectorAll("mjx-container[display='true']"))
      .filter(e => e.getBoundingClientRect().right > column.right + 1
                   || e.scrollWidth > e.clientWidth + 1)
      .map(e => (e.querySelector("mjx-assistive-mml") || e).textContent
                 .slice(0, 60));
  // Code (not output) that scrolls sideways.
  report.wideCode = Array.from(document.querySelectorAll("div.highlight pre"))
      .filter(e => !e.closest("div.cell_output"))
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.textContent.split("\n").reduce(
           (a, b) => (b.length > a.length ? b : a), ""));
  // Table cells of cell outputs without horizontal padding.
  report.unpaddedCells = Array.from(
      document.querySelectorAll("div.cell_output td")).filter(
      e => parseFloat(getComputedStyle(e).paddingLeft) < 4).length;
  // Code lines a reader sees without opening anything.
  report.visibleCode = Array.from(
      document.querySelectorAll("div.cell_input pre"))
      .filter(e => !e.closest("details:not([open])"))
      .flatMap(e => e.textContent.split("\n"));
  report.resources = performance.getEntriesByType("resource").map(r => r.name);
  done(report);
})().catch(e => done({fatal: String(e)}));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every page visited once: {"base": url, "pages": {relpath: report}}."""
    if not (HTML_DIR / "index.html").is_file():
        _unavailable(f"the docs are not built ({HTML_DIR / 'index.html'} is missing)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[docs]')")
    chromium = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if chromium is None or driver_path is None:
        _unavailable("chromium or chromedriver is not installed")

    handler = functools.partial(_Quiet, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        pages: dict[str, dict[str, Any]] = {}
        for path in _pages():
            rel = path.relative_to(HTML_DIR).as_posix()
            source = path.read_text(encoding="utf-8")
            # Once in a CI run, a page reported none of its "Explained on"
            # links although its HTML has them: the DOM inspected was not
            # the whole page. Such a page (fewer links than its HTML, or
            # another URL) is loaded again, once.
            for _attempt in range(2):
                driver.get(base + rel)
                report = driver.execute_async_script(_INSPECT)
                whole = "fatal" not in report and report["url"] == base + rel
                whole = whole and len(report["links"]) >= len(_HREF.findall(source))
                if whole:
                    break
            report["html"] = source
            report["console"] = [
                entry["message"]
                for entry in driver.get_log("browser")
                if entry["level"] == "SEVERE"
            ]
            pages[rel] = report
        yield {"base": base, "pages": pages}
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def test_every_page_was_inspected(site: dict[str, Any]) -> None:
    pages = site["pages"]
    assert "index.html" in pages
    assert len(pages) >= 10, sorted(pages)
    fatal = {rel: r["fatal"] for rel, r in pages.items() if "fatal" in r}
    assert not fatal, fatal


def test_math_is_typeset(site: dict[str, Any]) -> None:
    problems = []
    typeset_pages = 0
    for rel, report in site["pages"].items():
        if report.get("mathElements", 0) == 0:
            continue
        if not report["mathjax"]:
            problems.append(f"{rel}: has math but MathJax did not load")
            continue
        if report["mathjaxError"]:
            problems.append(f"{rel}: MathJax failed: {report['mathjaxError']}")
        if report["typeset"] < report["mathElements"]:
            problems.append(
                f"{rel}: {report['mathElements']} math elements but only "
                f"{report['typeset']} typeset"
            )
        if report["mathErrors"]:
            problems.append(f"{rel}: TeX errors {report['mathErrors']}")
        raw = [tex for tex in RAW_TEX if tex in report["text"]]
        if raw:
            problems.append(f"{rel}: raw TeX visible: {raw}")
        typeset_pages += 1
    assert not problems, "\n".join(problems)
    # The formula pages must actually have math.
    assert typeset_pages >= 6, typeset_pages


def test_images_load(site: dict[str, Any]) -> None:
    broken = [
        f"{rel}: {src}"
        for rel, report in site["pages"].items()
        for src, ok in report["images"]
        if not ok
    ]
    assert not broken, "\n".join(broken)
    n_images = sum(len(r["images"]) for r in site["pages"].values())
    assert n_images >= 8, n_images  # the pages' figures are there


def test_internal_links_resolve(site: dict[str, Any]) -> None:
    base = site["base"]
    broken = []
    for rel, report in site["pages"].items():
        for href in report["links"]:
            if not href.startswith(base):
                continue
            url = urllib.parse.urlsplit(href)
            target = HTML_DIR / urllib.parse.unquote(url.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{rel}: {href} (no such file)")
                continue
            fragment = urllib.parse.unquote(url.fragment)
            if fragment and fragment not in _anchors(target):
                broken.append(f"{rel}: {href} (no anchor #{fragment})")
    assert not broken, "\n".join(broken)


def test_no_console_errors(site: dict[str, Any]) -> None:
    errors = [
        f"{rel}: {message}"
        for rel, report in site["pages"].items()
        for message in report["console"]
    ]
    assert not errors, "\n".join(errors)


def test_nothing_is_fetched_from_another_host(site: dict[str, Any]) -> None:
    base = site["base"]
    external = sorted(
        {
            f"{rel}: {name}"
            for rel, report in site["pages"].items()
            for name in report["resources"]
            if not name.startswith((base, "data:", "blob:"))
        }
    )
    assert not external, "\n".join(external)


def _api_pages(site: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        rel: report
        for rel, report in site["pages"].items()
        if rel.startswith(API_PAGES)
    }


def test_signatures_read_as_written(site: dict[str, Any]) -> None:
    pages = _api_pages(site)
    assert len(pages) >= 40, sorted(pages)
    bad = [
        f"{rel}: {signature}"
        for rel, report in pages.items()
        for signature in report["signatures"]
        if any(token in signature for token in BAD_IN_SIGNATURES)
    ]
    assert not bad, "\n".join(bad)
    # Defaults are spelled as a user writes them.
    mlp = " ".join(site["pages"][f"{API_PAGES}jaxnn.mlp.html"]["signatures"])
    assert "= jaxnn.relu" in mlp, mlp


def test_api_pages_link_to_their_explanation_and_back(site: dict[str, Any]) -> None:
    base = site["base"]
    problems = []
    for rel, report in _api_pages(site).items():
        targets = [
            href
            for href in report["explained"]
            if href.startswith(base) and API_PAGES not in href
        ]
        if not targets:
            problems.append(f"{rel}: no link to a page that explains it")
            continue
        for href in targets:
            page = urllib.parse.urlsplit(href).path.lstrip("/")
            links = site["pages"].get(page, {}).get("links", [])
            if not any(rel in link for link in links):
                problems.append(f"{rel}: {page} does not link back to it")
    assert not problems, "\n".join(problems)


def test_math_fits_the_column(site: dict[str, Any]) -> None:
    wide = [
        f"{rel}: {text}"
        for rel, report in site["pages"].items()
        for text in report["wideMath"]
    ]
    assert not wide, "\n".join(wide)


def test_code_fits_the_column(site: dict[str, Any]) -> None:
    # The pages' code, not the package's source as viewcode shows it
    # (_modules/, 88 columns, where scrolling is expected).
    wide = [
        f"{rel}: {line.strip()[:70]} ({len(line)} characters)"
        for rel, report in site["pages"].items()
        if not rel.startswith("_modules/")
        for line in report["wideCode"]
    ]
    assert not wide, "\n".join(wide)


def test_tables_are_padded(site: dict[str, Any]) -> None:
    unpadded = {
        rel: report["unpaddedCells"]
        for rel, report in site["pages"].items()
        if report["unpaddedCells"]
    }
    assert not unpadded, unpadded


def test_checks_are_folded_away(site: dict[str, Any]) -> None:
    shown = []
    for rel, report in site["pages"].items():
        if not rel.startswith(READ_AS_PROSE):
            continue
        for line in report["visibleCode"]:
            code = line.strip()
            if code.startswith(("assert ", "np.testing.")):
                shown.append(f"{rel}: {code[:70]}")
    assert not shown, "\n".join(shown)
    # And the checks are there, folded: every chapter page has some.
    for page in READ_AS_PROSE:
        if page.endswith(".html"):
            assert "Show the checks" in site["pages"][page]["html"], page


def test_no_private_paths_in_the_reference(site: dict[str, Any]) -> None:
    # Module paths shown as text on API pages (viewcode's [source] links may
    # point into private modules; what the reader reads may not).
    bad = [
        f"{rel}: {token}"
        for rel, report in _api_pages(site).items()
        for token in ("jaxnn._", "jax._src", "jaxlib._jax")
        if token in report["text"]
    ]
    assert not bad, "\n".join(bad)
