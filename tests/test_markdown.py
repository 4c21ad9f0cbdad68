"""Stage tests for ``sitegen.markdown``: output parsed with lxml, asserted on elements and attributes."""

from __future__ import annotations

import lxml.html
import pytest

from sitegen.config import MarkdownConfig
from sitegen.markdown import count_words, render

SAFE = MarkdownConfig()
UNSAFE = MarkdownConfig(unsafe_html=True)


def tree(text: str, options: MarkdownConfig = SAFE):
    return lxml.html.fragment_fromstring(render(text, options), create_parent="div")


def urls(root) -> list[str]:
    """Every URL-carrying attribute of every element."""
    found = []
    for element in root.iter():
        for name in ("href", "src", "action", "formaction", "xlink:href", "poster", "srcset"):
            value = element.get(name)
            if value is not None:
                found.append(value)
    return found


# --- extensions -----------------------------------------------------------------------------

def test_table():
    root = tree("| City | Pop |\n|------|----:|\n| Ankara | 5.7 |\n| İzmir | 4.4 |\n")
    [table] = root.findall("table")
    assert [th.text_content() for th in table.findall("thead/tr/th")] == ["City", "Pop"]
    rows = [[td.text_content() for td in tr.findall("td")] for tr in table.findall("tbody/tr")]
    assert rows == [["Ankara", "5.7"], ["İzmir", "4.4"]]
    assert table.findall("tbody/tr/td")[1].get("style") == "text-align:right"


def test_footnotes():
    root = tree("A claim.[^src]\n\n[^src]: The source.\n")
    [ref] = root.xpath(".//sup[contains(@class, 'footnote-ref')]/a")
    target = ref.get("href")
    assert target.startswith("#")
    [note] = root.xpath(f".//section[contains(@class, 'footnotes')]//li[@id='{target[1:]}']")
    assert note.text_content().startswith("The source.")
    [back] = note.xpath(".//a[contains(@class, 'footnote-backref')]")
    assert back.get("href") == "#" + ref.get("id")


def test_strikethrough():
    root = tree("It was ~~cancelled~~ postponed.")
    [s] = root.findall(".//s")
    assert s.text == "cancelled"
    assert root.findall(".//del") == []


def test_heading_anchors():
    root = tree("# Top\n\n## Hello World\n\n### Çay saati\n\n#### Four\n\n##### Five\n")
    h1, h2, h3, h4, h5 = root
    assert h1.tag == "h1" and h1.get("id") is None
    assert (h2.tag, h2.get("id")) == ("h2", "hello-world")
    assert (h3.tag, h3.get("id")) == ("h3", "cay-saati")
    assert (h4.tag, h4.get("id")) == ("h4", "four")
    assert h5.tag == "h5" and h5.get("id") is None
    for heading in (h2, h3, h4):
        [link] = heading.findall("a")
        assert link.get("href") == "#" + heading.get("id")
        assert link.text == "#"
        assert "header-anchor" in link.get("class").split()
    assert h2.text.strip() == "Hello World"


def test_heading_anchor_ids_are_unique():
    root = tree("## Update\n\n## Update\n")
    ids = [h.get("id") for h in root.findall("h2")]
    assert len(set(ids)) == 2
    assert ids[0] == "update"


def test_heading_anchors_can_be_turned_off():
    root = tree("## Hello\n", MarkdownConfig(heading_anchors=False))
    [h2] = root.findall("h2")
    assert h2.get("id") is None
    assert h2.findall("a") == []
    assert h2.text == "Hello"


# --- raw HTML -------------------------------------------------------------------------------

RAW = '<script>alert(1)</script>\n\nText with <b>bold</b> and <img src="x.png" onerror="alert(2)">.\n'


def test_raw_html_escaped_by_default():
    root = tree(RAW)
    assert root.findall(".//script") == []
    assert root.findall(".//b") == []
    assert root.findall(".//img") == []
    assert [p.text_content() for p in root.findall("p")] == [
        "<script>alert(1)</script>",
        'Text with <b>bold</b> and <img src="x.png" onerror="alert(2)">.',
    ]


def test_raw_html_passed_through_when_allowed():
    root = tree(RAW, UNSAFE)
    [script] = root.findall(".//script")
    assert script.text == "alert(1)"
    [b] = root.findall(".//b")
    assert b.text == "bold"
    [img] = root.findall(".//img")
    assert img.get("src") == "x.png"


# --- dangerous URLs -------------------------------------------------------------------------

DANGEROUS = [
    "[a](javascript:alert(1))",
    "[a](JAVASCRIPT:alert(1))",
    "[a](JavaScript:alert(1))",
    "[a](vbscript:msgbox(1))",
    "[a](VBScript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![a](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![a](data:image/png;base64,iVBORw0KGgo=)",
    "![a](javascript:alert(1))",
    "[a](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "[a](java&#x73;cript:alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[a][r]\n\n[r]: DATA:text/html,x",
]
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


@pytest.mark.parametrize("options", [SAFE, UNSAFE], ids=["safe", "unsafe_html"])
@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_link_schemes_never_reach_an_attribute(text, options):
    root = tree(text + "\n\n[fine](https://example.org/)\n", options)
    found = urls(root)
    assert "https://example.org/" in found  # the check does see real links
    for url in found:
        squeezed = "".join(url.split()).lower()
        assert not squeezed.startswith(BAD_SCHEMES), (text, url)


def test_ordinary_links_and_images_keep_their_urls():
    root = tree("[a](https://example.org/x?y=1) [b](/2024/07/04/slug/) ![c](pic.jpg) [d](mailto:desk@example.org)")
    assert urls(root) == ["https://example.org/x?y=1", "/2024/07/04/slug/", "pic.jpg", "mailto:desk@example.org"]


# --- typographer ----------------------------------------------------------------------------

TYPO = "\"Quoted\" -- and 'single'... (c)"


def test_typographer_off_keeps_plain_characters():
    [p] = tree(TYPO).findall("p")
    assert p.text_content() == TYPO


def test_typographer_on():
    [p] = tree(TYPO, MarkdownConfig(typographer=True)).findall("p")
    assert p.text_content() == "\u201cQuoted\u201d \u2013 and \u2018single\u2019\u2026 \u00a9"


def test_count_words():
    assert count_words("One two, three-four: **five** _six_") == 6
    assert count_words("Été à Zürich: naïve café_crème, 2024 — ok") == 7  # not ASCII: Unicode words
    assert count_words("") == 0 and count_words("— … !") == 0
    assert count_words("word") == count_words(" word") == count_words("word ") == 1


def test_count_words_on_ascii_counts_what_the_regex_finds():
    """The ASCII path (a word starts at each word byte after another kind of byte) against re's ASCII \\w+ runs."""
    import random
    import re

    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice("ab_9 .,-\n\t'\"<>&z") for _ in range(rng.randint(0, 30)))
        assert count_words(text) == len(re.findall(r"\w+", text, re.ASCII)), repr(text)
    assert count_words("") == 0


def test_count_words_on_ascii_counts_the_runs_the_regex_finds():
    import random
    import re

    rng = random.Random(4)
    alphabet = [chr(c) for c in range(128)] + ["word", "_", "  ", "\n\n", "x_y", "42"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert count_words(text) == len(re.findall(r"\w+", text)), repr(text)
