"""The documentation site, opened in a real browser (headless Chromium).

The site is the one ``SKKDECE_DOCS_HTML`` names (CI builds it with
``python -m sphinx -W -b html docs docs/_build/html`` before the tests and
points there), or else the one this module builds into ``docs/_build/html``
when Sphinx and the ``docs`` extra are installed (incrementally: only what
changed is rebuilt, so ``-W`` there sees only the changed pages' warnings;
CI's ``-E -W`` build in ``.ci/run`` is the full check), or else an existing
``docs/_build/html``.

It is served over HTTP on localhost, as a host would, and every page
reachable from the index is visited once in the browser; the tests then check
what that crawl saw: the home page renders, the search finds ``predict_aim``
and links to its API page, every gallery image loads, no internal link or
anchor is broken, and no page logs a JavaScript error.

Where no browser (``chromium`` and ``chromedriver``), no selenium or no site
exists the tests skip, except in CI (``CI=true``), where they fail instead.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DEFAULT_HTML = DOCS / "_build" / "html"
IN_CI = os.environ.get("CI", "").lower() == "true"
DOCS_MODULES = ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser")
PAGE_TIMEOUT = 30


def unavailable(reason):
    """Skip, or in CI fail: there the browser test is required."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test is required)")
    pytest.skip(reason)


def can_build():
    import importlib.util

    return all(importlib.util.find_spec(m) for m in DOCS_MODULES)


@pytest.fixture(scope="session")
def site_dir():
    named = os.environ.get("SKKDECE_DOCS_HTML")
    if named:
        path = Path(named).resolve()
        if not (path / "index.html").is_file():
            pytest.fail(f"SKKDECE_DOCS_HTML={named} holds no index.html")
        return path
    if can_build():
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html"]
            + [str(DOCS), str(DEFAULT_HTML)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"the site does not build:\n{result.stderr}"
        return DEFAULT_HTML
    if (DEFAULT_HTML / "index.html").is_file():
        return DEFAULT_HTML
    unavailable('no built site and no Sphinx to build one (pip install ".[docs]")')


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def browser():
    binary, driver_path = find_chromium(), shutil.which("chromedriver")
    if binary is None or driver_path is None:
        unavailable("no chromium and chromedriver (apt-get install chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("no selenium (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1024",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver: selenium must not try to download one.
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


@dataclass
class Page:
    url: str
    title: str
    links: list
    ids: set
    images: list  # (src, loaded)
    console_errors: list = field(default_factory=list)


# Every image made to load now (lazy ones too), then each one's state.
IMAGES_JS = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach((img) => { img.loading = "eager"; });
Promise.all(images.map((img) => img.decode().catch(() => null))).then(() =>
  done(images.map((img) => [img.currentSrc || img.src,
                            img.complete && img.naturalWidth > 0])));
"""


def wait_loaded(driver):
    deadline = time.monotonic() + PAGE_TIMEOUT
    while driver.execute_script("return document.readyState") != "complete":
        if time.monotonic() > deadline:
            raise TimeoutError(driver.current_url)
        time.sleep(0.05)


def visit(driver, url):
    driver.get(url)
    wait_loaded(driver)
    driver.set_script_timeout(PAGE_TIMEOUT)
    images = driver.execute_async_script(IMAGES_JS)
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.href)"
    )
    ids = set(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('[id]'), e => e.id)"
            ".concat(Array.from(document.querySelectorAll('a[name]'), a => a.name))"
        )
    )
    errors = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    return Page(url, driver.title, links, ids, [tuple(i) for i in images], errors)


def is_internal(url, base_url):
    return url.startswith(base_url)


def is_page(url):
    path = urlparse(url).path
    return path.endswith(".html") or path.endswith("/")


@pytest.fixture(scope="session")
def crawl(browser, base_url):
    """Every HTML page reachable from the index, each visited once."""
    browser.get_log("browser")  # start from an empty log
    pages, queue = {}, [urljoin(base_url, "index.html")]
    while queue:
        url = queue.pop(0)
        if url in pages:
            continue
        pages[url] = page = visit(browser, url)
        for link in page.links:
            target, _ = urldefrag(link)
            if is_internal(target, base_url) and is_page(target):
                if target not in pages and target not in queue:
                    queue.append(target)
    return pages


def test_home_page_renders(browser, base_url):
    browser.get(urljoin(base_url, "index.html"))
    wait_loaded(browser)
    assert "skkdece" in browser.title
    heading = browser.find_element("css selector", "article h1")
    assert heading.text.startswith("skkdece") and heading.is_displayed()
    # The theme's header with the top-level pages, laid out by its stylesheet.
    header = browser.find_element("css selector", "header")
    assert header.is_displayed() and header.size["height"] > 20
    nav = browser.find_element("css selector", "header nav").text
    for page in ("Getting started", "User guide", "API reference", "Gallery"):
        assert page in nav, f"{page!r} missing from the top navigation: {nav!r}"
    text = browser.find_element("css selector", "article").text
    assert "predicts the distribution of an angle" in text


def test_search_finds_predict_aim_and_links_to_its_api_page(browser, base_url):
    browser.get(urljoin(base_url, "search.html?q=predict_aim"))
    wait_loaded(browser)
    # Sphinx shows the results one by one, then says it has finished.
    deadline = time.monotonic() + PAGE_TIMEOUT
    while "Search finished" not in browser.find_element("id", "search-results").text:
        assert time.monotonic() < deadline, "the search did not finish"
        time.sleep(0.1)
    results = browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li a'),"
        " a => a.href)"
    )
    assert results, "the search page found nothing for predict_aim"
    api_hits = [
        url for url in results if "gen_modules/" in url and "predict_aim" in url
    ]
    assert api_hits, f"no result links to an API page's predict_aim: {results}"
    browser.get(api_hits[0])
    wait_loaded(browser)
    _, anchor = urldefrag(api_hits[0])
    target = browser.find_element("id", anchor)
    assert anchor.endswith(".predict_aim")
    assert "predict_aim" in target.text


def test_every_gallery_page_shows_its_figures(crawl, base_url):
    gallery = {
        url: page
        for url, page in crawl.items()
        if "/auto_examples/plot_" in url and url.endswith(".html")
    }
    examples = sorted(p.name for p in (ROOT / "examples").glob("plot_*.py"))
    assert len(gallery) == len(examples), sorted(gallery)
    for url, page in gallery.items():
        figures = [src for src, _ in page.images if "/_images/sphx_glr_" in src]
        assert figures, f"{url} shows no figure"
        broken = [src for src, loaded in page.images if not loaded]
        assert not broken, f"{url}: images that did not load: {broken}"
    index = crawl[urljoin(base_url, "auto_examples/index.html")]
    thumbnails = [src for src, loaded in index.images if "thumb" in src and loaded]
    assert len(thumbnails) == len(examples)


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_no_internal_link_is_broken(crawl, base_url):
    assert len(crawl) > 20, sorted(crawl)
    broken, checked = [], {}
    for url, page in crawl.items():
        for link in page.links:
            target, anchor = urldefrag(link)
            if not is_internal(target, base_url):
                continue
            if target not in checked:
                checked[target] = status(target)
            if checked[target] != 200:
                broken.append(f"{url} -> {link} (HTTP {checked[target]})")
            elif anchor and target in crawl and anchor not in crawl[target].ids:
                broken.append(f"{url} -> {link} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_no_page_logs_a_javascript_error(crawl):
    errors = [
        f"{url}: {message}"
        for url, page in crawl.items()
        for message in page.console_errors
    ]
    assert not errors, "\n".join(errors)
