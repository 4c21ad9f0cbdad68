"""Indexes over the whole archive, each built in one pass into plain mappings."""

from __future__ import annotations

from dataclasses import dataclass

from sitegen.errors import Diagnostic
from sitegen.indexes.related import RelatedItem, resolve_explicit
from sitegen.model import Article


@dataclass(frozen=True, slots=True)
class Indexes:
    articles: tuple[Article, ...]                      # newest first
    related: dict[str, tuple[RelatedItem, ...]]        # article path -> explicit related items


def build_indexes(articles: tuple[Article, ...]) -> tuple[Indexes, list[Diagnostic]]:
    related, diagnostics = resolve_explicit(articles)
    return Indexes(articles=articles, related=related), diagnostics


__all__ = ["Indexes", "RelatedItem", "build_indexes"]
