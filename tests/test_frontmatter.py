"""Stage tests for ``sitegen.formats.frontmatter``: every field, and bad input with exact messages."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from sitegen.config import Config
from sitegen.formats import ReadContext
from sitegen.formats.frontmatter import read
from sitegen.model import Image, RelatedRef

REL = "content/2024/07/a.md"
CONTENT_REL = "2024/07/a.md"
DATE_HELP = "expected YYYY-MM-DD, optionally with a time (HH:MM[:SS]) and a zone offset"


def md(text: str, config: Config | None = None):
    text = textwrap.dedent(text).lstrip("\n")
    return read(text, ReadContext(config or Config(), REL, CONTENT_REL))


def messages(diagnostics) -> list[str]:
    return [str(d) for d in diagnostics]


def minimal(extra: str = "", body: str = "Body text.") -> str:
    return f"---\ntitle: A title\ndate: 2024-07-04\n{extra}---\n{body}\n"


# --- fields ---------------------------------------------------------------------------------

def test_every_field_read():
    article, diagnostics = md("""
        ---
        title: China calls for cooperation
        date: 2024-07-04T09:30:00+02:00
        updated: 2024-07-05 18:00
        section: World
        tags: [ai, china]
        authors:
          - Ann Writer
          - Bob Reporter
        source: AFP
        summary: A given summary.
        image: pic.jpg
        image_caption: Delegates at the conference
        image_credit: AP Archive
        slug: china-ai
        draft: false
        related: [other-article, Another title]
        ---
        First paragraph of the body.
    """)
    assert diagnostics == []
    assert article.title == "China calls for cooperation"
    assert article.date == datetime(2024, 7, 4, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert article.date.utcoffset() == timedelta(hours=2)
    assert article.updated == datetime(2024, 7, 5, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert article.section == "World"
    assert article.tags == ("ai", "china")
    assert article.authors == ("Ann Writer", "Bob Reporter")
    assert article.source == "AFP"
    assert article.summary == "A given summary."
    assert article.image == Image("/2024/07/pic.jpg", "Delegates at the conference", "AP Archive")
    assert article.slug == "china-ai"
    assert article.slug_given is True
    assert article.draft is False
    assert article.related == (RelatedRef("other-article", 17), RelatedRef("Another title", 17))
    assert article.path == REL
    assert article.line == 1
    assert article.dateline == ""
    body = lxml.html.fragment_fromstring(article.body_html, create_parent="div")
    assert [p.text_content() for p in body.findall("p")] == ["First paragraph of the body."]


@pytest.mark.parametrize("value, expected", [
    ("2024-07-04T09:30:00+02:00", datetime(2024, 7, 4, 9, 30, tzinfo=timezone(timedelta(hours=2)))),
    ("2024-07-04 09:30 -05:00", datetime(2024, 7, 4, 9, 30, tzinfo=timezone(timedelta(hours=-5)))),
    ("2024-07-04T09:30:00Z", datetime(2024, 7, 4, 9, 30, tzinfo=timezone.utc)),
    ('"2024-07-04T09:30:00+0530"', datetime(2024, 7, 4, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
])
def test_date_with_offset_keeps_the_offset(value, expected):
    article, diagnostics = md(f"---\ntitle: A\ndate: {value}\n---\nBody.\n")
    assert diagnostics == []
    assert article.date == expected
    assert article.date.utcoffset() == expected.utcoffset()


def test_date_without_zone_takes_site_zone():
    article, _ = md("---\ntitle: A\ndate: 2024-07-04 09:30\n---\nBody.\n", Config(timezone="Europe/Istanbul"))
    assert article.date == datetime(2024, 7, 4, 9, 30, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert article.date.utcoffset() == timedelta(hours=3)


def test_date_only_is_midnight_in_site_zone():
    article, _ = md("---\ntitle: A\ndate: 2024-01-15\n---\nBody.\n", Config(timezone="America/New_York"))
    assert article.date == datetime(2024, 1, 15, 0, 0, tzinfo=ZoneInfo("America/New_York"))
    assert article.date.utcoffset() == timedelta(hours=-5)


def test_tags_as_comma_string():
    article, diagnostics = md(minimal("tags: economy, trade ,, Türkiye, economy\n"))
    assert diagnostics == []
    assert article.tags == ("economy", "trade", "Türkiye")


def test_authors_as_single_string():
    article, _ = md(minimal("authors: Ann Writer\n"))
    assert article.authors == ("Ann Writer",)


def test_absent_optional_fields():
    article, diagnostics = md(minimal())
    assert diagnostics == []
    assert (article.section, article.tags, article.authors, article.source) == ("", (), (), "")
    assert article.image is None
    assert article.updated is None
    assert article.related == ()
    assert article.draft is False
    assert article.slug_given is False


def test_summary_derived_from_first_paragraph():
    body = "## A heading\n\nFirst *para* with a [link](https://example.org) and `code` &amp; more\nnext line.\n\nSecond."
    article, _ = md(minimal(body=body))
    assert article.summary == "First para with a link and code & more next line."


def test_long_summary_is_shortened_at_a_word():
    article, _ = md(minimal(body="lorem " * 100))
    assert article.summary == " ".join(["lorem"] * 46) + "…"


def test_summary_of_exactly_the_limit_is_kept_whole():
    text = ("abcd " * 56).strip()  # 279 characters
    article, _ = md(minimal(body=text + "e"))
    assert len(article.summary) == 280
    assert article.summary == text + "e"


def test_summary_skips_image_only_paragraph():
    article, _ = md(minimal(body="![A photo](p.jpg)\n\nThe real first paragraph."))
    assert article.summary == "The real first paragraph."


@pytest.mark.parametrize("src, expected", [
    ("pic.jpg", "/2024/07/pic.jpg"),
    ("./img/pic.jpg", "/2024/07/img/pic.jpg"),
    ("../shared/pic.jpg", "/2024/shared/pic.jpg"),
    ("/images/x.svg", "/images/x.svg"),
    ("https://cdn.example.org/p.jpg", "https://cdn.example.org/p.jpg"),
])
def test_image_path_resolution(src, expected):
    article, diagnostics = md(minimal(f"image: {src}\n"))
    assert diagnostics == []
    assert article.image == Image(expected, "", "")


def test_image_caption_without_image_is_a_warning():
    article, diagnostics = md(minimal("image_credit: AP\n"))
    assert article.image is None
    assert messages(diagnostics) == [f"{REL}:4: warning: image caption or credit given without an image"]


@pytest.mark.parametrize("title, slug", [
    ("China calls for AI cooperation", "china-calls-for-ai-cooperation"),
    ("Çağlayan seçim sonuçları açıklandı", "caglayan-secim-sonuclari-aciklandi"),
    ("Türkiye: İstanbul’da yağmur", "turkiye-istanbulda-yagmur"),
    ("Привет мир", "privet-mir"),
    ("北京", "bei-jing"),
])
def test_slug_derived_from_title(title, slug):
    article, _ = md(f'---\ntitle: "{title}"\ndate: 2024-07-04\n---\nBody.\n')
    assert article.slug == slug
    assert article.slug_given is False


def test_slug_given_is_normalised():
    article, _ = md(minimal("slug: My Custom Slug\n"))
    assert article.slug == "my-custom-slug"
    assert article.slug_given is True


@pytest.mark.parametrize("value, expected", [("true", True), ("yes", True), ("false", False)])
def test_draft(value, expected):
    article, diagnostics = md(minimal(f"draft: {value}\n"))
    assert diagnostics == []
    assert article.draft is expected


def test_related_block_list_keeps_the_key_line():
    article, _ = md(minimal("section: World\nrelated:\n  - first-slug\n  - /2024/06/b.md\n"))
    assert article.related == (RelatedRef("first-slug", 5), RelatedRef("/2024/06/b.md", 5))


@pytest.mark.parametrize("words, per_minute, minutes", [
    (10, 220, 1),
    (440, 220, 2),
    (660, 220, 3),
    (440, 100, 4),
])
def test_reading_time_from_words_per_minute(words, per_minute, minutes):
    body = " ".join(["word"] * words)
    article, _ = md(minimal(body=body), Config(words_per_minute=per_minute))
    assert article.reading_time == minutes


def test_title_with_html_characters_is_kept_verbatim():
    title = """<b>Tom & "Jerry"</b> 'quoted' > less"""
    article, diagnostics = md(f"---\ntitle: '{title.replace(chr(39), chr(39) * 2)}'\ndate: 2024-07-04\n---\nBody.\n")
    assert diagnostics == []
    assert article.title == title


def test_dots_close_the_front_matter():
    article, diagnostics = md("---\ntitle: A\ndate: 2024-07-04\n...\nBody.\n")
    assert diagnostics == []
    assert article.title == "A"


def test_empty_body():
    article, diagnostics = md("---\ntitle: A\ndate: 2024-07-04\n---\n")
    assert diagnostics == []
    assert article.summary == ""
    assert article.reading_time == 1


# --- bad input ------------------------------------------------------------------------------

def test_bad_yaml_reported_at_file_line():
    article, diagnostics = md("""
        ---
        title: A
        date: 2024-07-04
        section: World
        summary: a: b
        ---
        Body.
    """)
    assert article is None
    assert messages(diagnostics) == [
        f"{REL}:5: error: invalid YAML in front matter: mapping values are not allowed in this context"
    ]


def test_bad_yaml_on_first_block_line():
    article, diagnostics = md('---\ntitle: "A" x\ndate: 2024-07-04\n---\nBody.\n')
    assert article is None
    assert messages(diagnostics) == [f"{REL}:2: error: invalid YAML in front matter: did not find expected key"]


def test_tab_indentation_reported_at_its_line():
    _, diagnostics = md("---\ntitle: A\n\tdate: 2024-07-04\n---\nBody.\n")
    assert messages(diagnostics) == [
        f"{REL}:3: error: invalid YAML in front matter: found a tab character that violates indentation"
    ]


def test_control_character_in_front_matter_is_a_diagnostic():
    article, diagnostics = md("---\ntitle: A\x07\ndate: 2024-07-04\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics)[0].startswith(f"{REL}:2: error: invalid YAML in front matter")


def test_missing_title():
    article, diagnostics = md("---\ndate: 2024-07-04\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: missing title"]


def test_empty_title_reported_at_its_line():
    article, diagnostics = md("---\ndate: 2024-07-04\ntitle: ''\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:3: error: missing title"]


def test_missing_date():
    article, diagnostics = md("---\ntitle: A\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: missing date"]


def test_empty_front_matter_reports_both():
    article, diagnostics = md("---\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: missing title", f"{REL}:1: error: missing date"]


@pytest.mark.parametrize("value", ["2024-07-0x", "04/07/2024", "20240704", "2024-02-30", "2024-07-04T25:00", "yesterday"])
def test_unparseable_date_at_date_line(value):
    article, diagnostics = md(f"---\ntitle: A\nsection: World\ndate: {value}\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:4: error: cannot read date {value!r}: {DATE_HELP}"]


def test_unparseable_updated_is_an_error_but_article_kept():
    article, diagnostics = md(minimal("updated: soon\n"))
    assert messages(diagnostics) == [f"{REL}:4: error: cannot read updated 'soon': {DATE_HELP}"]
    assert article is not None
    assert article.updated is None


@pytest.mark.parametrize("extra, message", [
    ("tags: {a: 1}\n", "'tags' must be a list of text, not {'a': '1'}"),
    ("tags: [a, [b]]\n", "'tags' must be a list of text, not ['a', ['b']]"),
    ("section: [a, b]\n", "'section' must be text, not ['a', 'b']"),
    ("source: true\n", "'source' must be text, not True"),
    ('draft: "no"\n', "'draft' must be true or false, not 'no'"),
])
def test_wrong_type_at_key_line(extra, message):
    article, diagnostics = md(minimal(extra))
    assert messages(diagnostics) == [f"{REL}:4: error: {message}"]
    assert article is not None


def test_unknown_key_is_a_warning_with_did_you_mean():
    article, diagnostics = md(minimal("section: World\ntagz: economy\n"))
    assert messages(diagnostics) == [f"{REL}:5: warning: unknown front matter key 'tagz' (did you mean 'tags'?)"]
    assert diagnostics[0].severity == "warning"
    assert article is not None
    assert article.tags == ()


def test_unknown_key_without_close_match():
    _, diagnostics = md(minimal("wordcount: 300\n"))
    assert messages(diagnostics) == [f"{REL}:4: warning: unknown front matter key 'wordcount'"]


def test_no_front_matter():
    article, diagnostics = md("title: A\ndate: 2024-07-04\n\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: no front matter: the file must start with a '---' line"]


def test_unclosed_front_matter():
    article, diagnostics = md("---\ntitle: A\ndate: 2024-07-04\n\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: front matter is not closed by a '---' line"]


def test_front_matter_that_is_not_a_mapping():
    article, diagnostics = md("---\n- a\n- b\n---\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:2: error: front matter must be a mapping of keys to values"]


def test_numbers_and_times_in_text_fields_stay_as_written():
    article, diagnostics = md("---\ntitle: 10:30\ndate: 2024-07-04\nsource: 1.10\ntags: [2024, 007]\n---\nBody.\n")
    assert diagnostics == []
    assert (article.title, article.source, article.tags) == ("10:30", "1.10", ("2024", "007"))


# --- one-line front matter read without PyYAML ------------------------------------------------

def _yaml_reads(block: str):
    import yaml

    from sitegen.formats.frontmatter import _FrontMatterLoader
    try:
        return yaml.load(block, Loader=_FrontMatterLoader)
    except yaml.YAMLError:
        return "error"


PIECES = ["a", "Zoë", "10:30", "2024-07-01T09:30:00+02:00", "it's", "x: y", "a #b", "a#b", "a  b", "a  #b", "'", "''", '"', "\\",
          "[", "]", ",", "{", "}", "-", "/", ".", "(", "+", "$", "?", ":", "!", "&", "*", "|", ">", "%", "@", "`", " ", "  ", "\t", "yes",
          "No", "ON", "null", "~", "true", "1.10", "007", "<<", "=", "é", "日本", "—", "\u2028", "\x07", "http://x.org/a?b=c"]


def _values(rng):
    """Random one-line values in every form a front matter line takes, most of them awkward."""
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
        form = rng.randrange(6)
        if form == 0:
            yield text
        elif form == 1:
            yield '"' + text + '"'
        elif form == 2:
            yield "'" + text.replace("'", "''") + "'"
        elif form == 3:
            yield "'" + text + "'"
        else:
            items = [rng.choice(['"{}"', "'{}'", "{}"]).format(rng.choice(PIECES) + rng.choice(PIECES))
                     for _ in range(rng.randint(0, 3))]
            yield "[" + rng.choice([", ", ",", " , "]).join(items) + rng.choice(["]", " ]", "], ", "] #c"])


def test_simple_front_matter_reads_as_pyyaml_reads_it():
    """Every block the fast reader takes, it reads as PyYAML does (dates and numbers as text);
    what PyYAML refuses or reads otherwise (booleans, null, escapes) it leaves to PyYAML."""
    import random

    from sitegen.formats.frontmatter import simple_yaml

    rng = random.Random(6)
    taken = 0
    for value in _values(rng):
        for block in (f"title: {value}", f"title: {value}\ntags: [a, 'b']\n\ndate: 2024-01-01", f"title:{value}"):
            fast = simple_yaml(block)
            if fast is not None:
                taken += 1
                assert fast == _yaml_reads(block), block
    assert taken > 3000  # most forms are read without PyYAML: the test compares something


@pytest.mark.parametrize("block", [
    'title: "Vapicha\'s clay court deals"\ndate: 2019-03-26T08:37:26+08:00\nsection: Sport\n'
    'tags: ["tibaon", "data"]\nauthors: ["Leila Okafor"]\nsource: "Reuters"\nslug: vapichas-clay',
    "title: It's here\ntags: []\nsummary:\nimage: /images/a b.jpg\ndate: 2024-07-01 09:30",
    "title: 'Quoted ''twice'''\ntags: [Foreign  Minister, 'EU', \"U.N.\"]",
])
def test_common_front_matter_is_read_without_pyyaml(block):
    from sitegen.formats.frontmatter import simple_yaml

    assert simple_yaml(block) is not None
    assert simple_yaml(block) == _yaml_reads(block)


@pytest.mark.parametrize("block", [
    "draft: yes", "draft: true", "title: a\ntitle: b", "# a comment\ntitle: a", "tags:\n  - a", "title: a # note",
    'title: "a\\"b"', "title: >\n  folded", "title: a\n  continued", "title: [a, [b]]", "title: {a: b}",
    "title: a: b", "title: &x a", "title: !tag a", "yes: a", "title: tab\there", "title: bell\x07",
])
def test_anything_else_is_left_to_pyyaml(block):
    from sitegen.formats.frontmatter import simple_yaml

    assert simple_yaml(block) is None
