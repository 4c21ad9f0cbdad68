"""The plan's value classes: pages and what their contexts hold (links, periods, calendar
cells, related links, section blocks), and the plan itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date  # noqa: F401 - Period.date's type
from typing import Any, Callable

from sitegen.indexes import Term
from sitegen.model import Article
from sitegen.plan.feeds import FeedLink
from sitegen.plan.paging import Pager
from sitegen.plan.urls import Urls, output_path


_last: "tuple[Page, dict[str, Any]] | None" = None  # see Page.full_context


@dataclass(frozen=True, slots=True)
class Page:
    url: str                 # site path without the base path: '/2024/07/04/slug/'
    template: str
    title: str
    source: str = ""         # what the page comes from (an article's path), for diagnostics
    description: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    pager: Pager | None = None
    produce: Callable[[], bytes] | None = None  # the page's bytes from code (feeds, sitemaps), not a template
    inputs: Any = None       # what produce's bytes are made of besides the settings, for its page key
    # The rest of the context, made only where it is used: ``more(more_of)``; and what that is made
    # of, for the page key: ``more_inputs(more_of)``. Functions shared by many pages, not a
    # partial each (about 300 bytes with its bound method: 300 MB at a million articles).
    more: Callable[[Any], dict[str, Any]] | None = None
    more_of: Any = None
    more_inputs: Callable[[Any], Any] | None = None
    # The lists the page shows a window of or counts from (names as pagekeys.prepare gives them):
    # an article added to one changes the page without changing any article it showed before.
    lists: tuple[str, ...] = ()

    def full_context(self) -> dict[str, Any]:
        """``context`` with ``more(more_of)``: an article page's links, terms and related list are
        made where the page is keyed and rendered (in a render worker), not kept for every page of
        the plan at once. The last one made is kept, as keying and rendering a page ask in turn."""
        if self.more is None:
            return self.context
        global _last
        if _last is not None and _last[0] is self:
            return _last[1]
        context = {**self.context, **self.more(self.more_of)}
        _last = (self, context)
        return context

    @property
    def output(self) -> str:
        """The file this page is written to, relative to the output folder."""
        return output_path(self.url)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str | None
    count: int = 0


@dataclass(frozen=True, slots=True)
class Period:
    """A year or month with its article count, for archive tables."""
    date: date
    year: int
    count: int
    url: str
    months: tuple["Period", ...] = ()


@dataclass(frozen=True, slots=True)
class DayCell:
    day: int
    count: int
    url: str | None


@dataclass(frozen=True, slots=True)
class RelatedLink:
    article: Article | None
    text: str
    explicit: bool
    score: float | None = None  # similarity, to two decimals (the theme shows a whole percent)
    terms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SectionBlock:
    term: Term
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    pages: tuple[Page, ...]
    urls: dict[str, str]  # article path -> URL
    scheme: Urls
    nav: tuple[Link, ...]
    feeds: tuple[FeedLink, ...] = ()  # the site's feeds, for autodiscovery links on every page
    indexes: tuple[Link, ...] = ()    # the archive's index pages (archive, terms, stories), for the footer
    wanted: "Wanted | None" = None  # a narrow plan's output paths: its pages are those of these only


# The names of the lists pages depend on (Page.lists; pagekeys.prepare digests each), made here
# only, so that a page and the record name a list alike: "home", "dates", "stories", "all" and these.
def term_list(kind: str, slug: str) -> str:
    """A term's members (its pages, its feeds, a page that shows its count)."""
    return f"term:{kind}:{slug}"


def name_list(kind: str, slug: str) -> str:
    """A term's name alone (a page that shows the term by name)."""
    return f"name:{kind}:{slug}"


def kind_list(kind: str) -> str:
    """The terms of one kind, in order (its index page)."""
    return f"terms:{kind}"


def period_list(kind: str, key: "int | tuple[int, int] | date") -> str:
    """A year's, month's or day's articles (``kind``: year, month or day): "year:2024",
    "month:2024-05", "day:2024-05-06"."""
    name = f"{key[0]}-{key[1]:02d}" if isinstance(key, tuple) else str(key)
    return f"{kind}:{name}"


class Wanted:
    """The output paths a narrow plan makes: every one but those carried over from the last build."""

    __slots__ = ("carried", "sitemaps")

    def __init__(self, carried: frozenset[str] | set[str] | dict[str, object], sitemaps: bool):
        self.carried = carried
        self.sitemaps = sitemaps  # whether any sitemap file is made (they list every listing: see plan_site)

    def __contains__(self, output: object) -> bool:
        return output not in self.carried
