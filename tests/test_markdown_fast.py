"""The fast path (markdown-it-pyrs) must give markdown-it-py's HTML byte for byte, under every
combination of the Markdown options: real parsers on both sides, no mocks.

The bodies are representative news bodies, the tricky cases each fallback rule in
``sitegen.markdown._unsure`` exists for, every article of the sample and golden sites, and a
seeded random mix of Markdown pieces (how most of those rules were found).
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from sitegen.config import MarkdownConfig
from sitegen.markdown import render, render_fast, renderer

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = [MarkdownConfig(unsafe_html=u, typographer=t, heading_anchors=a)
           for u, t, a in itertools.product([False, True], repeat=3)]
OPTION_IDS = ["html" * o.unsafe_html + "typo" * o.typographer + "anchors" * o.heading_anchors or "plain"
              for o in OPTIONS]


def reference(text: str, options: MarkdownConfig) -> str:
    """markdown-it-py's HTML, made the way the front matter reader made it before the fast path."""
    md = renderer(options)
    return md.renderer.render(md.parse("\n\n\n" + text), md.options, {})


# Bodies a news archive is mostly made of: each must take the fast path (typographer off).
COMMON = {
    "news": (
        "Officials in Ankara said on Tuesday that *inflation* had slowed to 5.7 percent, "
        "citing [figures](https://example.org/data/2024?m=7&x=1) from the **statistics office**.\n\n"
        "## What changed\n\nThe central bank held rates. A ~~planned~~ postponed review follows.\n\n"
        "> The trend is clear, a spokesperson said.\n> It will take time.\n\n"
        "### İzmir and the coast\n\nPrices rose fastest in [İzmir](/tags/izmir/ \"The city\").\n"
    ),
    "lists": "Key points:\n\n- one\n- two *three*\n  - nested\n\n1. first\n2. second\n\n3) loose\n\n4) list\n",
    "headings_1_to_6": "# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n",
    "duplicate_headings": "## Update\n\ntext\n\n## Update\n\n### Update\n\n## Update-1\n\n## Update\n",
    "non_ascii_headings": "## Çay saati\n\n## Türkiye’s vote\n\n### 北京 talks\n\n#### Ελλάδα\n\n## São Paulo\n",
    "heading_code": "## The *big* `deal` at home\n\n## 5 < 6 & \"quotes\"\n\n## \n",
    "heading_links": "## A [link](/x) **here**\n\n## ![alt > \"x\" &](a.png \"t>\") Pictured\n",
    "setext": "Title here\n==========\n\nSub *title*\n---\n",
    "code": "Inline `code` here.\n\n```python\nif a < b and c > d:\n    print(\"a & b\")\n```\n\n    indented <code>\n",
    "quotes_nested": "> outer\n>\n> > inner *quote*\n\n- > quoted item\n",
    "emphasis_edges": "**bold**text and *a*b, _snake_case_ words, ***both***, **unclosed and *odd\n",
    "autolinks": "See <https://example.org/a?b=c> and <desk@example.org>.\n",
    "images": "![A *chart*](/img/chart.png \"Rates\")\n\nText ![](empty.png) after.\n",
    "breaks_and_rules": "Line one  \nline two\\\nline three\n\n---\n\n***\n",
    "escapes": "\\*not emphasis\\* and \\# not a heading, 1\\. not a list\n",
    "raw_html_safe_shown": "A <b>bold</b> claim and <script>x</script>.\n",
}

# Bodies one rule or another sends to markdown-it-py (see sitegen.markdown._unsure).
TRICKY = {
    "footnote": "A claim.[^src]\n\n[^src]: The source.\n",
    "inline_footnote": "A claim.^[An inline note.]\n",
    "unsafe_links": "[a](javascript:alert(1)) [b](JAVASCRIPT:x) [c](vbscript:x) [d](file:///etc/passwd)\n",
    "data_image": "![a](data:image/png;base64,iVBORw0KGgo=) and [b](data:text/html,x)\n",
    "spelt_scheme": "[a](java&#x73;cript:alert(1)) [b](javascript&colon;x) [c](javascript\\:x)\n",
    "autolink_scheme": "<javascript:alert(1)> <DATA:text/html,x>\n",
    "reference_scheme": "[a][r]\n\n[r]: javascript:alert(1)\n",
    "raw_html": "<div class=\"box\">\n\n*inside*\n\n</div>\n\nText with <span title=\"a>b\">markup</span> and <!-- a comment -->.\n",
    "raw_html_in_heading": "## A <em>raw</em> heading\n",
    "table": "| City | Pop |\n|------|----:|\n| Ankara | 5.7 |\n| İzmir | 4.4 |\n",
    "table_lookalike": "* item|\n---\ntext\n",
    "entities": "&copy; &amp; &nbsp;x&nbsp; &#8217; &#x2009; &ThisIsNot; [a](&nbsp;)\n",
    "entity_in_heading": "## AT&amp;T &lt;news&gt;\n",
    "nbsp_edges": "text\u00a0\n\n## Heading\u00a0\n\n\u2003indented\n",
    "symbol_by_emphasis": "x*€*x a**£5**b 5*°C* **★**x *😀*x\n",
    "lazy_quote_list": "> quoted\n- not in the quote\n\n> quoted\n2) item\n\n> `code\n  span`\n",
    "empty_quote": "> > \n\ntext\n",
    "unclosed_fence_at_end": "```\ncode without an end",
    "no_final_newline": "Just a line",
    "references": "[ref]: /url \"t\"\n\n[SS]( and [ref][ a*b*c[t](/u)] and [ß]\n\n[ss]: /s\n",
    "panic_code_in_link": "a [`b and more\n",
    "typography": "\"Quoted\" -- and 'single'... (c) (TM) +- ?!!!! ,,\n",
    "heading_over_two_lines": "Two\nlines\n---\n\n## a&#10;b\n",
    "carriage_return": "one\r\ntwo\r\n",
    "nul": "a\x00b\n",
}


def article_bodies() -> list[tuple[str, str]]:
    """Every Markdown body of the sample site and the golden site, as the reader cuts it."""
    found = []
    for path in sorted([*(ROOT / "content").rglob("*.md"), *(ROOT / "tests" / "golden").rglob("*.md")]):
        text = path.read_text(encoding="utf-8")
        parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.M)
        if len(parts) == 3:
            found.append((path.relative_to(ROOT).as_posix(), parts[2][1:]))
    return found


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("text", [*COMMON.values(), *TRICKY.values()], ids=[*COMMON, *TRICKY])
def test_same_html_as_markdown_it_py(text, options):
    assert render(text, options) == reference(text, options)


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_sample_and_golden_articles(options):
    bodies = article_bodies()
    assert len(bodies) >= 30
    for rel, body in bodies:
        assert render(body, options) == reference(body, options), rel


FAST_CASES = [(name, options) for name, text in COMMON.items() for options in OPTIONS
              if not options.typographer and not (options.unsafe_html and re.search(r"<[A-Za-z/!?]", text))]


@pytest.mark.parametrize(("name", "options"), FAST_CASES, ids=[f"{n}-{OPTION_IDS[OPTIONS.index(o)]}" for n, o in FAST_CASES])
def test_common_bodies_take_the_fast_path(name, options):
    # Typographer off; with unsafe_html, bodies that may hold raw HTML are markdown-it-py's.
    assert render_fast(COMMON[name], options) is not None


@pytest.mark.parametrize("name", [n for n in TRICKY if n != "typography"])
def test_tricky_bodies_fall_back(name):
    assert render_fast(TRICKY[name], MarkdownConfig(unsafe_html=True)) is None


def test_typography_falls_back_only_with_the_typographer():
    assert render_fast(TRICKY["typography"], MarkdownConfig()) is not None
    assert render_fast(TRICKY["typography"], MarkdownConfig(typographer=True)) is None
    assert render_fast(COMMON["lists"], MarkdownConfig(typographer=True)) is not None


PIECES = ["word", "Çay", "北京", " ", " ", "  ", "\t", "*", "**", "_", "__", "~~", "~", "`", "[", "]", "(", ")",
          "[a](b)", "[t](/u \"ti\")", "![i](p.png)", "<http://ex.org/a>", "<a@b.co>", "\\", "\\*", "&amp;", "&",
          "<", ">", "<b>", "</i>", "<!-- c -->", "\"", "'", "#", "!", "|", ":", "-", "--", "...", "(c)", "[^1]",
          "^[n]", "1.", "%20", "İ", "\u00a0", "€", "£5", "°", "«", "»", "“", "’", "—", "😀", "ß", "[ref]", "[ref][]",
          "javascript:x", "data:image/png;base64,AA", "*a*", "**b**", "`c`", "_d_", "***e***", "a*b*c", "\n", "  \n"]
STARTS = ["", "", "", "# ", "## ", "### ", "#### ", "> ", "> > ", "- ", "* ", "1. ", "2) ", "  - ", "    ", "```\n",
          "~~~py\n", "---\n", "===\n", "[ref]: /url \"t\"\n", "| a | b |\n|---|:-:|\n| "]


def random_body(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 8)):
        lines.append(rng.choice(STARTS) + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))))
        if rng.random() < 0.4:
            lines.append("")
    return "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")


def test_random_bodies():
    rng = random.Random(20240706)
    options = [o for o in OPTIONS if not o.typographer]
    taken = 0
    for _ in range(400):
        body = random_body(rng)
        for option in options:
            fast = render_fast(body, option)
            if fast is not None:
                taken += 1
                assert fast == reference(body, option), (body, option)
    assert taken > 100  # the mix does reach the fast path
