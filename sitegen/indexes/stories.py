"""Stories: groups of articles that follow one another, found from strong related links.

A story is a connected component of the "strongly related" graph (score at least
``story_min_score``, either direction). Components are cheap and need no cluster count,
but one bridging article can chain two stories into a giant one; such a component is cut
again with a stricter link until every piece fits ``story_max_size``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sitegen.config import RelatedConfig
from sitegen.indexes.similar import Match, RelatedLists
from sitegen.model import Article, slugify

SPLIT_STEP = 0.05  # how much stricter each re-cut of an oversized story is

Edge = tuple[int, int, float]


@dataclass(frozen=True, slots=True)
class Story:
    slug: str                       # unique; from the title of the story's first (oldest) article
    title: str                      # that article's title
    articles: tuple[Article, ...]   # newest first

    @property
    def count(self) -> int:
        return len(self.articles)

    @property
    def first(self) -> datetime:
        """When the story began: its oldest article's date."""
        return self.articles[-1].date

    @property
    def last(self) -> datetime:
        return self.articles[0].date


def build_stories(articles: Sequence[Article], related: Mapping[str, Sequence[Match]],
                  config: RelatedConfig) -> tuple[Story, ...]:
    """The archive's stories, newest (by latest article) first, ties by slug; an article is in at most one."""
    arts = sorted(articles, key=lambda a: a.sort_key)  # index order = newest first, then path
    index = {a.path: i for i, a in enumerate(arts)}
    strongest: dict[tuple[int, int], float] = {}
    for path, scored in _scored(related):
        i = index.get(path)
        if i is None:
            continue
        for other, score in scored:
            if score < config.story_min_score:
                continue
            j = index.get(other)
            if j is None or j == i:
                continue
            key = (i, j) if i < j else (j, i)
            strongest[key] = max(score, strongest.get(key, 0.0))
    edges = [(i, j, s) for (i, j), s in sorted(strongest.items())]
    linked = sorted({i for i, _, _ in edges} | {j for _, j, _ in edges})
    groups = list(_pieces(linked, edges, config.story_min_score, max(config.story_min_size, 1),
                          max(config.story_max_size, 1)))
    # Slugs go to the oldest stories first, so an existing story keeps its slug as the archive grows.
    groups.sort(key=lambda g: (arts[g[-1]].date, arts[g[-1]].path))
    taken: set[str] = set()
    stories = []
    for group in groups:
        first = arts[group[-1]]
        base = slug = slugify(first.title)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        stories.append(Story(slug, first.title, tuple(arts[i] for i in group)))
    stories.sort(key=lambda s: (-s.articles[0].date.timestamp(), s.slug))
    return tuple(stories)


def _scored(related: Mapping[str, Sequence[Match]]) -> Iterator[tuple[str, list[tuple[str, float]]]]:
    """(path, [(other path, score), ...]) of each article: from the arrays where the lists are
    kept as arrays (similar.RelatedLists), without making their Match objects."""
    if isinstance(related, RelatedLists):
        yield from related.scored()
        return
    for path, matches in related.items():
        yield path, [(m.article.path, m.score) for m in matches]


def story_of(stories: Sequence[Story]) -> dict[str, Story]:
    """article path -> the story it belongs to (articles in no story are absent)."""
    return {article.path: story for story in stories for article in story.articles}


def _pieces(nodes: list[int], edges: list[Edge], threshold: float, min_size: int,
            max_size: int) -> Iterator[list[int]]:
    """Components of ``nodes`` linked by edges >= threshold, oversized ones cut at a stricter threshold.

    Terminates: past the highest score (at most 1) no edge is left and every piece is one article.
    """
    strong = [e for e in edges if e[2] >= threshold]
    components = _components(nodes, strong)
    owner = {n: k for k, component in enumerate(components) for n in component}
    inner: dict[int, list[Edge]] = {}
    for edge in strong:  # only a component's own strong edges can link it at a stricter threshold
        inner.setdefault(owner[edge[0]], []).append(edge)
    for k, component in enumerate(components):
        if len(component) < min_size:
            continue
        if len(component) <= max_size:
            yield component
            continue
        yield from _pieces(component, inner[k], round(threshold + SPLIT_STEP, 9), min_size, max_size)


def _components(nodes: list[int], edges: list[Edge]) -> list[list[int]]:
    """Connected components (union-find), each sorted, in order of their smallest node."""
    parent = {n: n for n in nodes}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for i, j, _ in edges:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for n in sorted(nodes):
        groups.setdefault(find(n), []).append(n)
    return list(groups.values())
