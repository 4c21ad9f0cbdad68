"""Plain-text article scrapes, as news sites' pages are commonly saved:

     date 2024-07-04 WORLD            <- date and section (any case, any language)
    2 MIN READ                        <- the page's own reading time
    Headline
    Standfirst
    Photo caption / Photo: CREDIT     <- optional
    July 4, 2024                      <- dateline
    <blank>
    Body paragraphs, separated by blank lines …
    Related'Title of another article'  <- any number, each a reference by title
    SOURCE:AFP                        <- optional

Every line lands in a field or in a warning: nothing is dropped silently.
"""

from __future__ import annotations

import html
import re
from datetime import date as Date
from datetime import datetime, time

from sitegen.errors import Diagnostic, error, warning
from sitegen.formats import ReadContext
from sitegen.model import Article, Image, RelatedRef, reading_minutes, slugify

DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+(.*?))?\s*$", re.I)
READ_LINE = re.compile(r"^\s*(\d+)\s+MIN(?:UTES?)?\s+READ\s*$", re.I)
CREDIT = re.compile(r"^(.*?)\s*/\s*(?:Photo|Photograph|Image|Picture)\s*:\s*(.*?)\s*$", re.I)
RELATED = re.compile(r"^Related(?:\s*:\s*|(?=['\"‘“«„])|(?=[A-Z\d]))(.+?)\s*$")
SOURCE = re.compile(r"^SOURCE\s*:\s*(.*?)\s*$")
LAST_SOURCE = re.compile(r"^Source\s*:\s*(.*?)\s*$", re.I)
MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}


def parse_dateline(text: str) -> Date | None:
    """'July 4, 2024', '4 July 2024', 'Jul. 4, 2024' or '2024-07-04'; None if it is not a date."""
    text = text.strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", text)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = re.match(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$", text) or re.match(
            r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$", text)
        if not m:
            return None
        a, b, y = m.groups()
        month_name, d = (a, b) if a[0].isalpha() else (b, a)
        mo = MONTHS.get(month_name.lower())
        if mo is None:
            return None
        y, d = int(y), int(d)
    try:
        return Date(y, mo, d)
    except ValueError:
        return None


def read(text: str, ctx: ReadContext) -> tuple[Article | None, list[Diagnostic]]:
    rel = ctx.rel
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    numbered = [(i + 1, line.rstrip()) for i, line in enumerate(lines)]
    head = [(n, line) for n, line in numbered if line.strip()]
    if not head:
        return None, [error(rel, 1, "empty file")]

    # 1. ' date YYYY-MM-DD SECTION'
    n, line = head.pop(0)
    m = DATE_LINE.match(line)
    if not m:
        return None, [error(rel, n, f"expected a ' date YYYY-MM-DD SECTION' line, found {line.strip()!r}")]
    try:
        day = Date.fromisoformat(m.group(1))
    except ValueError:
        return None, [error(rel, n, f"cannot read date {m.group(1)!r}: not a real calendar day")]
    section = (m.group(2) or "").strip()
    if not section:
        diagnostics.append(warning(rel, n, "no section after the date"))

    # 2. optional 'N MIN READ'
    given_minutes = None
    if head and READ_LINE.match(head[0][1]):
        given_minutes = int(READ_LINE.match(head.pop(0)[1]).group(1))

    # 3. headline
    if not head:
        return None, [*diagnostics, error(rel, n, "missing title")]
    title_line, title = head.pop(0)
    title = title.strip()

    # 4. standfirst, caption, dateline: the lines up to the first blank line after the headline
    header: list[tuple[int, str]] = []
    i = title_line  # index into numbered of the line after the headline
    while i < len(numbered) and numbered[i][1].strip():
        header.append(numbered[i])
        i += 1
    body_lines = numbered[i:]
    dateline, dateline_date = "", None
    if header and parse_dateline(header[-1][1]):
        dn, dateline = header.pop()
        dateline = dateline.strip()
        dateline_date = parse_dateline(dateline)
        if dateline_date != day:
            diagnostics.append(warning(rel, dn, f"dateline {dateline!r} differs from the date line ({day.isoformat()})"))
    standfirst, image = "", None
    for hn, hline in header:
        credit = CREDIT.match(hline.strip())
        if credit and image is None:
            image = Image(src="", caption=credit.group(1), credit=credit.group(2))
        elif not standfirst and image is None:
            standfirst = hline.strip()
        elif image is None:
            image = Image(src="", caption=hline.strip())
        else:
            diagnostics.append(warning(rel, hn, f"line not recognised, kept out of the article: {hline.strip()!r}"))

    # 5. body paragraphs, Related lines and SOURCE
    paragraphs: list[str] = []
    related: list[RelatedRef] = []
    source = ""
    current: list[str] = []
    last_text = max((k for k, (_, l) in enumerate(body_lines) if l.strip()), default=-1)
    for k, (bn, bline) in enumerate(body_lines):
        stripped = bline.strip()
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        alone = not current  # Related and SOURCE lines stand at the start of a block
        rm, sm = RELATED.match(stripped), SOURCE.match(stripped) or (k == last_text and LAST_SOURCE.match(stripped))
        if alone and rm:
            related.append(RelatedRef(rm.group(1).strip(), bn))
        elif alone and sm:
            if source:
                diagnostics.append(warning(rel, bn, f"second SOURCE line, kept the first ({source!r})"))
            else:
                source = sm.group(1)
                if not source:
                    diagnostics.append(warning(rel, bn, "empty SOURCE line"))
        else:
            current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    if not paragraphs:
        diagnostics.append(warning(rel, title_line, "article has no body text"))

    words = sum(len(p.split()) for p in paragraphs)
    body_html = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)
    summary = standfirst or (paragraphs[0] if paragraphs else "")
    article = Article(
        title=title,
        slug=slugify(title),
        date=datetime.combine(day, time(0, 0), tzinfo=ctx.config.zone),
        section=section,
        path=rel,
        line=1,
        source=source,
        summary=summary,
        image=image,
        reading_time=given_minutes or reading_minutes(words, ctx.config.words_per_minute),
        body_html=body_html,
        related=tuple(related),
        dateline=dateline,
    )
    return article, diagnostics
