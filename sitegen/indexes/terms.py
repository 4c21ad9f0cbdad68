"""Sections, tags, authors and sources: each term with its articles, newest first.

Spellings that slug alike are one term ('Michael Gelb' and 'MICHAEL GELB'); the
page shows the most used spelling, preferring one that is not all capitals.
"""

from __future__ import annotations

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
    """slug -> Term, sorted by display name (case-insensitive), one pass over the articles.

    The pass gathers each spelling's articles; spellings are then slugged once each and those
    that slug alike joined. Slugging and counting every name as it came (a Counter per term) took
    0.05 s of each build at 10,000 articles. A spelling's count is how often it is named (twice
    on one article counts twice), its articles each article once."""
    named: dict[str, list[Article]] = {}
    again: dict[str, int] = {}  # spelling -> times named again on the same article (rare)
    for article in articles:
        for name in names_of(article, kind):
            found = named.get(name)
            if found is None:
                named[name] = [article]
            elif found[-1] is not article:
                found.append(article)
            else:
                again[name] = again.get(name, 0) + 1
    spellings: dict[str, list[str]] = {}
    for name in named:
        spellings.setdefault(slugify(name), []).append(name)
    position: dict[int, int] = {}  # id(article) -> its place: made only to join spellings
    terms = {}
    for slug, names in spellings.items():
        if len(names) == 1:
            name = names[0]
            members = named[name]
        else:  # the most used spelling, preferring one not all capitals; members in the articles' order, each once
            name = min(names, key=lambda s: (s.isupper() and len(s) > 1, -len(named[s]) - again.get(s, 0), s))
            if not position:
                position = {id(a): i for i, a in enumerate(articles)}
            joined = sorted((a for s in names for a in named[s]), key=lambda a: position[id(a)])
            members = [a for i, a in enumerate(joined) if i == 0 or a is not joined[i - 1]]
        terms[slug] = Term(kind, slug, name, tuple(members))
    return dict(sorted(terms.items(), key=lambda item: (item[1].name.casefold(), item[0])))
