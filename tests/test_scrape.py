"""Stage tests for ``sitegen.formats.scrape``: the seed article field by field, and variants."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from sitegen.config import Config
from sitegen.formats import ReadContext
from sitegen.formats.scrape import parse_dateline, read
from sitegen.model import Image, RelatedRef

DATA = Path(__file__).parent / "data"
REL = "content/2024/07/seed.txt"
CONTENT_REL = "2024/07/seed.txt"

STANDFIRST = ('"No country can be an exception," Chinese Premier Li Qiang says, calling for the creation of '
              'global AI regulation and technical standards.')
CAPTION = "Chinese tech companies are expected to unveil multiple new AI products at the multi-day international convention."
FIRST_PARAGRAPH = ("Chinese Premier Li Qiang has called for global cooperation and a more open mindset in artificial "
                   "intelligence, as a rivalry between Beijing and Washington heats up in the nascent tech field.")
LAST_PARAGRAPH = ('"No country can be an exception," Li said, calling for the creation of global AI regulation and '
                  'technical standards.')


def seed_text() -> str:
    return (DATA / "seed.txt").read_text(encoding="utf-8")


def scrape(text: str, config: Config | None = None):
    return read(text, ReadContext(config or Config(), REL, CONTENT_REL))


def paragraphs(body_html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    assert all(child.tag == "p" for child in root), body_html
    return [p.text_content() for p in root]


def messages(diagnostics) -> list[str]:
    return [str(d) for d in diagnostics]


# --- the seed article -----------------------------------------------------------------------

def test_seed_reads_without_diagnostics():
    article, diagnostics = scrape(seed_text())
    assert article is not None
    assert diagnostics == []


def test_seed_header_fields():
    article, _ = scrape(seed_text())
    assert article.title == "China calls for international AI cooperation"
    assert article.slug == "china-calls-for-international-ai-cooperation"
    assert article.slug_given is False
    assert article.section == "WORLD"
    assert article.reading_time == 2
    assert article.summary == STANDFIRST
    assert article.dateline == "July 4, 2024"
    assert article.image == Image(src="", caption=CAPTION, credit="AP Archive")
    assert article.source == "AFP"
    assert article.path == REL
    assert article.line == 1
    assert article.draft is False
    assert article.tags == () and article.authors == ()
    assert article.updated is None


def test_seed_date_is_midnight_in_site_zone():
    article, _ = scrape(seed_text())
    assert article.date == datetime(2024, 7, 4, 0, 0, tzinfo=ZoneInfo("UTC"))
    assert article.date.tzinfo is not None
    assert article.date.utcoffset() == timedelta(0)


def test_seed_date_follows_configured_zone():
    article, _ = scrape(seed_text(), Config(timezone="Europe/Istanbul"))
    assert article.date == datetime(2024, 7, 4, 0, 0, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert (article.date.year, article.date.month, article.date.day, article.date.hour) == (2024, 7, 4, 0)
    assert article.date.utcoffset() == timedelta(hours=3)


def test_seed_body():
    article, _ = scrape(seed_text())
    found = paragraphs(article.body_html)
    assert len(found) == 9
    assert found[0] == FIRST_PARAGRAPH
    assert found[-1] == LAST_PARAGRAPH
    assert not any(p.startswith(("Related", "SOURCE")) for p in found)


def test_seed_related():
    article, _ = scrape(seed_text())
    assert article.related == (
        RelatedRef("'War of a hundred models': Chinese AI scene heads for a shakeout", 26),
    )


def test_seed_reading_time_is_the_scrapes_own():
    # The body is ~200 words: at 50 words a minute it would be 4, but the scrape says 2.
    article, _ = scrape(seed_text(), Config(words_per_minute=50))
    assert article.reading_time == 2


def test_seed_copy_is_byte_identical_to_shared_seed():
    shared = Path("/work/shared/seed/000_15b4c68129f4cf13.txt")
    if not shared.exists():
        pytest.skip("shared seed not available")
    assert (DATA / "seed.txt").read_bytes() == shared.read_bytes()


# --- variants -------------------------------------------------------------------------------

HEAD = """ date 2024-07-04 WORLD
2 MIN READ
Headline here
Standfirst text.
"""


def test_without_caption_line():
    article, diagnostics = scrape(HEAD + "July 4, 2024\n\nBody one.\n\nBody two.\n")
    assert diagnostics == []
    assert article.image is None
    assert article.summary == "Standfirst text."
    assert article.dateline == "July 4, 2024"
    assert paragraphs(article.body_html) == ["Body one.", "Body two."]


def test_several_related_lines():
    text = HEAD + "July 4, 2024\n\nBody one.\n\nRelated'First title'\nRelated: Second title\nRelatedThird Title\nSOURCE:AP\n"
    article, diagnostics = scrape(text)
    assert diagnostics == []
    assert article.related == (
        RelatedRef("'First title'", 9),
        RelatedRef("Second title", 10),
        RelatedRef("Third Title", 11),
    )
    assert article.source == "AP"
    assert paragraphs(article.body_html) == ["Body one."]


def test_without_source():
    article, diagnostics = scrape(HEAD + "July 4, 2024\n\nBody one.\n\nRelated'Other'\n")
    assert diagnostics == []
    assert article.source == ""
    assert article.related == (RelatedRef("'Other'", 9),)


def test_mixed_case_source_on_last_line():
    article, diagnostics = scrape(HEAD + "July 4, 2024\n\nBody one.\n\nSource: Reuters\n")
    assert diagnostics == []
    assert article.source == "Reuters"
    assert paragraphs(article.body_html) == ["Body one."]


def test_mixed_case_source_mid_body_stays_body():
    article, _ = scrape(HEAD + "July 4, 2024\n\nSource: officials, who spoke anonymously.\n\nBody two.\n")
    assert article.source == ""
    assert paragraphs(article.body_html) == ["Source: officials, who spoke anonymously.", "Body two."]


@pytest.mark.parametrize("line, section", [
    (" date 2023-10-05 science", "science"),
    (" date 2023-10-05 Türkiye", "Türkiye"),
    ("date 2023-10-05 Dünya Haberleri", "Dünya Haberleri"),
    ("  DATE 2023-10-05 中国", "中国"),
])
def test_sections_in_any_case_and_language(line, section):
    article, diagnostics = scrape(f"{line}\nTitle\n\nBody words here.\n")
    assert diagnostics == []
    assert article.section == section
    assert article.date.date().isoformat() == "2023-10-05"


def test_missing_section_is_a_warning():
    article, diagnostics = scrape(" date 2023-10-05\nTitle\n\nBody.\n")
    assert article.section == ""
    assert messages(diagnostics) == [f"{REL}:1: warning: no section after the date"]


def test_caption_without_credit():
    article, diagnostics = scrape(HEAD + "A caption without a credit\nJuly 4, 2024\n\nBody.\n")
    assert diagnostics == []
    assert article.image == Image(src="", caption="A caption without a credit", credit="")


def test_caption_with_other_credit_word():
    article, _ = scrape(HEAD + "Crowds in the square / Photograph: Reuters\nJuly 4, 2024\n\nBody.\n")
    assert article.image == Image(src="", caption="Crowds in the square", credit="Reuters")


def test_reading_time_computed_without_min_read_line():
    body = " ".join(["word"] * 660)
    article, _ = scrape(f" date 2024-07-04 WORLD\nTitle\n\n{body}\n", Config(words_per_minute=220))
    assert article.reading_time == 3


def test_summary_is_first_paragraph_without_standfirst():
    article, _ = scrape(" date 2024-07-04 WORLD\nTitle\n\nFirst paragraph.\n\nSecond.\n")
    assert article.summary == "First paragraph."
    assert article.dateline == ""


def test_multi_line_paragraph_is_joined():
    article, _ = scrape(" date 2024-07-04 WORLD\nTitle\n\nOne line\nand the next.\n")
    assert paragraphs(article.body_html) == ["One line and the next."]


# --- diagnostics ----------------------------------------------------------------------------

def test_unrecognised_extra_header_line_is_a_warning():
    text = HEAD + "Cap / Photo: AP Archive\nAn extra line\nJuly 4, 2024\n\nBody.\n"
    article, diagnostics = scrape(text)
    assert messages(diagnostics) == [
        f"{REL}:6: warning: line not recognised, kept out of the article: 'An extra line'"
    ]
    assert diagnostics[0].severity == "warning"
    assert article.image == Image(src="", caption="Cap", credit="AP Archive")
    assert "An extra line" not in article.body_html


def test_bad_first_line_is_an_error():
    article, diagnostics = scrape("Headline first\n date 2024-07-04 WORLD\n")
    assert article is None
    assert messages(diagnostics) == [
        f"{REL}:1: error: expected a ' date YYYY-MM-DD SECTION' line, found 'Headline first'"
    ]


def test_bad_first_line_after_blank_lines_reports_its_own_line():
    _, diagnostics = scrape("\n\nJuly 4, 2024\n")
    assert messages(diagnostics) == [
        f"{REL}:3: error: expected a ' date YYYY-MM-DD SECTION' line, found 'July 4, 2024'"
    ]


def test_impossible_date_is_an_error():
    article, diagnostics = scrape(" date 2024-02-30 WORLD\nTitle\n\nBody.\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: cannot read date '2024-02-30': not a real calendar day"]


@pytest.mark.parametrize("text", ["", "\n", "   \n\n\t\n"])
def test_empty_text(text):
    article, diagnostics = scrape(text)
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: empty file"]


def test_missing_title():
    article, diagnostics = scrape(" date 2024-07-04 WORLD\n\n")
    assert article is None
    assert messages(diagnostics) == [f"{REL}:1: error: missing title"]


def test_dateline_disagreeing_with_date_is_a_warning():
    article, diagnostics = scrape(HEAD + "July 5, 2024\n\nBody.\n")
    assert messages(diagnostics) == [
        f"{REL}:5: warning: dateline 'July 5, 2024' differs from the date line (2024-07-04)"
    ]
    assert article.dateline == "July 5, 2024"
    assert article.date.date().isoformat() == "2024-07-04"


def test_no_body_is_a_warning():
    article, diagnostics = scrape(HEAD + "July 4, 2024\n\nSOURCE:AP\n")
    assert messages(diagnostics) == [f"{REL}:3: warning: article has no body text"]
    assert article.body_html == ""


def test_second_source_line_is_a_warning():
    _, diagnostics = scrape(HEAD + "\nBody.\n\nSOURCE:AP\nSOURCE:AFP\n")
    assert messages(diagnostics) == [f"{REL}:9: warning: second SOURCE line, kept the first ('AP')"]


# --- body text safety -----------------------------------------------------------------------

def test_body_line_starting_with_the_word_related_stays_body():
    text = HEAD + "July 4, 2024\n\nRelated to this, the minister said more talks would follow.\n"
    article, diagnostics = scrape(text)
    assert diagnostics == []
    assert article.related == ()
    assert paragraphs(article.body_html) == ["Related to this, the minister said more talks would follow."]


def test_body_line_starting_with_related_hyphen_stays_body():
    text = HEAD + "July 4, 2024\n\nRelated-party deals rose by a fifth last year.\n"
    article, _ = scrape(text)
    assert article.related == ()
    assert paragraphs(article.body_html) == ["Related-party deals rose by a fifth last year."]


def test_html_in_body_is_escaped():
    text = HEAD + "July 4, 2024\n\n<script>alert('x')</script> & <b>bold</b>\n"
    article, _ = scrape(text)
    root = lxml.html.fragment_fromstring(article.body_html, create_parent="div")
    assert root.findall(".//script") == []
    assert root.findall(".//b") == []
    assert [p.text_content() for p in root] == ["<script>alert('x')</script> & <b>bold</b>"]


def test_title_keeps_html_characters_verbatim():
    article, _ = scrape(' date 2024-07-04 WORLD\nA <b> & "quoted" title\n\nBody.\n')
    assert article.title == 'A <b> & "quoted" title'


# --- datelines ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("July 4, 2024", "2024-07-04"),
    ("4 July 2024", "2024-07-04"),
    ("Jul. 4, 2024", "2024-07-04"),
    ("Sept 30, 2023", "2023-09-30"),
    ("2024-07-04", "2024-07-04"),
    ("February 30, 2024", None),
    ("Smarch 4, 2024", None),
    ("Standfirst text.", None),
])
def test_parse_dateline(text, expected):
    found = parse_dateline(text)
    assert (found.isoformat() if found else None) == expected
