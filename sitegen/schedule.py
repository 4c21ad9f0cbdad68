"""Scheduled and expiring articles: which articles are on the site at a moment.

An article dated after "now" waits for its date; one with ``expires`` leaves at that
moment. The filter runs after ``load`` (and its cache), on every build, so a cached
parse never freezes the schedule. "Now" is ``build_time``, else ``SOURCE_DATE_EPOCH``,
else the clock: a fixed moment keeps a reproducible build reproducible, and only the
clock makes a rebuild at the next change worth doing (``rebuild_at``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from sitegen.cache import write_atomically
from sitegen.config import Config
from sitegen.model import Article

RECORD_NAME = ".sitegen-schedule.json"  # beside the output folder, never inside it or the content


@dataclass(frozen=True, slots=True)
class Change:
    """The next moment at which a rebuild would change the site, and why."""

    when: datetime
    reason: str  # 'publish' or 'expire'
    path: str

    def describe(self) -> str:
        verb = "is published" if self.reason == "publish" else "expires"
        return f"{self.when.isoformat()} ({self.path} {verb})"


@dataclass(frozen=True, slots=True)
class Scheduled:
    articles: tuple[Article, ...]  # on the site now, in the order given
    held: tuple[Article, ...]      # scheduled for later or expired: not on the site
    now: datetime
    clock: bool                    # "now" is the real clock (neither build_time nor SOURCE_DATE_EPOCH)
    next_change: Change | None

    @property
    def rebuild_at(self) -> datetime | None:
        """When a watching build should run again by itself: only when "now" moves with the clock."""
        return self.next_change.when if self.clock and self.next_change else None


def moment(config: Config, clock: datetime) -> tuple[datetime, bool]:
    """(now, whether it is the clock): ``build_time``, else ``SOURCE_DATE_EPOCH``, else ``clock``."""
    fixed = bool(config.build_time or os.environ.get("SOURCE_DATE_EPOCH"))
    return config.resolved_build_time(clock), not fixed


def schedule(articles: Sequence[Article], now: datetime, clock: bool = False, future: bool = False) -> Scheduled:
    """Split ``articles`` into those shown at ``now`` and those held back; ``future`` shows
    scheduled articles too (``--future``), never expired ones. One pass."""
    shown: list[Article] = []
    held: list[Article] = []
    changes: list[tuple[datetime, str, str]] = []
    for article in articles:
        expires = article.expires
        if expires is not None and expires <= article.date and not future:
            held.append(article)  # expires before it is published: never shown, never a change
            continue
        waiting = article.date > now and not future
        if waiting:
            changes.append((article.date, article.path, "publish"))
        if expires is not None and expires > now:
            changes.append((expires, article.path, "expire"))
        (held if waiting or (expires is not None and expires <= now) else shown).append(article)
    first = min(changes, default=None)
    change = Change(first[0].astimezone(timezone.utc), first[2], first[1]) if first else None
    return Scheduled(tuple(shown), tuple(held), now, clock, change)


def record(output: Path, change: Change | None) -> Path:
    """Write the next change to ``RECORD_NAME`` beside ``output`` (for cron jobs and
    deploy scripts: rebuild then); replaced atomically. Returns its path."""
    path = output.parent / RECORD_NAME
    data = ({"next_change": change.when.isoformat(), "reason": change.reason, "path": change.path}
            if change else {"next_change": None})
    text = json.dumps(data, indent=2) + "\n"
    write_atomically(path, lambda f: f.write(text.encode("utf-8")), ".sitegen-schedule-")
    return path


__all__ = ["Change", "RECORD_NAME", "Scheduled", "moment", "record", "schedule"]
