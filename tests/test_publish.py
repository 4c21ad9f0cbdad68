"""Publishing features on small sites written inline: feeds and their switches, sitemaps and
their limits, the news sitemap's window, robots.txt, metadata and its escaping, the 404
page, hashed asset names, `--base-url`, and the search step (Pagefind) inside the atomic build."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import html5lib
import lxml.etree
import lxml.html
import pytest

from conftest import article_md, write_files
from sitegen import search
from sitegen.build import build
from sitegen.config import Config
from sitegen.errors import BuildError, ConfigError
from sitegen.plan import sitemaps
from sitegen.plan.xml import el, to_bytes
from sitegen.render import script_json

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
QUICK = "search: false\n"  # Pagefind is tested on its own below


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"})


def built(site, files: dict[str, str], config: str = "") -> Path:
    root = site({"sitegen.yaml": QUICK + config, **files})
    result = build(root, root / "public")
    assert result.errors == 0, result.diagnostics
    return root / "public"


def html(path: Path):
    return lxml.html.parse(str(path)).getroot()


# --- feeds ---------------------------------------------------------------------------------

def test_feeds_hold_the_latest_entries_without_drafts(site):
    files = {f"content/{i}.md": article_md(f"Story {i}", f"2024-07-{i:02d}T10:00:00Z", section="World" if i % 2 else "Sport")
             for i in range(1, 8)}
    files["content/draft.md"] = article_md("Unfinished", "2024-07-20T10:00:00Z", draft="true")
    root = site({"sitegen.yaml": QUICK + "feeds:\n  entries: 3\n", **files})
    assert build(root, root / "public", drafts=True).errors == 0  # the draft has a page, but is in no feed
    out = root / "public"
    atom = lxml.etree.parse(str(out / "feed.xml")).getroot()
    assert [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")] == ["Story 7", "Story 6", "Story 5"]
    assert atom.findtext(f"{ATOM}updated") == "2024-07-07T10:00:00+00:00"
    rss = lxml.etree.parse(str(out / "rss.xml")).getroot()
    assert [i.findtext("title") for i in rss.iter("item")] == ["Story 7", "Story 6", "Story 5"]
    world = json.loads((out / "sections/world/feed.json").read_text())
    assert [i["title"] for i in world["items"]] == ["Story 7", "Story 5", "Story 3"]
    assert world["home_page_url"] == "http://localhost:8000/sections/world/"
    assert not (out / "tags").joinpath("x").exists()
    assert "Unfinished" not in (out / "sitemaps/2024-07.xml").read_text()
    assert (out / "2024/07/20/unfinished/index.html").is_file()


def test_feed_switches_for_sections_tags_and_authors(site):
    files = {"content/a.md": article_md("A", "2024-07-01", tags="[china, trade]", authors="[Ana Ruiz]")}
    out = built(site, files, "feeds:\n  sections: false\n  tags: true\n  authors: true\n")
    assert not (out / "sections/world/feed.xml").exists()
    for folder in ("tags/china", "tags/trade", "authors/ana-ruiz"):
        assert {p.name for p in (out / folder).iterdir()} >= {"feed.xml", "rss.xml", "feed.json", "index.html"}
    tag_page = html(out / "tags/china/index.html")
    assert "/tags/china/feed.xml" in tag_page.xpath("//link[@rel='alternate']/@href")
    section_page = html(out / "sections/world/index.html")
    assert len(section_page.xpath("//link[@rel='alternate']")) == 3  # the site's feeds only


def test_full_content_feeds_carry_the_body_with_absolute_links(site):
    body = "See [the archive](/archive/) and [next](../other/).\n\n![chart](/img/c.svg)\n\nTom & Jerry <3"
    files = {"content/a.md": article_md("A", "2024-07-01", body=body, slug="a")}
    out = built(site, files, "base_url: https://example.org/news/\nfeeds:\n  full_content: true\n")
    atom = lxml.etree.parse(str(out / "feed.xml")).getroot()
    content = atom.find(f"{ATOM}entry/{ATOM}content")
    assert content.get("type") == "html"
    fragment = lxml.html.fragment_fromstring(content.text, create_parent="div")
    assert fragment.xpath("//a/@href") == ["https://example.org/archive/", "https://example.org/news/2024/07/01/other/"]
    assert fragment.xpath("//img/@src") == ["https://example.org/img/c.svg"]
    assert "Tom &amp; Jerry" in content.text
    item = json.loads((out / "feed.json").read_text())["items"][0]
    assert "https://example.org/archive/" in item["content_html"] and "content_text" not in item
    rss = (out / "rss.xml").read_text()
    assert 'xmlns:content="http://purl.org/rss/1.0/modules/content/"' in rss and "<content:encoded>" in rss


def test_feeds_escape_markup_and_drop_characters_xml_cannot_carry():
    doc = to_bytes(el("feed", el("title", 'R&D <b>"x"</b>\x0b\x00 ok'), href='a"b<c>&\n'))
    root = lxml.etree.fromstring(doc)
    assert root.findtext("title") == 'R&D <b>"x"</b> ok'
    assert root.get("href") == 'a"b<c>&\n'


def test_feedparser_reads_feeds_of_awkward_titles(site):
    feedparser = pytest.importorskip("feedparser", reason="the test extra's feedparser is not installed")
    title = 'Study: "R&D < marketing" ]]> </script><!-- \x0c done'
    files = {"content/a.md": article_md("x", "2024-07-01", slug="a").replace("title: 'x'", f"title: {json.dumps(title)}")}
    out = built(site, files)
    for name in ("feed.xml", "rss.xml"):
        parsed = feedparser.parse((out / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.entries[0].title == title.replace("\x0c", "")


# --- sitemaps, news sitemap, robots.txt ---------------------------------------------------

def test_a_sitemap_over_the_limit_is_split(site, monkeypatch):
    monkeypatch.setattr(sitemaps, "MAX_URLS", 2)
    files = {f"content/{i}.md": article_md(f"Story {i}", f"2024-07-{i:02d}T10:00:00Z", updated=f"2024-08-0{i}T09:00:00Z")
             for i in range(1, 6)}
    out = built(site, files)
    index = lxml.etree.parse(str(out / "sitemap.xml")).getroot()
    locs = [s.findtext(f"{SM}loc").rsplit("/", 2)[-1] for s in index]
    assert locs[:3] == ["2024-07.xml", "2024-07-2.xml", "2024-07-3.xml"] and locs[3].startswith("pages")
    listed = []
    for name in locs[:3]:
        urls = lxml.etree.parse(str(out / "sitemaps" / name)).getroot().findall(f"{SM}url")
        assert 1 <= len(urls) <= 2
        listed += [(u.findtext(f"{SM}loc"), u.findtext(f"{SM}lastmod")) for u in urls]
    assert listed == [(f"http://localhost:8000/2024/07/{i:02d}/story-{i}/", f"2024-08-0{i}T09:00:00+00:00")
                      for i in range(1, 6)]  # oldest first: a month's file only grows at its end
    assert index[2].findtext(f"{SM}lastmod") == "2024-08-05T09:00:00+00:00"


def test_split_names_the_parts():
    assert sitemaps.split("/sitemaps/2024-07.xml", list(range(5)), 2) == [
        ("/sitemaps/2024-07.xml", [0, 1]), ("/sitemaps/2024-07-2.xml", [2, 3]), ("/sitemaps/2024-07-3.xml", [4])]
    assert sitemaps.split("/news-sitemap.xml", [], 1000) == [("/news-sitemap.xml", [])]


def test_the_news_sitemap_takes_the_two_days_before_the_build_time(site):
    files = {"content/old.md": article_md("Too old", "2024-07-03T11:59:00Z"),
             "content/edge.md": article_md("Just in", "2024-07-03T12:00:00Z"),
             "content/new.md": article_md("Fresh", "2024-07-05T11:00:00Z"),
             "content/future.md": article_md("Embargoed", "2024-07-05T12:30:00Z")}
    out = built(site, files, 'build_time: "2024-07-05T12:00:00+00:00"\nlanguage: zh-Hant-TW\ntitle: "A & B"\n')
    news = lxml.etree.parse(str(out / "news-sitemap.xml")).getroot()
    assert [u.findtext(f"{NEWS}news/{NEWS}title") for u in news] == ["Fresh", "Just in"]
    assert news[0].findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "zh-tw"
    assert news[0].findtext(f"{NEWS}news/{NEWS}publication/{NEWS}name") == "A & B"
    assert news[0].findtext(f"{NEWS}news/{NEWS}publication_date") == "2024-07-05T11:00:00+00:00"


def test_news_language_codes():
    assert [sitemaps.news_language(t) for t in ("en", "en-GB", "fr_CA", "zh-CN", "zh-Hans", "zh-TW", "zh-HK")] == [
        "en", "en", "fr", "zh-cn", "zh-cn", "zh-tw", "zh-tw"]


def test_robots_txt_and_sitemaps_can_be_switched_off_or_replaced(site):
    files = {"content/a.md": article_md("A", "2024-07-01")}
    out = built(site, files, "base_url: https://example.org/sub/\n")
    assert (out / "robots.txt").read_text().splitlines()[-2:] == [
        "Sitemap: https://example.org/sub/sitemap.xml", "Sitemap: https://example.org/sub/news-sitemap.xml"]
    out = built(site, files, "sitemaps: false\nnews_sitemap: false\n")
    assert not any((out / name).exists() for name in ("robots.txt", "sitemap.xml", "news-sitemap.xml", "sitemaps"))
    out = built(site, {**files, "static/robots.txt": "User-agent: *\nDisallow: /private/\n"})
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /private/\n"
    assert (out / "sitemap.xml").is_file()


# --- metadata -------------------------------------------------------------------------------

def test_json_ld_cannot_be_broken_out_of_by_a_title(site):
    title = 'Breaking </script><script>alert(1)</script><!-- & "more" --> end'
    files = {"content/a.md": article_md("x", "2024-07-01", slug="a", tags='["</script>"]')
             .replace("title: 'x'", f"title: {json.dumps(title)}")}
    out = built(site, files)
    source = (out / "2024/07/01/a/index.html").read_text()
    assert "</script><script>alert" not in source and "<!--" not in source.split("</head>")[0]
    doc = html5lib.parse(source, treebuilder="lxml", namespaceHTMLElements=False)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json", "application/ld+json"]
    article, crumbs = (json.loads(s.text) for s in scripts)
    assert article["@type"] == "NewsArticle" and article["headline"] == title and article["keywords"] == ["</script>"]
    assert crumbs["@type"] == "BreadcrumbList" and crumbs["itemListElement"][-1]["name"] == title
    assert doc.xpath("string(//h1)").strip() == title


def test_script_json_escapes_what_could_end_a_script():
    assert str(script_json({"t": "</script><!--&\u2028"})) == '{"t":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}'


def test_script_json_writes_valid_json_of_what_templates_pass():
    """Structured data is valid JSON whatever a template passes: NaN as null, a date as RFC 3339
    text, number keys and integers beyond 64 bits as json writes them; every string escaped."""
    from datetime import datetime, timezone

    assert script_json({"n": float("nan"), "d": datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)}) == \
        '{"n":null,"d":"2024-01-02T03:04:00+00:00"}'
    assert script_json({1: "a", "big": 2 ** 70, "t": "é\u2029<"}) == '{"1":"a","big":1180591620717411303424,"t":"é\\u2029\\u003c"}'


def test_article_pages_carry_open_graph_twitter_and_news_article_data(site):
    files = {"content/a.md": article_md("Chip fab opens", "2024-07-01T09:00:00Z", slug="a", section="Tech",
                                        updated="2024-07-02T10:00:00Z", tags="[chips, china]",
                                        authors="[Mei Lin, Li Wei]", image="/img/fab.svg", summary="A fab.",
                                        image_caption="The fab")}
    out = built(site, files, "base_url: https://example.org/news/\nlanguage: en-GB\ntitle: Daily\n")
    page = html(out / "2024/07/01/a/index.html")
    assert page.get("lang") == "en-GB"
    meta = {m.get("property") or m.get("name"): m.get("content") for m in page.iter("meta")}
    assert meta["og:type"] == "article" and meta["og:title"] == "Chip fab opens"
    assert meta["og:image"] == meta["twitter:image"] == "https://example.org/news/img/fab.svg"
    assert meta["twitter:card"] == "summary_large_image" and meta["og:site_name"] == "Daily"
    assert meta["article:modified_time"] == "2024-07-02T10:00:00+00:00"
    data = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert data == {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Chip fab opens",
        "url": "https://example.org/news/2024/07/01/a/",
        "mainEntityOfPage": {"@type": "WebPage", "@id": "https://example.org/news/2024/07/01/a/"},
        "datePublished": "2024-07-01T09:00:00+00:00", "dateModified": "2024-07-02T10:00:00+00:00",
        "description": "A fab.",
        "author": [{"@type": "Person", "name": "Mei Lin", "url": "https://example.org/news/authors/mei-lin/"},
                   {"@type": "Person", "name": "Li Wei", "url": "https://example.org/news/authors/li-wei/"}],
        "publisher": {"@type": "Organization", "name": "Daily", "url": "https://example.org/news/"},
        "image": ["https://example.org/news/img/fab.svg"], "articleSection": "Tech",
        "keywords": ["chips", "china"], "inLanguage": "en-GB"}


# --- hosting --------------------------------------------------------------------------------

def test_css_and_js_get_content_hashed_names_and_url_for_follows(site):
    files = {"content/a.md": article_md("A", "2024-07-01"), "static/css/site.css": "h1{color:red}",
             "static/js/extra.js": "1;", "static/robots-note.txt": "x", "templates/home.html":
             "{% extends 'base.html' %}{% block content %}<script src=\"{{ url_for('js/extra.js') }}\"></script>{% endblock %}"}
    out = built(site, files, "base_url: https://example.org/sub/\n")
    css = sorted(p.name for p in (out / "css").iterdir())
    assert css == [f"site.{hashlib.sha256(b'h1{color:red}').hexdigest()[:8]}.css"]
    assert (out / "css" / css[0]).read_text() == "h1{color:red}"
    home = html(out / "index.html")
    assert home.xpath("//link[@rel='stylesheet']/@href") == [f"/sub/css/{css[0]}"]
    js = home.xpath("//main//script/@src")[0]
    assert js.startswith("/sub/js/extra.") and (out / js[len("/sub/"):]).read_text() == "1;"
    assert (out / "robots-note.txt").is_file() and (out / "favicon.svg").is_file()
    root = out.parent
    write_files(root, {"static/css/site.css": "h1{color:blue}"})
    assert build(root, out).errors == 0
    assert sorted(p.name for p in (out / "css").iterdir()) != css  # a new content, a new name


def test_plain_names_when_fingerprinting_is_off(site):
    root = site({"sitegen.yaml": QUICK, "content/a.md": article_md("A", "2024-07-01")})
    build(root, root / "public", fingerprint_assets=False)
    assert (root / "public/css/site.css").is_file()
    assert html(root / "public/index.html").xpath("//link[@rel='stylesheet']/@href") == ["/css/site.css"]


def test_the_404_page_and_a_site_s_own(site):
    files = {"content/a.md": article_md("A", "2024-07-01")}
    out = built(site, files, "base_url: https://example.org/deep/sub/\n")
    page = html(out / "404.html")
    assert page.find(".//h1").text_content().strip() == "Page not found"
    urls = [url for url in page.xpath("//a/@href | //link/@href") if url != "#main"]  # the skip link
    assert urls and all(url.startswith("/deep/sub/") for url in urls), urls
    out = built(site, {**files, "static/404.html": "<!doctype html><title>Mine</title>"})
    assert (out / "404.html").read_text() == "<!doctype html><title>Mine</title>"


def test_base_url_from_the_command_line(site):
    root = site({"sitegen.yaml": QUICK + "base_url: https://example.org/\n", "content/a.md": article_md("A", "2024-07-01", slug="a")})
    run = sitegen("build", "--base-url", "https://preview.example.net/pr/42/", cwd=root)
    assert run.returncode == 0, run.stderr
    page = html(root / "public/2024/07/01/a/index.html")
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://preview.example.net/pr/42/2024/07/01/a/"]
    assert page.xpath("//header//a/@href")[0] == "/pr/42/"
    assert "https://preview.example.net/pr/42/sitemap.xml" in (root / "public/robots.txt").read_text()
    run = sitegen("build", "--base-url", "preview.example.net", cwd=root)
    assert run.returncode == 2
    assert "--base-url: error: base_url must be an absolute http(s) URL, not 'preview.example.net'" in run.stderr
    run = sitegen("build", "--watch", "--base-url", "https://x.org/", cwd=root)
    assert run.returncode == 2 and "--base-url" in run.stderr
    with pytest.raises(ConfigError):
        build(root, root / "public", base_url="ftp://x.org/")


def test_feeds_entries_must_be_positive(site):
    root = site({"sitegen.yaml": "feeds:\n  entries: 0\n", "content/a.md": article_md("A", "2024-07-01")})
    with pytest.raises(ConfigError) as caught:
        build(root, root / "public")
    assert [str(d) for d in caught.value.diagnostics] == ["sitegen.yaml:2: error: 'feeds.entries' must be at least 1"]


def test_absolute_urls_keep_the_sub_path():
    config = Config(base_url="https://example.org/archive")
    assert config.root_url == "https://example.org/archive/"
    assert config.absolute_url("/2024/") == "https://example.org/archive/2024/"
    assert config.absolute_url("https://cdn.example.net/x.png") == "https://cdn.example.net/x.png"


# --- search ---------------------------------------------------------------------------------

SEARCHABLE = {"content/a.md": article_md("Glaciers retreat", "2023-07-01", section="Science", body="Ice melts fast."),
              "content/b.md": article_md("Budget passes", "2024-07-02", section="Politics", body="Votes counted.")}


def test_search_builds_a_pagefind_index_of_the_article_pages(site):
    root = site(SEARCHABLE)
    result = build(root, root / "public")
    out = root / "public"
    assert result.errors == 0
    assert (out / "pagefind/pagefind-ui.js").is_file() and (out / "pagefind/pagefind-entry.json").is_file()
    assert json.loads((out / "pagefind/pagefind-entry.json").read_text())["languages"]["en"]["page_count"] == 2
    article = html(out / "2023/07/01/glaciers-retreat/index.html")
    body = article.xpath("//*[@data-pagefind-body]")
    assert [el.tag for el in body] == ["article"]
    assert article.xpath("//*[@data-pagefind-filter='section']/text()") == ["Science"]
    assert article.xpath("//@data-pagefind-filter[starts-with(., 'year:')]") == ["year:2023"]
    home = html(out / "index.html")
    assert not home.xpath("//*[@data-pagefind-body]")
    form = home.xpath("//form[@role='search']")[0]
    assert (form.get("action"), form.get("method"), form.xpath(".//input/@name")) == ("/search/", "get", ["q"])
    page = html(out / "search/index.html")
    assert page.xpath("//*[@id='search']/@data-bundle") == ["/pagefind/"]
    assert "/pagefind/pagefind-ui.js" in page.xpath("//script/@src")


def test_search_off_leaves_it_all_out(site):
    out = built(site, SEARCHABLE)
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    page = html(out / "2023/07/01/glaciers-retreat/index.html")
    assert not page.xpath("//form[@role='search'] | //*[@data-pagefind-body] | //*[@data-pagefind-filter]")


def test_a_failing_pagefind_fails_the_build_and_keeps_the_old_output(site, monkeypatch, tmp_path):
    root = site(SEARCHABLE)
    assert build(root, root / "public").errors == 0
    before = tree(root / "public")
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: cannot index this site' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_binary", lambda: fake)
    write_files(root, {"content/c.md": article_md("New", "2024-08-01")})
    with pytest.raises(BuildError, match=r"(?s)Pagefind failed \(exit status 3\).*cannot index this site"):
        build(root, root / "public")
    assert tree(root / "public") == before
    assert not list(root.glob(".sitegen-public*"))


def test_missing_pagefind_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pagefind_bin", None)
    with pytest.raises(BuildError, match="pip install pagefind-bin"):
        search.pagefind_binary()


def test_the_search_index_is_byte_identical_across_builds(site, tmp_path):
    files = {f"content/{i}.md": article_md(f"Story {i}", f"20{20 + i % 5}-07-0{1 + i % 9}", section=s, body=f"word{i} text")
             for i, s in enumerate(["World", "Sport", "Politics", "Science", "Business", "Culture"] * 2)}
    root = site(files)
    outputs = []
    for n in range(3):
        assert build(root, tmp_path / f"out{n}").errors == 0
        outputs.append(tree(tmp_path / f"out{n}"))
    assert outputs[0] == outputs[1] == outputs[2]


def test_canonical_filters_sorts_values_and_leaves_unknown_formats_alone(tmp_path):
    bundle = tmp_path / "pagefind"
    (bundle / "filter").mkdir(parents=True)
    stem, meta_hash = "en_1234567", "en_0123456789"
    (bundle / "filter" / f"{stem}.pf_filter").write_bytes(
        search._pack(search._encode(["section", [["World", [1]], ["Sport", [0]]]])))
    meta = ["1.5.2", [["en_aaaaaaa", 13]], [["a", "b", "en_bbbbbbb"]], [["section", stem]], [], ["title", "date"]]
    (bundle / f"pagefind.{meta_hash}.pf_meta").write_bytes(search._pack(search._encode(meta)))
    (bundle / "pagefind-entry.json").write_text(json.dumps({"languages": {"en": {"hash": meta_hash}}}))
    assert search.canonical_filters(bundle)
    entry = json.loads((bundle / "pagefind-entry.json").read_text())["languages"]["en"]["hash"]
    new_meta = search._decode(search._unpack((bundle / f"pagefind.{entry}.pf_meta").read_bytes()))
    assert new_meta[5] == ["date", "title"] and new_meta[3][0][0] == "section"
    filter_file = bundle / "filter" / f"{new_meta[3][0][1]}.pf_filter"
    assert search._decode(search._unpack(filter_file.read_bytes())) == ["section", [["Sport", [0]], ["World", [1]]]]
    assert len(list((bundle / "filter").iterdir())) == 1
    before = tree(bundle)
    assert search.canonical_filters(bundle) and tree(bundle).keys() == before.keys()  # idempotent
    (bundle / f"pagefind.{entry}.pf_meta").write_bytes(search._pack(b"\xa1\x01\x02"))  # a map: not the known format
    before = tree(bundle)
    assert not search.canonical_filters(bundle)
    assert tree(bundle) == before


def test_build_time_for_an_empty_site_is_still_deterministic(site):
    root = site({"sitegen.yaml": QUICK, "content/.keep": ""})
    result = build(root, root / "public")
    assert result.articles == 0
    feed = lxml.etree.parse(str(root / "public/feed.xml")).getroot()
    assert feed.findtext(f"{ATOM}updated") == datetime.fromtimestamp(0, timezone.utc).isoformat()


def test_pagefind_reads_only_article_pages():
    from sitegen.search import article_glob

    assert article_glob("/{year}/{month}/{day}/{slug}/") == "*/*/*/*/index.html"
    assert article_glob("/news/{section}/{slug}/") == "news/*/*/index.html"


def test_search_still_works_when_no_article_has_a_page(site, tmp_path):
    root = site({"content/a.md": "---\ntitle: [broken\n---\n"})
    result = build(root, tmp_path / "out")
    assert (result.articles, result.errors) == (0, 1)
    assert (tmp_path / "out/pagefind/pagefind-ui.js").is_file()  # the search page's script is there
