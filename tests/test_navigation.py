"""Browsing the archive: date, section, tag, author, source, related and story pages,
read back from a real build with a real HTML parser."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from conftest import article_md, write_files
from sitegen.build import build

ARTICLES = {
    # path: (title, date, section, extra front matter)
    "content/a1.md": ("Budget talks stall in parliament", "2023-11-30T22:30:00-05:00", "Politics",
                      {"tags": "[budget, parliament]", "authors": "[Michael Gelb]", "source": "AFP"}),
    "content/a2.md": ("Budget vote delayed again", "2023-12-01T09:00:00Z", "Politics",
                      {"tags": "[budget]", "authors": "[MICHAEL GELB]", "source": "Reuters"}),
    "content/a3.md": ("Budget finally passes", "2023-12-01T15:00:00Z", "Politics",
                      {"tags": "[Budget, parliament]", "authors": "[Ana Ruiz]", "source": "AFP",
                       "related": '["BUDGET TALKS — stall in Parliament!", "No such story"]'}),
    "content/b1.md": ("Chip exports fall", "2024-02-10T08:00:00+08:00", "Business",
                      {"tags": "[chips, trade]", "authors": "[Ana Ruiz, Li Wei]", "source": "Reuters"}),
    "content/b2.md": ("Chipmakers expand", "2024-02-11T08:00:00+08:00", "Business",
                      {"tags": "[chips]", "authors": "[Li Wei]"}),
    "content/b3.md": ("Trade deal signed", "2024-05-03T12:00:00Z", "business", {"tags": "[trade]"}),
    "content/c1.md": ("Comet seen over Andes", "2024-05-03T20:00:00Z", "Science", {"tags": "[space]"}),
}


def built_archive(root: Path, config: str = "") -> Path:
    """ARTICLES built under /news/ with two per listing page; ``config`` adds settings."""
    files = {"sitegen.yaml": "page_size: 2\ntimezone: Europe/London\nbase_url: https://example.org/news/\n" + config}
    for path, (title, date, section, extra) in ARTICLES.items():
        files[path] = article_md(title, date, section, body=f"{title}. " * 20, **extra)
    write_files(root, files)
    result = build(root, root / "public")
    assert result.errors == 0
    return root / "public"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return built_archive(tmp_path_factory.mktemp("nav") / "site")


def parse(out: Path, url: str):
    assert url.startswith("/news/"), url
    path = out / url[len("/news/"):]
    return lxml.html.parse(str(path / "index.html" if url.endswith("/") else path)).getroot()


def entries(doc) -> list[str]:
    """The article links of a listing page: the headline link of each <article> in <main>
    (on the home page, not those of the per-section blocks)."""
    main = doc.find(".//main")
    return [el.xpath(".//*[self::h2 or self::h3]//a/@href")[0] for el in main.iter("article")
            if not el.xpath("ancestor::*[contains(@class,'section-block')]")]


def walk(out: Path, url: str) -> tuple[list[str], int]:
    """Every entry across the pages of a listing, following rel=next; and the number of pages."""
    found, pages = [], 0
    while url:
        doc = parse(out, url)
        found += entries(doc)
        pages += 1
        nxt = doc.xpath("//head/link[@rel='next']/@href")
        url = nxt[0] if nxt else None
    return found, pages


def url_of(slug: str, day: str) -> str:
    return f"/news/{day}/{slug}/"


A1, A2, A3 = (url_of("budget-talks-stall-in-parliament", "2023/12/01"), url_of("budget-vote-delayed-again", "2023/12/01"),
              url_of("budget-finally-passes", "2023/12/01"))
B1, B2, B3 = (url_of("chip-exports-fall", "2024/02/10"), url_of("chipmakers-expand", "2024/02/11"),
              url_of("trade-deal-signed", "2024/05/03"))
C1 = url_of("comet-seen-over-andes", "2024/05/03")


@pytest.mark.parametrize("url, expected", [
    ("/news/2023/", [A3, A2, A1]),            # a1 is 30 Nov in New York, 1 Dec in London
    ("/news/2024/", [C1, B3, B2, B1]),
    ("/news/2023/12/", [A3, A2, A1]),
    ("/news/2023/12/01/", [A3, A2, A1]),
    ("/news/2024/05/03/", [C1, B3]),
    ("/news/sections/politics/", [A3, A2, A1]),
    ("/news/sections/business/", [B3, B2, B1]),  # 'business' and 'Business' are one section
    ("/news/tags/budget/", [A3, A2, A1]),
    ("/news/tags/chips/", [B2, B1]),
    ("/news/authors/michael-gelb/", [A2, A1]),   # 'Michael Gelb' and 'MICHAEL GELB'
    ("/news/authors/ana-ruiz/", [B1, A3]),
    ("/news/sources/afp/", [A3, A1]),
    ("/news/", [C1, B3, B2, B1, A3, A2, A1]),
])
def test_each_listing_has_each_article_exactly_once_newest_first(out, url, expected):
    found, pages = walk(out, url)
    assert found == expected
    assert pages == max(1, -(-len(expected) // 2)) or url == "/news/"


def test_pages_after_the_first_live_under_page_n_and_link_back(out):
    doc = parse(out, "/news/2024/page/2/")
    assert entries(doc) == [B2, B1]
    assert doc.xpath("//head/link[@rel='prev']/@href") == ["/news/2024/"]
    assert doc.xpath("//head/link[@rel='next']") == []
    pager = doc.xpath("//nav[contains(@class,'pager')]")[0]
    assert pager.xpath(".//*[@aria-current='page']")[0].text_content().split()[-1] == "2"


def test_archive_and_year_pages_count_what_they_list(out):
    archive = parse(out, "/news/archive/")
    counts = {a.get("href"): a for a in archive.iter("a")}
    assert "/news/2023/" in counts and "/news/2024/05/" in counts
    year = parse(out, "/news/2024/")
    month_links = [a.get("href") for a in year.find(".//main").iter("a") if a.get("href", "").count("/") == 4]
    assert "/news/2024/02/" in month_links and "/news/2024/05/" in month_links
    assert "/news/2024/03/" not in month_links  # an empty month is not a link


def test_month_calendar_links_exactly_the_days_with_articles(out):
    doc = parse(out, "/news/2024/02/")
    table = doc.find(".//main//table")
    links = sorted(a.get("href") for a in table.iter("a"))
    assert links == ["/news/2024/02/10/", "/news/2024/02/11/"]
    assert len(table.xpath(".//th")) >= 7
    days = [td.text_content().split()[0] for td in table.iter("td") if td.text_content().strip()]
    assert days[:3] == ["1", "2", "3"] and days[-1] == "29"  # a leap year February


def test_periods_link_to_the_previous_and_next_period_with_articles(out):
    def neighbours(url):
        doc = parse(out, url)
        return sorted(a.get("href") for a in doc.xpath("//main//a[@rel='prev' or @rel='next' or contains(@class,'period')]"))

    feb = parse(out, "/news/2024/02/")
    hrefs = {a.get("href") for a in feb.find(".//main").iter("a")}
    assert "/news/2023/12/" in hrefs and "/news/2024/05/" in hrefs  # skips the empty months between
    may_day = parse(out, "/news/2024/05/03/")
    hrefs = {a.get("href") for a in may_day.find(".//main").iter("a")}
    assert "/news/2024/02/11/" in hrefs


def test_term_indexes_list_every_term_with_its_count(out):
    doc = parse(out, "/news/tags/")
    links = {a.get("href"): a.getparent().text_content() for a in doc.find(".//main").iter("a")
             if a.get("href", "").startswith("/news/tags/") and a.get("href") != "/news/tags/"}
    assert sorted(links) == ["/news/tags/budget/", "/news/tags/chips/", "/news/tags/parliament/",
                             "/news/tags/space/", "/news/tags/trade/"]
    assert "3" in links["/news/tags/budget/"]
    for kind, expected in (("sections", 3), ("authors", 3), ("sources", 2)):
        index = parse(out, f"/news/{kind}/")
        terms = {a.get("href") for a in index.find(".//main").iter("a") if a.get("href", "").startswith(f"/news/{kind}/")
                 and a.get("href") != f"/news/{kind}/"}
        assert len(terms) == expected, kind


def test_article_page_has_breadcrumbs_neighbours_and_related(out):
    doc = parse(out, A3)
    crumbs = doc.xpath("//nav[contains(@class,'breadcrumbs')]//a/@href")
    assert "/news/" in crumbs and "/news/sections/politics/" in crumbs
    hrefs = {a.get("href") for a in doc.iter("a")}
    assert {"/news/2023/", "/news/2023/12/", "/news/2023/12/01/"} <= hrefs  # year › month › day
    assert A2 in hrefs and B1 in hrefs  # older overall and newer overall
    assert A3 + "related/" in hrefs
    related = doc.xpath("//*[contains(@class,'related')]//li")
    texts = [li.text_content().strip() for li in related]
    assert any("No such story" in t for t in texts)
    unresolved = [li for li in related if "No such story" in li.text_content()][0]
    assert unresolved.xpath(".//a") == []  # an unresolved reference is text, never a broken link
    assert A1 in [a.get("href") for li in related for a in li.xpath(".//a")]


def test_masthead_and_footer_mark_only_the_page_they_are_on(out):
    """Both are rendered once per build for each 'current' item and reused (render.cached): the
    mark must still follow the page, whatever page was rendered before."""
    def marked(url: str) -> tuple[list[str], list[str]]:
        doc = parse(out, url)
        return (doc.xpath("//nav[contains(@class,'site-nav')]//a[@aria-current='page']/@href"),
                doc.xpath("//footer//nav//a[@aria-current='page']/@href"))

    assert marked("/news/sections/politics/") == (["/news/sections/politics/"], [])
    assert marked("/news/sections/business/") == (["/news/sections/business/"], [])
    assert marked("/news/sections/") == ([], ["/news/sections/"])
    assert marked("/news/archive/") == (["/news/archive/"], ["/news/archive/"])  # in both
    for url in (A3, "/news/", "/news/2023/", "/news/tags/budget/"):
        assert marked(url) == ([], [])
    politics, article = parse(out, "/news/sections/politics/"), parse(out, A3)
    assert ([a.get("href") for a in politics.xpath("//nav[contains(@class,'site-nav')]//a")]
            == [a.get("href") for a in article.xpath("//nav[contains(@class,'site-nav')]//a")])


def test_related_page_lists_related_articles_with_why(out):
    doc = parse(out, A3 + "related/")
    hrefs = [a.get("href") for a in doc.find(".//main").iter("a")]
    assert A3 in hrefs  # back to the article
    assert A1 in hrefs
    assert "Linked by the article" in doc.find(".//main").text_content()


def test_every_page_is_linked_only_to_existing_files(out):
    from test_golden import check_links

    assert check_links(out, "/news/") == []


@pytest.fixture(scope="module")
def lean(tmp_path_factory) -> Path:
    """The same archive with every optional page kind switched off, and moved index URLs."""
    return built_archive(tmp_path_factory.mktemp("lean") / "site",
                         "permalinks:\n  tag: /topics/{slug}/\n"
                         "pages:\n  days: false\n  related: false\n  stories: false\n  sources: false\n")


def test_switched_off_page_kinds_are_neither_made_nor_linked(out, lean):
    from test_golden import check_links

    assert check_links(lean, "/news/") == []
    made = {p.relative_to(lean).as_posix() for p in lean.rglob("*.html")}
    full = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert not any(p.startswith(("stories/", "sources/")) or "/related/" in p for p in made)
    def day_page(p: str) -> bool:  # YYYY/MM/DD/index.html and YYYY/MM/DD/page/N/index.html
        parts = p.split("/")
        return all(part.isdigit() for part in parts[:3]) and (len(parts) == 4 or parts[3] == "page")

    assert not any(day_page(p) for p in made)
    gone = full - made - {p for p in full if p.startswith("tags/")}
    assert gone and all(p.startswith(("stories/", "sources/")) or "/related/" in p or day_page(p) for p in gone)
    # articles, years, months, sections, authors and (moved) tags are all still there
    assert {p for p in full if p.startswith(("sections/", "authors/"))} <= made
    assert "topics/index.html" in made and "topics/budget/index.html" in made


def test_lean_pages_keep_their_content_without_the_links(lean):
    doc = lxml.html.parse(str(next(lean.glob("2023/12/01/*/index.html")))).getroot()
    trail = doc.xpath("//nav[contains(@class,'breadcrumbs')][2]//a/@href")
    assert trail == ["/news/2023/", "/news/2023/12/"]  # year › month, no day page
    assert "Source:" in doc.find(".//main").text_content()  # the source named, as text
    footer = [a.get("href") for a in doc.xpath("//footer//nav//a")]
    assert footer == ["/news/archive/", "/news/sections/", "/news/topics/", "/news/authors/"]
    month = lxml.html.parse(str(lean / "2024/02/index.html")).getroot()
    cells = month.xpath("//td[contains(@class,'calendar-day--has-articles')]")
    assert [c.text_content().split()[0] for c in cells] == ["10", "11"] and month.xpath("//table//a") == []


def test_sitemaps_list_only_pages_that_exist(lean):
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    for sitemap in (lean / "sitemaps").glob("*.xml"):
        for loc in ET.parse(sitemap).getroot().findall(".//s:loc", ns):
            path = loc.text.removeprefix("https://example.org/news/")
            assert (lean / path / "index.html").is_file() or (lean / path).is_file(), loc.text


def test_without_related_pages_article_pages_show_the_same_related_articles(out, lean):
    shown = 0
    for page in sorted(out.glob("20*/*/*/*/index.html")):
        rel = page.relative_to(out)
        if rel.parts[-2] == "related":
            continue
        full = lxml.html.parse(str(page)).getroot().xpath("//aside[@class='related']//li")
        mine = lxml.html.parse(str(lean / rel)).getroot().xpath("//aside[@class='related']//li")
        assert [li.text_content() for li in mine] == [li.text_content() for li in full], rel
        shown += len(mine)
    assert shown >= len(ARTICLES)  # not vacuous: every article page lists some


def test_an_article_page_shows_the_head_of_its_related_page_s_list(tmp_path):
    """An article page shows ``related.count`` entries (1 here) of the list its related page shows whole
    (every explicit reference, then the best computed matches), made only so far."""
    out = built_archive(tmp_path / "site", "related:\n  count: 1\n  min_score: 0.01\n")

    def listed(doc, path: str, text: str) -> list[str]:  # each entry's link, or its text when unresolved
        return [(li.xpath(".//a/@href") or [" ".join(li.xpath(text)[0].text_content().split())])[0]
                for li in doc.xpath(path)]

    cut = 0
    for related in sorted(out.glob("20*/*/*/*/related/index.html")):
        page, related_doc = related.parent.parent / "index.html", lxml.html.parse(str(related)).getroot()
        shown = listed(lxml.html.parse(str(page)).getroot(), "//aside[@class='related']//li", ".")
        whole = listed(related_doc, "//ol[@class='match-list']/li", ".//h2")
        explicit = len(related_doc.xpath("//ol[@class='match-list']/li[contains(@class,'match--explicit')]"))
        assert shown == whole[:max(1, explicit)], page
        cut += len(whole) > len(shown)
    assert cut >= 3  # not vacuous: most lists are longer than their article page shows
    a3 = listed(parse(out, A3), "//aside[@class='related']//li", ".")
    assert a3[0] == A1 and a3[1] == "No such story"  # its two references first, the second unresolved


def test_article_pages_of_the_plan_keep_only_their_article_until_used(tmp_path):
    """The plan holds every page at once: an article page's terms, trails, related list and
    structured data are made where it is keyed and rendered, from ``Page.more``, and are then
    the same as the whole archive's indexes give."""
    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache
    from sitegen.config import load_config

    files = {"sitegen.yaml": "timezone: Europe/London\n"}
    for path, (title, date, section, extra) in ARTICLES.items():
        files[path] = article_md(title, date, section, body=f"{title}. " * 20, **extra)
    root = write_files(tmp_path / "site", files)
    config = load_config(root)
    planned = plan_build(root, config, drafts=False, cache=ArticleCache(root, config, enabled=False))
    pages = {page.source: page for page in planned.plan.pages if page.template == "article.html"}
    page = pages["content/a3.md"]
    assert set(page.context) == {"article", "prev_article", "next_article", "prev_in_section", "next_in_section"}
    context = page.full_context()
    assert context["section_term"].name == "Politics" and [t.name for t in context["tag_terms"]] == ["budget", "parliament"]
    assert [link.article.path if link.article else link.text for link in context["related"]][:2] == [
        "content/a1.md", "No such story"]
    assert page.full_context() is context  # keying then rendering a page makes it once
    assert set(page.context) == {"article", "prev_article", "next_article", "prev_in_section", "next_in_section"}
