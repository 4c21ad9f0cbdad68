"""Aliases: old addresses of an article (front matter ``aliases``) redirect to its page."""

from __future__ import annotations

from pathlib import Path

import html5lib
import lxml.etree
import lxml.html

from conftest import article_md
from sitegen.build import build

A_URL = "/2024/07/04/floods-sweep-the-valley/"


def redirect(path: Path) -> dict[str, str | None]:
    """What a browser and a search engine read from a redirect page (which must be valid HTML5)."""
    data = path.read_bytes()
    html5lib.HTMLParser(strict=True).parse(data)  # raises on any parse error
    root = lxml.html.fromstring(data)
    link = root.find(".//body//a")
    return {"refresh": root.find(".//meta[@http-equiv='refresh']").get("content"),
            "canonical": root.find(".//link[@rel='canonical']").get("href"),
            "robots": root.find(".//meta[@name='robots']").get("content"),
            "link": link.get("href"), "text": link.text_content()}


def aliased_site(site, base_url: str = "http://localhost:8000/", extra: dict | None = None) -> Path:
    return site({
        "sitegen.yaml": f'base_url: "{base_url}"\nbuild_time: "2024-07-06T12:00:00+00:00"\nsearch: false\n',
        "content/a.md": article_md("Floods sweep the valley", "2024-07-04T09:00:00Z",
                                   aliases="[/2019/05/old-slug.html, /old/path/, /old/folder, /legacy/a.htm, "
                                           "/caf%C3%A9/]"),
        "content/b.md": article_md("Budget passes", "2024-07-05T09:00:00Z", aliases="/news/budget.html"),
        **(extra or {}),
    })


def test_each_alias_is_a_redirect_page_to_the_article(site):
    root = aliased_site(site)
    result = build(root)
    out = root / "public"
    assert result.diagnostics == ()
    expected = {"refresh": f"0; url={A_URL}", "canonical": f"http://localhost:8000{A_URL}", "robots": "noindex",
                "link": A_URL, "text": "Floods sweep the valley"}
    for file in ("2019/05/old-slug.html", "old/path/index.html", "old/folder/index.html", "legacy/a.htm",
                 "café/index.html"):
        assert redirect(out / file) == expected, file
    assert redirect(out / "news/budget.html")["link"] == "/2024/07/05/budget-passes/"  # one string: one alias


def test_alias_urls_are_under_the_sites_base_path(site):
    root = aliased_site(site, "https://example.org/archive/")
    build(root)
    page = redirect(root / "public/2019/05/old-slug.html")
    assert page["refresh"] == f"0; url=/archive{A_URL}"
    assert page["canonical"] == f"https://example.org/archive{A_URL}"
    assert page["link"] == f"/archive{A_URL}"


def test_aliases_are_in_no_sitemap_or_feed(site):
    root = aliased_site(site)
    build(root)
    out = root / "public"
    files = [out / "sitemap.xml", out / "news-sitemap.xml", *sorted((out / "sitemaps").glob("*.xml"))]
    locs = [el.text for file in files for el in lxml.etree.parse(str(file)).getroot().iter("{*}loc")]
    assert locs and not any("old" in loc or "legacy" in loc or "news/budget" in loc for loc in locs)
    feed = lxml.etree.parse(str(out / "feed.xml")).getroot()
    links = [el.get("href") for el in feed.iter("{http://www.w3.org/2005/Atom}link")]
    assert links and not any("old" in href or "legacy" in href for href in links)


def test_clashing_aliases_are_errors_at_their_line_and_the_rest_is_built(site):
    extra = {
        "content/c.md": "\n".join([
            "---", "title: Clashes", "date: 2024-07-06T09:00:00Z", "aliases:",
            "  - /2019/05/old-slug.html",        # line 5: a's alias (a is older and keeps it)
            f"  - {A_URL}",                      # line 6: a's page
            "  - /2024/",                        # line 7: the year page
            "  - /css/site.css/",                # line 8: fine, a folder of that name
            "  - /robots.txt.html",              # line 9: fine
            "  - /ok/",                          # line 10
            "---", "", "Body.", ""]),
        "static/old/static.html": "<p>mine</p>",
        "content/d.md": article_md("Static clash", "2024-07-06T10:00:00Z", aliases="/old/static.html"),
    }
    root = aliased_site(site, extra=extra)
    result = build(root)
    assert [str(d) for d in result.diagnostics] == [
        "content/c.md:5: error: alias '/2019/05/old-slug.html' is also an alias of content/a.md",
        f"content/c.md:6: error: alias '{A_URL}' is the path of a page of content/a.md",
        "content/c.md:7: error: alias '/2024/' is the path of the page /2024/",
        "content/d.md:5: error: alias '/old/static.html' is the path of a file the site brings (old/static.html)",
    ]
    out = root / "public"
    assert redirect(out / "2019/05/old-slug.html")["link"] == A_URL
    assert redirect(out / "ok/index.html")["link"] == "/2024/07/06/clashes/"
    assert redirect(out / "css/site.css/index.html")["link"] == "/2024/07/06/clashes/"
    assert (out / "old/static.html").read_text() == "<p>mine</p>"
    assert lxml.html.parse(str(out / "2024/index.html")).getroot().find(".//h1") is not None


def test_aliases_that_are_not_site_paths_are_errors_at_their_line(site):
    extra = {"content/c.md": "\n".join([
        "---", "title: Bad aliases", "date: 2024-07-06T09:00:00Z", "aliases:",
        "  - http://example.org/old/", "  - /a/../b/", "  - ''", "  - old/x/", "  - /q?x=1", "  - /fine/",
        "---", "", "Body.", ""]),
        "content/d.md": article_md("Wrong type", "2024-07-06T10:00:00Z", aliases="{a: 1}"),
        "content/e.md": article_md("Empty aliases", "2024-07-06T11:00:00Z", aliases="")}  # none, no problem
    result = build(aliased_site(site, extra=extra))
    assert [str(d) for d in result.diagnostics] == [
        "content/c.md:5: error: alias 'http://example.org/old/' is not a site path: give the path only, "
        "like '/2019/05/old-slug.html'",
        "content/c.md:6: error: alias '/a/../b/' is not a site path: '.' and '..' are not allowed",
        "content/c.md:7: error: empty alias",
        "content/c.md:8: error: alias 'old/x/' is not a site path: it must start with '/'",
        "content/c.md:9: error: alias '/q?x=1' is not a site path: '?', '#', '\\' and control characters are not allowed",
        "content/d.md:5: error: 'aliases' must be a site path or a list of them, not {'a': '1'}",
    ]
    assert redirect(result.output / "fine/index.html")["link"] == "/2024/07/06/bad-aliases/"
    assert (result.output / "2024/07/06/wrong-type/index.html").exists()  # the article itself still has its page


def test_a_scheduled_articles_aliases_wait_with_it(site):
    extra = {"content/f.md": article_md("Later", "2024-08-01T09:00:00Z", aliases="[/later/]")}
    root = aliased_site(site, extra=extra)
    build(root)
    assert not (root / "public/later").exists()
