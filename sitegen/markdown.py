"""Body Markdown to HTML: CommonMark plus tables, footnotes, strikethrough and heading anchors.

markdown-it-py (with mdit-py-plugins) defines the output. Its Rust port, markdown-it-pyrs,
makes the same HTML about ten times faster for the bodies news archives are mostly made of,
so a body goes through the port unless it holds something the two may render differently
(see ``_unsure``); the heading anchors are then added as the anchors plugin adds them.
Every other body takes markdown-it-py: footnotes, tables, entities, odd links, and with the
typographer on nearly all (any quote mark).

Raw HTML is escaped unless the site allows it, since scraped text is untrusted;
markdown-it's link validation keeps ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` URLs out of the output.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import unescape
from typing import TYPE_CHECKING

from sitegen.config import MarkdownConfig
from sitegen.model import slugify

if TYPE_CHECKING:
    import markdown_it_pyrs
    from markdown_it import MarkdownIt

# markdown-it-py, its plugins and the Rust port are imported where a body is first rendered:
# a build that parses nothing (nothing changed) does without them (about 40 ms of start-up).

UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|file|data):", re.I)

# What _unsure looks for (each is explained there).
_SCHEME_NAMES = ("script", "file", "data")
_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.I)
_ODD_ASCII = ("\r", "\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
_ODD_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_BY_DELIMITER = re.compile(r"(?<=[*_~])[^\x00-\x7f]|[^\x00-\x7f](?=[*_~])")
_QUOTE_LINE = re.compile(r"[ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)*>")
_ODD_LAZY_LINE = re.compile(r"[ \t]|(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_RAW_HTML = re.compile(r"<[A-Za-z/!?]")  # how markdown-it's html_block and html_inline start
_TYPOGRAPHY = re.compile(r"['\"]|\+-|\.\.|\?\?\?\?|!!!!|,,|--|\((?:c|tm|r)\)", re.I)

_ANCHORED = re.compile(r"<h([2-4])>(.*?)</h\1>", re.S)  # anchors_plugin(min_level=2, max_level=4)
_TAG = re.compile(r"<[^>]*>")


def _validate_link(url: str) -> bool:
    # Stricter than markdown-it's default: no data: URLs at all, also not for images.
    return not UNSAFE_SCHEME.match(url)


@lru_cache(maxsize=8)
def renderer(options: MarkdownConfig) -> MarkdownIt:
    """The markdown-it-py instance: it defines the output, and renders what the fast path declines."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": options.unsafe_html, "typographer": options.typographer})
    md.enable(["table", "strikethrough"])
    if options.typographer:
        md.enable(["replacements", "smartquotes"])
    md.use(footnote_plugin)
    if options.heading_anchors:
        md.use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify,
               permalink=True, permalinkSymbol="#", permalinkBefore=False)
    md.validateLink = _validate_link
    return md


@lru_cache(maxsize=1)
def _fast() -> markdown_it_pyrs.MarkdownIt:
    # CommonMark without its raw HTML rules: with unsafe_html, a body that may hold raw HTML
    # never gets here; without, markdown-it-py escapes it just as these rules' absence does.
    # Tables are left out too: a body with a '|' never gets here.
    import markdown_it_pyrs

    return markdown_it_pyrs.MarkdownIt("zero").enable_many([
        "blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
        "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline",
        "strikethrough"])


def render(text: str, options: MarkdownConfig) -> str:
    """Body Markdown to HTML."""
    html = render_fast(text, options)
    return html if html is not None else renderer(options).render(text)


def render_fast(text: str, options: MarkdownConfig) -> str | None:
    """markdown-it-py's HTML for ``text``, made by markdown-it-pyrs; None when that is not sure."""
    if _unsure(text, options):
        return None
    try:
        html = _fast().render(text)
    except BaseException as exc:  # pyo3's PanicException: a Rust bug we do not know yet; Rust has printed it
        if type(exc).__name__ != "PanicException":
            raise
        return None
    if "<blockquote>\n</blockquote>" in html:  # markdown-it-py writes an empty quote on one line
        return None
    return _with_anchors(html) if options.heading_anchors else html


def _unsure(text: str, options: MarkdownConfig) -> bool:
    """Whether ``text`` may hold something the Rust port (markdown-it.rs 0.6) renders otherwise.

    Each test was found by comparing the two (see tests/test_markdown_fast.py):

    - no line break at the end: an unclosed code fence there gets one more newline;
    - footnotes (``[^``, ``^[``): its plugin writes other markup, and has no inline notes;
    - ``|``: its GFM tables end and start on other lines than markdown-it-py 4's;
    - ``]:``, which may define a link reference: when a reference link's second label or an
      inline link fails, the port falls back to a shortcut reference more often;
    - a backtick and a ``[``: it panics on an unclosed code span in a link text;
    - an entity: it could spell a scheme (below), and ``&nbsp;`` in a link is trimmed only by
      markdown-it-py; odd whitespace: Python's ``str.strip()``, which markdown-it-py trims
      lines and cells with, removes no-break and other Unicode spaces, the port keeps them
      (and CR and NUL, which the loader never passes, are left to markdown-it-py's normaliser);
    - a non-ASCII symbol (``£``, ``°``, an emoji) by an emphasis delimiter: CommonMark 0.31
      counts symbols as punctuation for emphasis, the port does not;
    - a lazy line of a block quote (one that goes on with its paragraph without a ``>``) that
      starts with a list marker or a space: markdown-it-py lets any list marker end the quote
      there, the port only those that may interrupt a paragraph, and markdown-it-py keeps the
      line's indent in a code span, the port does not;
    - a bad scheme before a colon (maybe escaped): the port's link check lets ``data:image``
      through and trims spaces before normalising, ours does neither;
    - with unsafe_html, anything that may open raw HTML; with the typographer, anything its
      replacements or smart quotes touch (markdown-it-py's RARE_RE, SCOPED_ABBR_RE, quotes).

    Single-character tests come first: a regex alternation over the body costs more than the
    Rust parse.
    """
    if not text.endswith("\n"):
        return True
    if "^" in text and ("[^" in text or "^[" in text):
        return True
    if "|" in text or "]:" in text or ("`" in text and "[" in text):
        return True
    if "&" in text and _ENTITY.search(text):
        return True
    if any(char in text for char in _ODD_ASCII):
        return True
    if not text.isascii() and (_ODD_SPACE.search(text) or _symbol_by_delimiter(text)):
        return True
    if ">" in text and _odd_lazy_line(text):
        return True
    if _bad_scheme(text):
        return True
    return bool((options.unsafe_html and _RAW_HTML.search(text))
                or (options.typographer and _TYPOGRAPHY.search(text)))


def _symbol_by_delimiter(text: str) -> bool:
    return any(unicodedata.category(m.group())[0] == "S" for m in _BY_DELIMITER.finditer(text))


def _odd_lazy_line(text: str) -> bool:
    """Whether a line that may continue a block quote's paragraph starts with a space or a list marker."""
    quoted = False
    for line in text.split("\n"):
        if not line.strip(" \t"):
            quoted = False
        elif _QUOTE_LINE.match(line):
            quoted = True
        elif quoted and _ODD_LAZY_LINE.match(line):
            return True
    return False


def _bad_scheme(text: str) -> bool:
    colon = text.find(":")
    while colon != -1:
        if text[max(0, colon - 7):colon].lower().rstrip("\\").endswith(_SCHEME_NAMES):
            return True
        colon = text.find(":", colon + 1)
    return False


def _with_anchors(html: str) -> str | None:
    """``html`` with the ids and ``#`` links of anchors_plugin, or None for a heading over two lines.

    The plugin slugs the heading's text and inline code, which in this HTML (no raw HTML,
    attribute values escaped) is the heading's content less its tags, unescaped. A line
    break's text is not in that sum, so a heading holding one goes back to markdown-it-py.
    """
    slugs: set[str] = set()
    parts: list[str] = []
    done = 0
    for match in _ANCHORED.finditer(html):
        level, inner = match.groups()
        if "\n" in inner:
            return None
        slug = _escape(_unique(slugify(unescape(_TAG.sub("", inner))), slugs))
        parts += [html[done:match.start()],
                  f'<h{level} id="{slug}">{inner} <a class="header-anchor" href="#{slug}">#</a></h{level}>']
        done = match.end()
    parts.append(html[done:])
    return "".join(parts)


def _escape(text: str) -> str:
    """markdown-it-py's escapeHtml (&, <, > and double quotes; not single ones), without importing
    markdown-it-py (40 ms) into a build that renders every body with the Rust port."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _unique(slug: str, taken: set[str]) -> str:
    """As mdit_py_plugins.anchors: a taken slug gets -1, -2, ..."""
    unique, i = slug, 1
    while unique in taken:
        unique, i = f"{slug}-{i}", i + 1
    taken.add(unique)
    return unique


_WORD = re.compile(r"\w+")
# Each ASCII byte that is not a word character (re.ASCII's \w: letters, digits, _) as a space.
ASCII_SPACES = bytes(c if chr(c).isalnum() or c == 0x5F else 0x20 for c in range(128)) + b" " * 128


# Each ASCII byte as "a" when it is a word character, else as a space: a word then begins at each " a".
_WORD_OR_SPACE = bytes(0x61 if c != 0x20 else 0x20 for c in ASCII_SPACES)


def count_words(text: str) -> int:
    """Runs of word characters (for the reading time). On ASCII text (most), the places where a
    word character follows a byte that is not one (or starts the text), counted in the text with
    each byte made "a" or a space: half the time of splitting it into words (7.5 against 14.7 µs
    an article), itself a quarter of the regex's, which ``subn`` counts without a list of words."""
    if text.isascii():
        marked = text.encode("ascii").translate(_WORD_OR_SPACE)
        return marked.count(b" a") + marked.startswith(b"a")
    return _WORD.subn("", text)[1]
