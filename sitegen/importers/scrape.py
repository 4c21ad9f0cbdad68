"""Plain-text scrapes (sitegen's `.txt` format) as Markdown files, to edit them as such.

sitegen's own scrape reader parses each file, so an imported scrape has the fields a build
gives it: date, section, headline, standfirst (the summary), source, related titles, body
paragraphs, and the photo beside it (copied beside the new file). The page's reading time
and its dateline (the date again) are not kept: sitegen computes the one and shows the date.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from sitegen.config import Config
from sitegen.formats import ReadContext
from sitegen.formats import scrape as scrape_format
from sitegen.importers.common import Entry, Outcome, Source, files_below, html_to_markdown
from sitegen.load import with_sibling_photo

FIRST_PARAGRAPH = re.compile(r"^<p>(.*?)</p>")


def sources(src: Path) -> list[tuple[Path, str]]:
    return files_below(src, (".txt",))


def convert(source: Source) -> Outcome:
    out = Outcome()
    ctx = ReadContext(config=Config(), rel=source.shown, content_rel=source.rel)
    article, diagnostics = scrape_format.read(source.text, ctx)
    out.diagnostics += diagnostics
    if article is None:
        out.failed += 1
        return out
    article = with_sibling_photo(article, source.path, source.path.parent)
    image = article.image
    photo = source.path.parent / image.src.lstrip("/") if image and image.src else None
    if image and not photo:
        line = next((i + 1 for i, text in enumerate(source.text.split("\n")) if image.caption in text), 1)
        out.warn(source.shown, line, "photo caption left out: no image file with the same name beside the scrape")
    first = FIRST_PARAGRAPH.match(article.body_html)
    standfirst = article.summary if not first or html.unescape(first.group(1)) != article.summary else ""
    out.entries.append(Entry(
        origin=source.shown, line=1, title=article.title, date=article.date.date().isoformat(),
        body=html_to_markdown(article.body_html),
        section=article.section,
        source=article.source,
        summary=standfirst,
        image_caption=image.caption if photo else "",
        image_credit=image.credit if photo else "",
        related=tuple(ref.text for ref in article.related),
        image_file=photo,
    ))
    return out
