"""`sitegen import`: archives of other systems, written as real files, turned into content that
sitegen's own reader reads back and its build turns into pages."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import write_files
from sitegen.build import build
from sitegen.cli import main
from sitegen.config import Config, MarkdownConfig
from sitegen.formats import ReadContext, frontmatter
from sitegen.formats import scrape as scrape_format
from sitegen.importers.common import text_to_markdown
from sitegen.markdown import render

SEED = Path(__file__).parent / "data/seed.txt"  # the seed scrape, shared/seed/000_15b4c68129f4cf13.txt
SEED_NAME = "000_15b4c68129f4cf13.txt"


def zone(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    return code, out, err


def read(path: Path):
    """The file as sitegen reads it: (Article, its raw front matter)."""
    text = path.read_text(encoding="utf-8")
    article, diagnostics = frontmatter.read(text, ReadContext(Config(), path.as_posix(), path.name))
    assert article is not None, diagnostics
    assert diagnostics == []
    return article, yaml.safe_load(text.split("---\n")[1])


def paragraphs(html: str) -> list[str]:
    body = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [el.tag for el in body.iter()] == ["div"] + ["p"] * len(body)
    return [p.text_content() for p in body]


def text_of(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


# --- sample archives -------------------------------------------------------------------------------

PELICAN = {
    "old/World/panama-canal.md": """\
        Title: Drought forces Panama Canal to cut daily transits
        Date: 2023-11-02 09:00:00-05:00
        Modified: 2023-11-03T10:15+01:00
        Category: World
        Tags: climate, trade, shipping
        Authors: Daniel Ortega, Amara Okafor
        Slug: panama-canal-drought-transits
        Summary: The canal authority will gradually reduce crossings to 18 a day
            by February as water levels fall.
        URL: 2023/11/panama-canal-drought-transits.html
        Save_as: 2023/11/panama-canal-drought-transits.html
        Lang: en

        PANAMA CITY (Reuters) — The Panama Canal will *further* reduce the number of ships.

        ## Costs passed along supply chains

        Queues of vessels built up at both ends.
        """,
    "old/Business/ecb.md": """\
        Title: ECB holds rates steady
        Date: 2023/10/26 14:15
        Tags: ecb; interest rates, eurozone
        Author: Hannah Cole
        Source: Reuters
        URL: business/ecb-holds-rates/
        Save_as: business/ecb-holds-rates/index.html

        FRANKFURT (Reuters) — The European Central Bank kept rates unchanged.
        """,
    "old/World/draft.md": """\
        Title: An unfinished story
        Date: 2024-07-06
        Category: World
        Status: draft

        Not yet.
        """,
    "old/culture/bistros.rst": """\
        Paris bistros press their case
        ##############################

        :date: 2023-11-20 08:00+01:00
        :category: Culture
        :tags: café culture, heritage
        :authors: Hannah Cole
        :summary: Owners say the zinc counters are a way of life.

        PARIS (AFP) — With its zinc counter and `mirrored walls <https://example.org>`_, the bistro
        looks much as it did.

        .. image:: bistro.jpg
        """,
    "old/pages/about.md": """\
        Title: About us

        Who we are.
        """,
}


def test_pelican(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, PELICAN))
    code, out, err = run(capsys, "pelican", "old")
    assert (code, out) == (0, "imported 4 articles into content/, 0 skipped\n")
    assert err.splitlines() == [
        "old/World/panama-canal.md:12: warning: header 'Lang' has no sitegen equivalent: left out",
        "old/culture/bistros.rst:10: warning: body is reStructuredText, kept as-is; review it",
        "old/pages/about.md:1: warning: a Pelican page, not an article: left out",
    ]
    canal, raw = read(tmp_path / "content/world/2023/panama-canal-drought-transits.md")
    assert canal.title == "Drought forces Panama Canal to cut daily transits"
    assert canal.date == datetime(2023, 11, 2, 9, 0, tzinfo=zone(-5))
    assert canal.updated == datetime(2023, 11, 3, 10, 15, tzinfo=zone(1))
    assert (canal.section, canal.slug, canal.slug_given) == ("World", "panama-canal-drought-transits", True)
    assert canal.tags == ("climate", "trade", "shipping")
    assert canal.authors == ("Daniel Ortega", "Amara Okafor")
    assert canal.summary == ("The canal authority will gradually reduce crossings to 18 a day by February "
                             "as water levels fall.")  # the header's lines joined
    assert raw["aliases"] == ["/2023/11/panama-canal-drought-transits.html"]  # URL and Save_as: one page
    assert "<em>further</em>" in canal.body_html and "<h2" in canal.body_html

    ecb, raw = read(tmp_path / "content/business/2023/ecb-holds-rates-steady.md")
    assert ecb.section == "Business"  # the folder, as Pelican's USE_FOLDER_AS_CATEGORY
    assert ecb.date == datetime(2023, 10, 26, 14, 15, tzinfo=timezone.utc)  # no zone: the site's
    assert ecb.tags == ("ecb", "interest rates, eurozone")  # Pelican splits at ';' when there is one
    assert (ecb.authors, ecb.source, ecb.slug_given) == (("Hannah Cole",), "Reuters", False)
    assert raw["aliases"] == ["/business/ecb-holds-rates/"]

    draft, raw = read(tmp_path / "content/world/2024/an-unfinished-story.md")
    assert draft.draft and "aliases" not in raw

    bistros, raw = read(tmp_path / "content/culture/2023/paris-bistros-press-their-case.md")
    assert bistros.title == "Paris bistros press their case"
    assert bistros.date == datetime(2023, 11, 20, 8, 0, tzinfo=zone(1))
    assert bistros.tags == ("café culture", "heritage")
    body = (tmp_path / "content/culture/2023/paris-bistros-press-their-case.md").read_text().split("---\n", 2)[2]
    assert body == ("PARIS (AFP) — With its zinc counter and `mirrored walls <https://example.org>`_, the bistro\n"
                    "looks much as it did.\n\n.. image:: bistro.jpg\n")
    assert not (tmp_path / "content/about-us.md").exists()


HUGO = {
    "site/hugo.toml": 'baseURL = "https://example.org/"\n',
    "site/content/news/chip-race.md": """\
        ---
        title: "China's chipmakers race to fill export gap"
        date: 2024-06-18T09:30:00+08:00
        lastmod: 2024-06-19T08:00:00+08:00
        categories: [Technology, Asia]
        tags: [semiconductors, china]
        authors: [Mei Lin]
        description: "Chinese foundries are expanding as export controls bite."
        aliases: [/2024/06/chips.html, chips-old/]
        layout: post
        series: chips
        ---
        Body in **Markdown**, with a [link](https://example.org).
        """,
    "site/content/news/rate-cut/index.md": """\
        +++
        title = "Fed cuts rates for the first time in four years"
        date = 2024-09-18T14:00:00-04:00
        slug = "fed-cuts-rates"
        categories = ["Business"]
        tags = ["interest rates", "united states"]
        author = "Daniel Ortega"
        summary = "A half-point cut."
        url = "/business/fed-cuts-rates/"
        +++

        WASHINGTON — The Federal Reserve cut rates.
        """,
    "site/content/news/draft.md": """\
        +++
        title = "Unfinished"
        date = 2024-09-20
        draft = true
        +++
        Soon.
        """,
    "site/content/news/_index.md": "---\ntitle: News\n---\n",
    "site/content/news/json-story.md": """\
        {
          "title": "Front matter in JSON",
          "date": "2024-02-01T07:00:00Z",
          "categories": ["World"]
        }
        Body.
        """,
}


def test_hugo_yaml_and_toml(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, HUGO))
    code, out, err = run(capsys, "hugo", "site", "--into", "imported")
    assert (code, out) == (0, "imported 4 articles into imported/, 0 skipped\n")
    assert err.splitlines() == [
        "site/content/news/_index.md:1: warning: a Hugo list page (_index.md), not an article: left out",
        "site/content/news/chip-race.md:11: warning: front matter key 'series' has no sitegen equivalent: left out",
    ]
    chips, raw = read(tmp_path / "imported/technology/2024/chip-race.md")
    assert chips.title == "China's chipmakers race to fill export gap"
    assert chips.date == datetime(2024, 6, 18, 9, 30, tzinfo=zone(8))
    assert chips.updated == datetime(2024, 6, 19, 8, 0, tzinfo=zone(8))
    assert (chips.section, chips.tags, chips.authors) == ("Technology", ("semiconductors", "china", "Asia"), ("Mei Lin",))
    assert chips.summary == "Chinese foundries are expanding as export controls bite."
    assert chips.slug == "chip-race"
    # Hugo's default URL (the content folder's path), then its aliases; relative ones are from the page's folder
    assert raw["aliases"] == ["/news/chip-race/", "/2024/06/chips.html", "/news/chips-old/"]

    fed, raw = read(tmp_path / "imported/business/2024/fed-cuts-rates.md")
    assert fed.date == datetime(2024, 9, 18, 14, 0, tzinfo=zone(-4))
    assert (fed.slug, fed.section, fed.tags) == ("fed-cuts-rates", "Business", ("interest rates", "united states"))
    assert (fed.authors, fed.summary) == (("Daniel Ortega",), "A half-point cut.")
    assert raw["aliases"] == ["/business/fed-cuts-rates/"]  # its url replaced Hugo's default

    draft, raw = read(tmp_path / "imported/2024/draft.md")
    assert draft.draft and draft.date == datetime(2024, 9, 20, tzinfo=timezone.utc) and "aliases" not in raw

    story, raw = read(tmp_path / "imported/world/2024/json-story.md")
    assert (story.title, story.section) == ("Front matter in JSON", "World")
    assert story.date == datetime(2024, 2, 1, 7, 0, tzinfo=timezone.utc)
    assert (story.body_html, raw["aliases"]) == ("<p>Body.</p>\n", ["/news/json-story/"])


JEKYLL = {
    "blog/_config.yml": "title: Old blog\n",
    "blog/about.md": "---\ntitle: About\n---\nNot a post.\n",
    "blog/_posts/2019-05-04-brexit-vote-delayed.md": """\
        ---
        layout: post
        title: "Brexit vote delayed again"
        categories: World Europe
        tags: brexit politics
        author: Sam Smith
        excerpt: "MPs will vote next week."
        ---
        LONDON — The vote was put off.
        """,
    "blog/sport/_posts/2019-06-01-final.markdown": """\
        ---
        title: Liverpool win the Champions League
        date: 2019-06-01 22:50:00 +0200
        author:
          name: Tomasz Nowak
        ---
        MADRID — Liverpool beat Tottenham 2-0.
        """,
    "blog/_posts/2019-07-01-moved.md": """\
        ---
        title: Moved page
        permalink: /special/moved/
        redirect_from: [/old-moved.html]
        ---
        Text.
        """,
    "blog/_drafts/next-week.md": "---\ntitle: Next week\ndate: 2019-08-01\n---\nDraft.\n",
}


def test_jekyll(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, JEKYLL))
    code, out, err = run(capsys, "jekyll", "blog")
    assert (code, out, err) == (0, "imported 4 articles into content/, 0 skipped\n", "")
    brexit, raw = read(tmp_path / "content/world/2019/brexit-vote-delayed.md")
    assert brexit.date == datetime(2019, 5, 4, tzinfo=timezone.utc)  # from the file name
    assert (brexit.slug, brexit.section, brexit.tags) == ("brexit-vote-delayed", "World", ("brexit", "politics", "Europe"))
    assert (brexit.authors, brexit.summary) == (("Sam Smith",), "MPs will vote next week.")
    assert raw["aliases"] == ["/world/europe/2019/05/04/brexit-vote-delayed.html"]  # Jekyll's default permalink

    final, raw = read(tmp_path / "content/sport/2019/final.md")
    assert final.date == datetime(2019, 6, 1, 22, 50, tzinfo=zone(2))
    assert (final.section, final.authors) == ("sport", ("Tomasz Nowak",))  # the folder above _posts
    assert raw["aliases"] == ["/sport/2019/06/01/final.html"]

    _, raw = read(tmp_path / "content/2019/moved.md")
    assert raw["aliases"] == ["/special/moved/", "/old-moved.html"]
    draft, raw = read(tmp_path / "content/2019/next-week.md")
    assert draft.draft and "aliases" not in raw


NINJS_1 = {
    "uri": "https://news.example.com/2013/07/09/captain-trial.html",
    "type": "text",
    "version": "2",
    "firstcreated": "2013-07-09T10:37:00+02:00",
    "versioncreated": "2013-07-09T14:05:00+02:00",
    "pubstatus": "usable",
    "language": "en",
    "byline": "By Paolo Santalucia and Frances D'Emilio",
    "located": "Grosseto, Italy",
    "headline": "Captain of wrecked cruise ship goes on trial",
    "slugline": "ITALY-SHIP TRIAL",
    "copyrightholder": "AP",
    "description_text": "The trial of the captain of the Costa Concordia has begun in Tuscany.",
    "subject": [{"name": "Justice", "code": "02000000", "scheme": "http://cv.iptc.org/newscodes/mediatopic/"},
                {"code": "shipping"}, {"name": "Italy", "rel": "about"}],
    "body_html": ("<p>The trial of the captain of the <b>Costa Concordia</b> has begun.</p>"
                  "<p>1. He denies <a href=\"https://example.org/charges\">the charges</a>.</p>"
                  "<script>alert('x')</script><p onclick=\"steal()\">More to come.</p>"),
    "associations": {
        "featureimage": {
            "type": "picture", "headline": "The wreck",
            "description_text": "The Costa Concordia on its side off Giglio.", "byline": "Gregorio Borgia",
            "renditions": {"thumbnail": {"href": "https://img.example.com/t.jpg", "width": 200},
                           "original": {"href": "https://img.example.com/o.jpg", "width": 3000}},
        }
    },
}
NINJS_2 = [
    {
        "uri": "urn:newsml:example.se:20210526:a0f2d045",
        "type": "text",
        "versioncreated": "2021-05-26T13:40:18+02:00",
        "by": "Karl Melander",
        "headlines": [{"role": "main", "value": "Military exercise planned for 2023"}],
        "subjects": [{"name": "Defence", "uri": "http://example.se/subject/16000000"}],
        "keywords": ["aurora"],
        "descriptions": [{"role": "summary", "contenttype": "text/plain", "value": "Aurora is back."}],
        "bodies": [{"role": "text", "contenttype": "text/plain", "value": "First paragraph.\n# Second, not a heading."}],
        "associations": [{"name": "a001", "type": "picture", "by": "TT",
                          "renditions": [{"name": "r00", "href": "https://img.example.se/hires.jpg", "width": 4724},
                                         {"name": "r01", "href": "https://img.example.se/preview.jpg", "width": 1024}]}],
    },
    {"type": "picture", "headline": "A photo on its own", "versioncreated": "2021-05-26T13:00:00Z"},
]


def test_ninjs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, {"feed/2013/trial.json": json.dumps(NINJS_1, indent=2),
                                             "feed/2021/items.json": json.dumps(NINJS_2, indent=2)}))
    code, out, err = run(capsys, "ninjs", "feed")
    assert (code, out) == (0, "imported 2 articles into content/, 0 skipped\n")
    assert err.splitlines() == [
        "feed/2021/items.json:57: warning: a ninjs item of type 'picture', not an article: left out"]
    trial, raw = read(tmp_path / "content/justice/2013/italy-ship-trial.md")
    assert trial.title == "Captain of wrecked cruise ship goes on trial"
    assert trial.date == datetime(2013, 7, 9, 10, 37, tzinfo=zone(2))
    assert trial.updated == datetime(2013, 7, 9, 14, 5, tzinfo=zone(2))
    assert (trial.section, trial.tags) == ("Justice", ("shipping", "Italy"))
    assert trial.authors == ("Paolo Santalucia", "Frances D'Emilio")
    assert (trial.source, trial.slug) == ("AP", "italy-ship-trial")
    assert trial.summary == "The trial of the captain of the Costa Concordia has begun in Tuscany."
    assert (trial.image.src, trial.image.caption, trial.image.credit) == (
        "https://img.example.com/o.jpg", "The Costa Concordia on its side off Giglio.", "Gregorio Borgia")
    assert raw["aliases"] == ["/2013/07/09/captain-trial.html"]
    body = lxml.html.fragment_fromstring(trial.body_html, create_parent="div")
    assert [p.text_content() for p in body.findall("p")] == [
        "Grosseto, Italy — The trial of the captain of the Costa Concordia has begun.",
        "1. He denies the charges.", "More to come."]
    assert [b.text for b in body.iter("strong")] == ["Costa Concordia"]
    assert [a.get("href") for a in body.iter("a")] == ["https://example.org/charges"]
    assert "alert" not in trial.body_html and "steal" not in trial.body_html

    exercise, raw = read(tmp_path / "content/defence/2021/military-exercise-planned-for-2023.md")
    assert exercise.date == datetime(2021, 5, 26, 13, 40, 18, tzinfo=zone(2)) and exercise.updated is None
    assert (exercise.section, exercise.tags, exercise.authors) == ("Defence", ("aurora",), ("Karl Melander",))
    assert exercise.summary == "Aurora is back."
    assert (exercise.image.src, exercise.image.credit) == ("https://img.example.se/hires.jpg", "TT")
    assert text_of(exercise.body_html) == "First paragraph. # Second, not a heading."
    assert "<h1" not in exercise.body_html and "aliases" not in raw  # a urn is no old URL


def test_scrape(tmp_path, monkeypatch, capsys):
    shutil.copy(SEED, write_files(tmp_path, {"scrapes/markets.txt": """\
         date 2024-07-05 Business
        Markets rally on rate hopes
        Shares rose across Asia as traders bet on rate cuts.
        Traders watch screens in Tokyo. / Photo: Reuters
        July 5, 2024

        1. Stocks climbed as *investors* bet on cuts, and <b> is not markup.

        # Not a heading: the index gained 2%.
        Related'China calls for international AI cooperation
        SOURCE:Reuters
        """, "scrapes/markets.png": b"\x89PNG\r\n\x1a\n"}) / "scrapes" / SEED_NAME)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "scrape", "scrapes")
    assert (code, out) == (0, "imported 2 articles into content/, 0 skipped\n")
    assert err.splitlines() == [
        "scrapes/000_15b4c68129f4cf13.txt:5: warning: photo caption left out: no image file with the same name "
        "beside the scrape"]
    for name, imported in (("000_15b4c68129f4cf13.txt", "world/2024/china-calls-for-international-ai-cooperation.md"),
                           ("markets.txt", "business/2024/markets-rally-on-rate-hopes.md")):
        original, _ = scrape_format.read((tmp_path / "scrapes" / name).read_text(),
                                         ReadContext(Config(), name, name))
        article, raw = read(tmp_path / "content" / imported)
        assert (article.title, article.date, article.section, article.source, article.summary) == (
            original.title, original.date, original.section, original.source, original.summary)
        assert [r.text for r in article.related] == [r.text for r in original.related]
        # the same paragraphs, nothing in them turned into markup
        assert paragraphs(article.body_html) == paragraphs(original.body_html)
    markets, raw = read(tmp_path / "content/business/2024/markets-rally-on-rate-hopes.md")
    assert (raw["image"], markets.image.caption, markets.image.credit) == (
        "markets-rally-on-rate-hopes.png", "Traders watch screens in Tokyo.", "Reuters")
    assert (tmp_path / "content/business/2024/markets-rally-on-rate-hopes.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
    china, raw = read(tmp_path / "content/world/2024/china-calls-for-international-ai-cooperation.md")
    assert china.image is None and china.section == "WORLD"


def test_malformed_files_are_reported_at_their_line_and_the_rest_imported(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, {
        "pel/good.md": "Title: Fine\nDate: 2024-01-02\n\nBody.\n",
        "pel/bad-date.md": "Title: Bad date\nCategory: World\nDate: 4 June 2024\n\nBody.\n",
        "pel/no-title.md": "Date: 2024-01-02\n\nBody.\n",
        "pel/plain.md": "Just text, no header.\n",
        "pel/latin1.md": "Title: Caf\xe9\nDate: 2024-01-02\n".encode("latin-1"),
        "hugo/yaml.md": "---\ntitle: Fine\ndate: 2024-01-02\ntags: [a, b\n---\nBody.\n",
        "hugo/toml.md": "+++\ntitle = \"Fine\"\ndate = 2024-01-02\ntags = [\"a\" \"b\"]\n+++\nBody.\n",
        "hugo/no-date.md": "---\ntitle: Fine\n---\nBody.\n",
        "hugo/bad-lastmod.md": "---\ntitle: Fine\ndate: 2024-01-02\nlastmod: soon\n---\nBody.\n",
        "hugo/open.md": "---\ntitle: Fine\n",
        "hugo/none.md": "Body only.\n",
        "hugo/json.md": '{\n  "title": "Fine",\n  "date": 2024-01-02\n}\nBody.\n',
        "ninjs/broken.json": '{\n  "headline": "x",\n  "versioncreated": "2024-01-02"\n  "type": "text"\n}\n',
        "ninjs/items.json": json.dumps([{"headline": "Also fine", "versioncreated": "2024-01-02T10:00:00Z"},
                                        {"headline": "Bad", "versioncreated": "2024-13-02T10:00:00Z"},
                                        {"versioncreated": "2024-01-02T10:00:00Z"}], indent=2),
        "scrapes/bad.txt": "Headline without a date line\n\nBody.\n",
    }))
    assert run(capsys, "pelican", "pel") == (1, "imported 1 articles into content/, 4 skipped\n", "\n".join([
        "pel/bad-date.md:3: error: cannot read Date '4 June 2024': expected YYYY-MM-DD, optionally with a time "
        "(HH:MM[:SS]) and a zone offset",
        "pel/latin1.md:1: error: not UTF-8 text (byte 0xe9 cannot be decoded)",
        "pel/no-title.md:1: error: missing the Title header",
        "pel/plain.md:1: error: no Pelican header: expected 'Title:' and 'Date:' lines at the top", ""]))
    assert run(capsys, "hugo", "hugo") == (1, "imported 0 articles into content/, 7 skipped\n", "\n".join([
        "hugo/bad-lastmod.md:4: error: cannot read lastmod 'soon': expected YYYY-MM-DD, optionally with a time "
        "(HH:MM[:SS]) and a zone offset",
        "hugo/json.md:3: error: invalid JSON in front matter: Expecting ',' delimiter",
        "hugo/no-date.md:1: error: missing date",
        "hugo/none.md:1: error: no front matter: expected a '---' (YAML) or '+++' (TOML) line at the top",
        "hugo/open.md:1: error: front matter is not closed by a '---' line",
        "hugo/toml.md:4: error: invalid TOML in front matter: Unclosed array",
        "hugo/yaml.md:5: error: invalid YAML in front matter: did not find expected ',' or ']'", ""]))
    assert run(capsys, "ninjs", "ninjs") == (1, "imported 1 articles into content/, 3 skipped\n", "\n".join([
        "ninjs/broken.json:4: error: invalid JSON: Expecting ',' delimiter (column 3)",
        "ninjs/items.json:8: error: cannot read versioncreated '2024-13-02T10:00:00Z': expected YYYY-MM-DD, "
        "optionally with a time (HH:MM[:SS]) and a zone offset",
        "ninjs/items.json:10: error: missing headline", ""]))
    assert run(capsys, "scrape", "scrapes") == (1, "imported 0 articles into content/, 1 skipped\n",
        "scrapes/bad.txt:1: error: expected a ' date YYYY-MM-DD SECTION' line, found 'Headline without a date line'\n")
    assert sorted(p.relative_to(tmp_path / "content").as_posix() for p in (tmp_path / "content").rglob("*.md")) == [
        "2024/also-fine.md", "2024/fine.md"]


def test_never_overwrites_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, {k: v for k, v in PELICAN.items() if "pages" not in k}))
    assert run(capsys, "pelican", "old")[0] == 0
    edited = tmp_path / "content/business/2023/ecb-holds-rates-steady.md"
    edited.write_text("edited by hand\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (tmp_path / "content").rglob("*.md")}
    code, out, err = run(capsys, "pelican", "old")
    assert (code, out) == (1, "imported 0 articles into content/, 4 skipped\n")
    assert "old/Business/ecb.md:1: error: content/business/2023/ecb-holds-rates-steady.md exists already: " \
           "left as it is, this article is not imported" in err.splitlines()
    assert {p: p.read_bytes() for p in (tmp_path / "content").rglob("*.md")} == before


def test_two_articles_with_one_name_get_two_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, {
        "old/a.md": "Title: Rates held\nDate: 2024-01-02\n\nFirst.\n",
        "old/b.md": "Title: Rates held\nDate: 2024-03-02\n\nSecond.\n"}))
    assert run(capsys, "pelican", "old")[:2] == (0, "imported 2 articles into content/, 0 skipped\n")
    assert read(tmp_path / "content/2024/rates-held.md")[0].body_html == "<p>First.</p>\n"
    assert read(tmp_path / "content/2024/rates-held-2.md")[0].body_html == "<p>Second.</p>\n"


def test_output_is_deterministic(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, HUGO))
    run(capsys, "hugo", "site", "--into", "one")
    run(capsys, "hugo", "site", "--into", "two")
    files = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*.md")}
    assert files == {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*.md")}
    assert (tmp_path / "one/technology/2024/chip-race.md").read_text() == """\
---
title: "China's chipmakers race to fill export gap"
slug: chip-race
date: 2024-06-18T09:30:00+08:00
updated: 2024-06-19T08:00:00+08:00
section: Technology
tags: [semiconductors, china, Asia]
authors: [Mei Lin]
summary: "Chinese foundries are expanding as export controls bite."
aliases: [/news/chip-race/, /2024/06/chips.html, /news/chips-old/]
---
Body in **Markdown**, with a [link](https://example.org).
"""


def test_bad_usage_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["import", "wordpress", "."])
    assert stop.value.code == 2
    assert "invalid choice: 'wordpress'" in capsys.readouterr().err
    assert run(capsys, "hugo", "missing") == (2, "", "sitegen: error: no archive at missing\n")
    (tmp_path / "file").write_text("x")
    assert run(capsys, "hugo", ".", "--into", "file") == (2, "", "sitegen: error: file is not a folder\n")
    (tmp_path / "content/old").mkdir(parents=True)
    assert run(capsys, "scrape", "content/old", "--into", "content") == (
        2, "", "sitegen: error: the archive content/old is inside content: import it into another folder\n")


def test_files_already_in_the_content_folder_are_not_read(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_files(tmp_path, {
        "old/a.md": "Title: Rates held\nDate: 2024-01-02\n\nFirst.\n",
        "content/2023/b.md": "---\ntitle: Sitegen's own\ndate: 2023-01-02\n---\nText.\n"}))
    assert run(capsys, "pelican", ".") == (0, "imported 1 articles into content/, 0 skipped\n", "")
    assert (tmp_path / "content/old/2024/rates-held.md").exists()


def test_imported_archive_builds(tmp_path, monkeypatch, capsys):
    archive = {**PELICAN, **HUGO, **JEKYLL, "feed/trial.json": json.dumps(NINJS_1), "feed/items.json": json.dumps(NINJS_2)}
    monkeypatch.chdir(write_files(tmp_path, {**archive, "sitegen.yaml": "search: false\n"}))
    # the seed scrape, and the one its Related line names
    shutil.copy(SEED, write_files(tmp_path, {"scrapes/models.txt": """\
         date 2024-07-01 World
        'War of a hundred models': Chinese AI scene heads for a shakeout

        Hundreds of Chinese AI models compete for users.
        """}) / "scrapes" / SEED_NAME)
    for fmt, src in (("pelican", "old"), ("hugo", "site"), ("jekyll", "blog"), ("ninjs", "feed"), ("scrape", "scrapes")):
        assert run(capsys, fmt, src)[0] == 0
    result = build(tmp_path, tmp_path / "public")
    assert result.diagnostics == (), result.diagnostics
    pages = {
        "2023/11/02/panama-canal-drought-transits": "Drought forces Panama Canal to cut daily transits",
        "2023/11/20/paris-bistros-press-their-case": "Paris bistros press their case",
        "2024/06/18/chip-race": "China's chipmakers race to fill export gap",
        "2024/09/18/fed-cuts-rates": "Fed cuts rates for the first time in four years",
        "2019/06/01/final": "Liverpool win the Champions League",
        "2013/07/09/italy-ship-trial": "Captain of wrecked cruise ship goes on trial",
        "2024/07/04/china-calls-for-international-ai-cooperation": "China calls for international AI cooperation",
        "2024/07/01/war-of-a-hundred-models-chinese-ai-scene-heads-for-a-shakeout":
            "'War of a hundred models': Chinese AI scene heads for a shakeout",
    }
    for path, title in pages.items():
        page = lxml.html.parse(str(tmp_path / "public" / path / "index.html")).getroot()
        assert page.find(".//h1").text_content().strip() == title
    articles = list((tmp_path / "public").glob("[12][0-9][0-9][0-9]/[01][0-9]/[0-3][0-9]/*/index.html"))
    assert len(articles) == 3 + 3 + 3 + 2 + 2  # every imported article but the drafts
    china = (tmp_path / "public/2024/07/04/china-calls-for-international-ai-cooperation/index.html").read_text()
    assert 'href="/2024/07/01/war-of-a-hundred-models-chinese-ai-scene-heads-for-a-shakeout/"' in china
    # the old URLs of the migrated archive redirect to the new pages
    old_urls = {
        "2023/11/panama-canal-drought-transits.html": "/2023/11/02/panama-canal-drought-transits/",  # Pelican URL
        "news/chip-race/index.html": "/2024/06/18/chip-race/",                                   # Hugo default
        "2024/06/chips.html": "/2024/06/18/chip-race/",                                          # Hugo alias
        "sport/2019/06/01/final.html": "/2019/06/01/final/",                                     # Jekyll default
        "2013/07/09/captain-trial.html": "/2013/07/09/italy-ship-trial/",                        # ninjs uri
    }
    for old, new in old_urls.items():
        page = lxml.html.parse(str(tmp_path / "public" / old)).getroot()
        refresh = page.find(".//meta[@http-equiv='refresh']").get("content")
        assert refresh == f"0; url={new}", old
        assert page.find(".//link[@rel='canonical']").get("href").endswith(new)


@pytest.mark.parametrize("text", [
    "*Star* and _under_ 1. not a list # nor a heading <b> [x](y) `code`", "1. starts like a list", "2) also",
    "# looks like a heading", "- a dash", "+ a plus", "> a quote", "* a star", "===", "---", "a \\* backslash",
    "C:\\path\\to", "~~struck~~", "&amp; an entity, &copy; and & alone", "<http://example.org> autolink",
    "snake_case and __init__", "| a | b |", "3 < 4 > 2", "![not an image](x.png)", "[^1] not a footnote",
    "<!-- not a comment -->", "ends with a backslash \\"])
def test_plain_text_stays_plain_text(text):
    """What a scrape or a ninjs body_text says is shown as typed: no character becomes Markdown."""
    html = BeautifulSoup(render(text_to_markdown(text), MarkdownConfig()), "html.parser")
    assert [tag.name for tag in html.find_all()] == ["p"]
    assert html.p.get_text() == text


def test_the_command_line_offers_every_import_format():
    # the CLI names them without importing the importers (a build never needs them)
    from sitegen.cli import IMPORT_FORMATS
    from sitegen.importers import FORMATS
    assert IMPORT_FORMATS == tuple(FORMATS)
