"""Indexes over the whole archive, each built in one pass into plain mappings:
dates, terms (sections, tags, authors, sources), related articles and stories."""

from __future__ import annotations

from dataclasses import dataclass

from sitegen.config import Config
from sitegen.errors import Diagnostic
from sitegen.indexes.dates import DateIndex, build_dates
from sitegen.indexes.related import RelatedItem, resolve_explicit
from sitegen.indexes.similar import Match, compute_related
from sitegen.indexes.stories import Story, build_stories
from sitegen.indexes.terms import KINDS, Term, build_terms
from sitegen.model import Article


@dataclass(frozen=True, slots=True)
class Indexes:
    articles: tuple[Article, ...]                      # newest first
    related: dict[str, tuple[RelatedItem, ...]]        # article path -> explicit related items
    dates: DateIndex
    terms: dict[str, dict[str, Term]]                  # kind -> slug -> term, by name
    similar: dict[str, tuple[Match, ...]]              # article path -> computed related, best first
    stories: tuple[Story, ...]
    story_of: dict[str, Story]                         # article path -> its story


def build_indexes(articles: tuple[Article, ...], config: Config | None = None,
                  hidden: tuple[Article, ...] = ()) -> tuple[Indexes, list[Diagnostic]]:
    """``hidden``: articles not on the site now (scheduled, expired) that references may name."""
    config = config or Config()
    related, diagnostics = resolve_explicit(articles, config.content_dir, hidden)
    similar = compute_related(articles, config.related)
    stories = build_stories(articles, similar, config.related)
    story_of = {article.path: story for story in stories for article in story.articles}
    terms = {kind: build_terms(articles, kind) for kind in KINDS}
    indexes = Indexes(articles, related, build_dates(articles, config.zone), terms, similar, stories, story_of)
    return indexes, diagnostics


__all__ = ["DateIndex", "Indexes", "Match", "RelatedItem", "Story", "Term", "build_indexes"]
