"""The one configured markdown-it-py instance: CommonMark plus tables, footnotes,
strikethrough and heading anchors.

Raw HTML is escaped unless the site allows it, since scraped text is untrusted;
markdown-it's link validation keeps ``javascript:``, ``vbscript:``, ``file:`` and
non-image ``data:`` URLs out of the output.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from sitegen.config import MarkdownConfig
from sitegen.model import slugify

UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|file|data):", re.I)


def _validate_link(url: str) -> bool:
    # Stricter than markdown-it's default: no data: URLs at all, also not for images.
    return not UNSAFE_SCHEME.match(url)


@lru_cache(maxsize=8)
def renderer(options: MarkdownConfig) -> MarkdownIt:
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


def render(text: str, options: MarkdownConfig) -> str:
    """Body Markdown to HTML."""
    return renderer(options).render(text)


def count_words(text: str) -> int:
    return len(re.findall(r"\w+", text))
