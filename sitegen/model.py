"""The value classes every stage passes along: no I/O, no Jinja, no clock.

An Article knows where it came from (path, line) but not its URL: URLs belong to
the page plan.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache

from slugify import slugify as _slugify


def pickled_by_fields(cls: type) -> type:
    """A slots dataclass that pickles as its class and field values. Python 3.11 pickles slots
    dataclasses through a state function that lists the fields on every call: for the article
    cache and the output manifest (tens of thousands of objects per build, millions at scale)
    this is about twice as fast to save and a fifth faster to load. A field outside ``__init__``
    (a memo: ``Article.memo``) goes as the state, when it is set."""
    getter = operator.attrgetter(*(f.name for f in fields(cls) if f.init))
    memos = [f.name for f in fields(cls) if not f.init]
    if not memos:
        cls.__reduce__ = lambda self: (cls, getter(self))  # type: ignore[method-assign]
        return cls
    (memo,) = memos
    cls.__reduce__ = lambda self: (cls, getter(self), getattr(self, memo) or None)  # type: ignore[method-assign]
    cls.__setstate__ = lambda self, state: object.__setattr__(self, memo, state)  # type: ignore[attr-defined]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Image:
    src: str
    caption: str = ""
    credit: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RelatedRef:
    """A reference to another article, by slug, title or path, as written at ``line``."""

    text: str
    line: int


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Article:
    title: str
    slug: str
    date: datetime
    section: str
    path: str
    line: int = 1
    updated: datetime | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    source: str = ""
    summary: str = ""
    image: Image | None = None
    reading_time: int = 1
    body_html: str = ""
    related: tuple[RelatedRef, ...] = ()
    draft: bool = False
    dateline: str = ""
    slug_given: bool = False
    aliases: tuple[str, ...] = ()       # old site paths that redirect here ('/2019/05/old-slug.html')
    alias_lines: tuple[int, ...] = ()   # the front matter line of each alias, for diagnostics
    expires: datetime | None = None     # the article leaves the site at this moment
    body_digest: bytes = b""            # of body_html (see bodies.py); body_html is "" when the body store keeps it
    # Digests of the other fields, made once and kept with the article, in the article cache too
    # (see digests.py). Not a field of its own: not compared, and not copied by replace(), so a
    # changed copy makes its own.
    memo: bytes = field(default=b"", init=False, repr=False, compare=False)

    @property
    def sort_key(self) -> tuple:
        """Newest first, ties broken by path so every listing is deterministic."""
        return (-self.date.timestamp(), self.path)


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A stable, URL-safe slug for any script ('Türkiye' -> 'turkiye', '北京' -> 'bei-jing').
    Cached: tags, authors and sections are slugged again for every article that names them."""
    return _slugify(text, max_length=80, word_boundary=True) or "untitled"


def title_key(text: str) -> str:
    """How titles are compared when resolving references: case, punctuation and quote marks ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def reading_minutes(words: int, per_minute: int) -> int:
    return max(1, round(words / per_minute))
