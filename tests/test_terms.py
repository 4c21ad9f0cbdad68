"""Terms: spellings that slug alike are one term, shown by the most used spelling (not all
capitals when there is another), with each of its articles once, newest first."""

from __future__ import annotations

from datetime import datetime, timezone

from sitegen.indexes.terms import build_terms
from sitegen.model import Article


def article(n: int, tags: tuple[str, ...] = (), authors: tuple[str, ...] = (), section: str = "World") -> Article:
    return Article(f"Story {n}", f"story-{n}", datetime(2024, 1, 20 - n, tzinfo=timezone.utc), section,
                   f"content/{n}.md", tags=tags, authors=authors)


def test_spellings_that_slug_alike_are_one_term_with_each_article_once_in_order():
    articles = [article(0, ("China", "CHINA", "x")), article(1, ("CHINA", "CHINA", "x", "x")),
                article(2, ("china",)), article(3, ("y",)), article(4, ("China",))]
    tags = build_terms(articles, "tag")
    assert list(tags) == ["china", "x", "y"]  # by name, case-insensitively
    china = tags["china"]
    # CHINA is named 3 times, China twice, china once: the most used is all capitals, so 'China'
    assert china.name == "China"
    assert [a.path for a in china.articles] == ["content/0.md", "content/1.md", "content/2.md", "content/4.md"]
    assert [a.path for a in tags["x"].articles] == ["content/0.md", "content/1.md"]


def test_the_most_used_spelling_wins_and_ties_go_by_spelling():
    articles = [article(0, authors=("Ann Lee",)), article(1, authors=("ann lee",)), article(2, authors=("ann lee",)),
                article(3, authors=("Bo", "BO")), article(4, authors=("bo",))]
    authors = build_terms(articles, "author")
    assert authors["ann-lee"].name == "ann lee" and authors["ann-lee"].count == 3
    assert authors["bo"].name == "Bo"  # Bo and bo once each, BO (all capitals) last; 'Bo' < 'bo'
    assert [a.path for a in authors["bo"].articles] == ["content/3.md", "content/4.md"]
    sections = build_terms(articles, "section")
    assert list(sections) == ["world"] and sections["world"].count == 5
