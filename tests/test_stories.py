"""Stories: components of strongly related articles, sized, split, named and ordered."""

from __future__ import annotations

import dataclasses
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sitegen.config import RelatedConfig
from sitegen.indexes.similar import Match, compute_related
from sitegen.indexes.stories import Story, build_stories, story_of
from sitegen.model import Article

sys.path.insert(0, str(Path(__file__).parent))
from test_similar import make_archive  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
CONFIG = RelatedConfig(story_min_score=0.35, story_min_size=3, story_max_size=40)


def art(name: str, day: int, title: str | None = None) -> Article:
    return Article(title=title or f"Story {name}", slug=name, date=START + timedelta(days=day), section="News",
                   path=f"content/{name}.md")


def links(articles: dict[str, Article], pairs: list[tuple[str, str, float]]) -> dict[str, tuple[Match, ...]]:
    """A one-directional related mapping: stories must treat every link as undirected."""
    out: dict[str, list[Match]] = {}
    for a, b, score in pairs:
        out.setdefault(articles[a].path, []).append(Match(articles[b], score, (), ()))
    return {path: tuple(ms) for path, ms in out.items()}


def paths(story: Story) -> list[str]:
    return [a.slug for a in story.articles]


def test_components_become_stories_and_weak_links_do_not_join():
    arts = {n: art(n, d) for n, d in [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6), ("g", 7)]}
    related = links(arts, [("a", "b", 0.5), ("c", "b", 0.4), ("d", "e", 0.9), ("f", "d", 0.6),
                           ("c", "d", 0.2), ("g", "a", 0.34)])
    stories = build_stories(list(arts.values()), related, CONFIG)
    assert [paths(s) for s in stories] == [["f", "e", "d"], ["c", "b", "a"]]
    assert [s.slug for s in stories] == ["story-d", "story-a"]
    assert [s.title for s in stories] == ["Story d", "Story a"]
    assert set(story_of(stories)) == {f"content/{n}.md" for n in "abcdef"}
    assert story_of(stories)["content/b.md"] is stories[1]


def test_min_size_drops_small_groups():
    arts = {n: art(n, i) for i, n in enumerate("abcde")}
    related = links(arts, [("a", "b", 0.9), ("c", "d", 0.9), ("d", "e", 0.9)])
    stories = build_stories(list(arts.values()), related, CONFIG)
    assert [paths(s) for s in stories] == [["e", "d", "c"]]
    two = build_stories(list(arts.values()), related, dataclasses.replace(CONFIG, story_min_size=2))
    assert [paths(s) for s in two] == [["e", "d", "c"], ["b", "a"]]


def test_oversized_story_is_split_by_a_stricter_link():
    arts = {n: art(n, i) for i, n in enumerate("abcdefghi")}
    # Two tight triangles chained by a bridge, plus a loose tail that falls away when cut.
    related = links(arts, [("a", "b", 0.9), ("b", "c", 0.8), ("a", "c", 0.85),
                           ("d", "e", 0.7), ("e", "f", 0.75), ("d", "f", 0.8),
                           ("c", "d", 0.42), ("f", "g", 0.36), ("g", "h", 0.36), ("h", "i", 0.5)])
    whole = build_stories(list(arts.values()), related, dataclasses.replace(CONFIG, story_max_size=9))
    assert [paths(s) for s in whole] == [list("ihgfedcba")]
    split = build_stories(list(arts.values()), related, dataclasses.replace(CONFIG, story_max_size=4))
    assert [paths(s) for s in split] == [["f", "e", "d"], ["c", "b", "a"]]
    assert all(len(s.articles) <= 4 for s in split)
    # A group that no threshold can split (all links 1.0) ends as single articles: no story.
    tight = links(arts, [("a", "b", 1.0), ("b", "c", 1.0), ("c", "d", 1.0)])
    assert build_stories(list(arts.values()), tight, dataclasses.replace(CONFIG, story_max_size=3)) == ()


def test_slugs_are_unique_oldest_story_keeps_the_plain_slug():
    arts = {n: art(n, i, title="Budget vote" if n in "adg" else None) for i, n in enumerate("abcdefghi")}
    related = links(arts, [("a", "b", 0.9), ("b", "c", 0.9), ("d", "e", 0.9), ("e", "f", 0.9),
                           ("g", "h", 0.9), ("h", "i", 0.9)])
    stories = build_stories(list(arts.values()), related, CONFIG)
    assert [(s.slug, paths(s)) for s in stories] == [("budget-vote-3", ["i", "h", "g"]),
                                                      ("budget-vote-2", ["f", "e", "d"]),
                                                      ("budget-vote", ["c", "b", "a"])]


def test_order_newest_latest_article_first_tie_by_slug():
    days = {"a": 0, "b": 1, "c": 9, "d": 3, "e": 4, "f": 9, "g": 5, "h": 6, "i": 7}
    titles = {"a": "Zebra crossing", "d": "Apple harvest", "g": "Mango prices"}
    arts = {n: art(n, d, titles.get(n)) for n, d in days.items()}
    related = links(arts, [("a", "b", 0.9), ("b", "c", 0.9), ("d", "e", 0.9), ("e", "f", 0.9),
                           ("g", "h", 0.9), ("h", "i", 0.9)])
    stories = build_stories(list(reversed(arts.values())), related, CONFIG)
    # c and f are equally new: the slug decides, not the path.
    assert [s.slug for s in stories] == ["apple-harvest", "zebra-crossing", "mango-prices"]
    assert [paths(s) for s in stories] == [["f", "e", "d"], ["c", "b", "a"], ["i", "h", "g"]]


def test_links_to_unknown_or_same_article_are_ignored():
    arts = {n: art(n, i) for i, n in enumerate("abc")}
    stranger = art("zz", 1)
    related = links({**arts, "zz": stranger}, [("a", "zz", 0.9), ("b", "zz", 0.9), ("c", "zz", 0.9),
                                               ("a", "a", 0.9)])
    assert build_stories(list(arts.values()), related, CONFIG) == ()


def test_stories_from_computed_related_follow_topics():
    articles, topic_of = make_archive()
    config = RelatedConfig(min_score=0.05, story_min_score=0.12, story_min_size=3)
    stories = build_stories(articles, compute_related(articles, config), config)
    assert sorted(len(s.articles) for s in stories) == [4, 4, 4]
    seen: set[str] = set()
    for story in stories:
        members = [a.path for a in story.articles]
        assert len({topic_of[p] for p in members}) == 1
        assert [a.sort_key for a in story.articles] == sorted(a.sort_key for a in story.articles)
        assert story.title == story.articles[-1].title
        assert not seen & set(members)
        seen |= set(members)
    assert len({s.slug for s in stories}) == len(stories)
    assert build_stories([], {}, config) == ()
