"""Archive health: problems the build tolerates but an editor wants to know about.

Duplicate titles and bodies, images that lead nowhere, articles without a section,
dates in the future. Each finding is a warning with a stable ``code`` (for
``sitegen check --format json``); everything here is pure: the clock and the way to find
a key's line in a file are passed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable
from urllib.parse import unquote

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.errors import Diagnostic, warning
from sitegen.model import Article, title_key

LineOf = Callable[[Article, str], int]  # (article, front matter key) -> line of that key in its file
URL = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.I)


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """A diagnostic with its kind: a short, stable code such as 'duplicate-title'."""

    diagnostic: Diagnostic
    code: str


def _at(article: Article, key: str, line_of: LineOf | None) -> int:
    return line_of(article, key) if line_of else article.line


def _oldest_first(articles: Iterable[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.date, a.path))


def duplicate_titles(articles: Iterable[Article], line_of: LineOf | None = None) -> list[Finding]:
    """Titles equal as references compare them (case, punctuation ignored): a reference by
    title reaches only the oldest, and readers cannot tell the articles apart."""
    first: dict[str, Article] = {}
    found = []
    for article in _oldest_first(articles):
        other = first.setdefault(title_key(article.title), article)
        if other is not article:
            found.append(Finding(warning(article.path, _at(article, "title", line_of),
                                         f"duplicate title {article.title!r}: also the title of {other.path}"),
                                 "duplicate-title"))
    return found


def duplicate_bodies(articles: Iterable[Article], bodies: BodyStore = NO_BODIES) -> list[Finding]:
    """Articles whose body text is the same (whitespace aside): usually one story saved twice."""
    first: dict[bytes, Article] = {}
    found = []
    for article in _oldest_first(articles):
        text = " ".join(bodies.html(article).split())
        if not text:
            continue
        other = first.setdefault(hashlib.blake2b(text.encode(), digest_size=16).digest(), article)
        if other is not article:
            found.append(Finding(warning(article.path, article.line, f"duplicate body: the same text as {other.path}"),
                                 "duplicate-body"))
    return found


def missing_images(articles: Iterable[Article], provided: frozenset[str], content_dir: str,
                   line_of: LineOf | None = None) -> list[Finding]:
    """Lead images that are neither a file of the output (content/ or static/) nor an absolute URL.
    ``provided`` holds the copied files' output paths, without a leading '/'."""
    found = []
    for article in articles:
        src = article.image.src if article.image else ""
        if not src or URL.match(src):
            continue  # a scrape's photo named only by its caption has no file to miss
        rel = unquote(re.split(r"[?#]", src, maxsplit=1)[0]).lstrip("/")
        if rel not in provided:
            found.append(Finding(warning(article.path, _at(article, "image", line_of),
                                         f"image not found: {src} is neither a file of {content_dir.strip('/')}/ "
                                         "or static/ nor an absolute URL"), "missing-image"))
    return found


def without_section(articles: Iterable[Article], line_of: LineOf | None = None) -> list[Finding]:
    """Articles with no section are in no section listing or feed, and {section} in their URL is
    'news'. The scrape reader already warns about its own ('no section after the date'), so only
    the other formats are reported here (the Markdown reader accepts a missing section silently)."""
    return [Finding(warning(a.path, _at(a, "section", line_of), "no section: the article is in no section's pages"),
                    "no-section")
            for a in articles if not a.section and not a.path.lower().endswith(".txt")]


def future_dates(articles: Iterable[Article], now: datetime, line_of: LineOf | None = None) -> list[Finding]:
    """Dates after ``now``: scheduled on purpose, or a typo in the year or a wrong zone, which would
    keep the article off the site until then."""
    return [Finding(warning(a.path, _at(a, "date", line_of),
                            f"date {a.date.isoformat()} is in the future: the article is left out until then"),
                    "future-date")
            for a in articles if a.date > now]


def health(articles: tuple[Article, ...], provided: frozenset[str], content_dir: str, now: datetime,
           line_of: LineOf | None = None, bodies: BodyStore = NO_BODIES) -> list[Finding]:
    """Every health finding of the archive (``bodies``: those the articles do not hold)."""
    return [*duplicate_titles(articles, line_of), *duplicate_bodies(articles, bodies),
            *missing_images(articles, provided, content_dir, line_of), *without_section(articles, line_of),
            *future_dates(articles, now, line_of)]
