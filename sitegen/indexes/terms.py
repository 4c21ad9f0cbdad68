"""Sections, tags, authors and sources: each term with its articles, newest first.

Spellings that slug alike are one term ('Michael Gelb' and 'MICHAEL GELB'); the
page shows the most used spelling, preferring one that is not all capitals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sitegen.model import Article, slugify

KINDS = ("section", "tag", "author", "source")


@dataclass(frozen=True, slots=True)
class Term:
    kind: str
    slug: str
    name: str
    articles: tuple[Article, ...] = field(repr=False, compare=False)

    @property
    def count(self) -> int:
        return len(self.articles)


def names_of(article: Article, kind: str) -> Iterable[str]:
    if kind == "section":
        return (article.section,) if article.section else ()
    if kind == "source":
        return (article.source,) if article.source else ()
    return article.tags if kind == "tag" else article.authors


def build_terms(articles: Sequence[Article], kind: str) -> dict[str, Term]:
    """slug -> Term, sorted by display name (case-insensitive), one pass over the articles."""
    members: dict[str, list[Article]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for article in articles:
        seen = set()
        for name in names_of(article, kind):
            slug = slugify(name)
            spellings[slug][name] += 1
            if slug not in seen:  # 'China' and 'CHINA' on one article count once
                seen.add(slug)
                members[slug].append(article)
    terms = {}
    for slug, counts in spellings.items():
        name = min(counts, key=lambda s: (s.isupper() and len(s) > 1, -counts[s], s))
        terms[slug] = Term(kind, slug, name, tuple(members[slug]))
    return dict(sorted(terms.items(), key=lambda item: (item[1].name.casefold(), item[0])))
