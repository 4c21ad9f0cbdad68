"""The date archive: articles by year, month and day, in the site's time zone.

An article's day is its day in the site's zone (an article at 23:30 in New York is on
the next day in London), the same day its URL carries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Sequence
from zoneinfo import ZoneInfo

from sitegen.model import Article


@dataclass(frozen=True, slots=True)
class DateIndex:
    years: dict[int, tuple[Article, ...]]               # newest first, keys newest first
    months: dict[tuple[int, int], tuple[Article, ...]]
    days: dict[date, tuple[Article, ...]]

    def neighbours(self, keys: Sequence, key, at: int | None = None) -> tuple:
        """(previous, next) period that has articles: older and newer; None at the ends. ``at``:
        where ``key`` is in ``keys``, when the caller knows (finding it is O(periods), and a
        planner going through every day of a decade did it 3,650 times)."""
        i = keys.index(key) if at is None else at
        older = keys[i + 1] if i + 1 < len(keys) else None
        newer = keys[i - 1] if i > 0 else None
        return older, newer


def local_day(article: Article, zone: ZoneInfo) -> date:
    return article.date.astimezone(zone).date()


def build_dates(articles: Sequence[Article], zone: ZoneInfo) -> DateIndex:
    """One pass over the articles (already newest first), so every period keeps that order."""
    years: dict[int, list[Article]] = defaultdict(list)
    months: dict[tuple[int, int], list[Article]] = defaultdict(list)
    days: dict[date, list[Article]] = defaultdict(list)
    for article in articles:
        day = local_day(article, zone)
        years[day.year].append(article)
        months[(day.year, day.month)].append(article)
        days[day].append(article)

    def frozen(groups: dict) -> dict:
        return {key: tuple(groups[key]) for key in sorted(groups, reverse=True)}

    return DateIndex(frozen(years), frozen(months), frozen(days))
