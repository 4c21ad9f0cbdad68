"""Pagination: page 1 at the listing's clean URL, later pages at ``page/N/``.

A pager's navigation is a small window (first, last, and two either side of the
current page), so a listing of 50,000 pages does not print 50,000 links per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence, TypeVar

T = TypeVar("T")
WINDOW = 2


def page_url(base: str, number: int) -> str:
    return base if number == 1 else f"{base}page/{number}/"


@dataclass(frozen=True, slots=True)
class PagerLink:
    number: int | None  # None: a gap
    url: str | None
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pager:
    base: str       # the listing's URL (page 1)
    number: int
    count: int      # pages
    total: int      # items over all pages

    def url(self, number: int) -> str:
        return page_url(self.base, number)

    @property
    def prev_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.count else None

    @property
    def links(self) -> list[PagerLink]:
        shown = sorted({1, self.count, *range(max(1, self.number - WINDOW), min(self.count, self.number + WINDOW) + 1)})
        links: list[PagerLink] = []
        for n in shown:
            last = links[-1].number if links else None
            if last is not None and n - last == 2:  # a gap of one page: show that page, not "…"
                links.append(PagerLink(last + 1, self.url(last + 1)))
            elif last is not None and n - last > 2:
                links.append(PagerLink(None, None))
            links.append(PagerLink(n, self.url(n), n == self.number))
        return links


def paginate(base: str, items: Sequence[T], size: int) -> Iterator[tuple[Sequence[T], Pager]]:
    """(items of the page, its pager) for each page; an empty listing still has page 1."""
    count = max(1, -(-len(items) // size))
    for number in range(1, count + 1):
        yield items[(number - 1) * size: number * size], Pager(base, number, count, len(items))
