"""The built documentation, checked in a real (headless) browser.

Serves ``docs/_build/html`` from a local HTTP server on 127.0.0.1 and opens
every page in headless Chromium through Selenium, then checks what a reader
would see: formulas typeset by the vendored MathJax (no raw TeX left), every
image loaded, every internal link pointing at a file and anchor that exist, no
errors on the browser console, and nothing fetched from another host (the site
must work offline).

Skipped when the site has not been built or Chromium, chromedriver or Selenium
is missing, unless ``JAXNN_REQUIRE_DOCS_BROWSER=1`` (``.ci/run`` sets it after
building the docs), in which case any of those is a failure.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
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
    try { await MathJax.startup.promise; report.mathjaxError = null; }
    catch (e) { report.mathjaxError = String(e); }
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
            driver.get(base + rel)
            report = driver.execute_async_script(_INSPECT)
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
