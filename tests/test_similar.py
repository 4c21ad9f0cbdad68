"""Computed related articles, on a small archive of three clearly distinct topics."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from sitegen.config import RelatedConfig
from sitegen.indexes.similar import Match, compute_related
from sitegen.indexes.words import plain_text
from sitegen.model import Article

START = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)

TOPICS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "chips": [
        ("Chipmaker opens new semiconductor foundry",
         "The foundry will etch wafers for processors. Semiconductor demand for lithography tools keeps rising.",
         ("Semiconductors", "Industry")),
        ("Lithography shortage slows wafer output",
         "Foundries wait for lithography machines; wafer output and processor supply fall as semiconductor orders pile up.",
         ("semiconductors",)),
        ("Processor designers bet on smaller transistors",
         "Smaller transistors let processors run cooler. Every semiconductor foundry races to shrink wafers.",
         ("Semiconductors", "Science")),
        ("Semiconductor exports climb on processor demand",
         "Wafer shipments and processor exports rose; the foundry sector expects more lithography investment.",
         ("Semiconductors",)),
    ],
    "football": [
        ("Striker scores twice as league leaders win",
         "The striker scored two goals; the goalkeeper could not stop the penalty and the league leaders won the match.",
         ("Football",)),
        ("Goalkeeper saves penalty in cup final",
         "A late penalty was saved by the goalkeeper, and the striker missed the rebound as the cup final match went on.",
         ("Football", "Cup")),
        ("Coach praises midfield after league match",
         "The coach said the midfield controlled the match; the striker and goalkeeper both earned league praise.",
         ("football",)),
        ("Transfer window: club signs young striker",
         "The club signed a striker before the league season; the coach wants goals from the penalty spot in every match.",
         ("Football", "Industry")),
    ],
    "monsoon": [
        ("Monsoon rains flood river valleys",
         "Heavy monsoon rainfall pushed rivers over their banks; flood warnings cover the valley villages.",
         ("Weather",)),
        ("Villagers evacuated as flood waters rise",
         "Flood waters from the swollen river forced villagers out; monsoon rainfall is expected to continue.",
         ("Weather", "Science")),
        ("Forecasters warn of stronger monsoon",
         "Meteorologists expect monsoon rainfall above average, raising flood risk for river valleys.",
         ("weather",)),
        ("Dams release water after monsoon downpour",
         "Reservoirs overflowed after the monsoon downpour; river flood levels worry valley farmers.",
         ("Weather",)),
    ],
}


def make_archive() -> tuple[list[Article], dict[str, str]]:
    """12 articles, 3 topics x 4, dates interleaved; returns (articles, path -> topic)."""
    articles, topic_of = [], {}
    for t, (topic, items) in enumerate(TOPICS.items()):
        for k, (title, body, tags) in enumerate(items):
            path = f"content/{topic}-{k}.md"
            articles.append(Article(title=title, slug=f"{topic}-{k}", date=START + timedelta(days=3 * k + t),
                                    section="News", path=path, tags=tags, body_html=f"<p>{body}</p>"))
            topic_of[path] = topic
    return articles, topic_of


CONFIG = RelatedConfig(min_score=0.01, listed=20)


def test_top_matches_are_the_same_topic():
    articles, topic_of = make_archive()
    related = compute_related(articles, CONFIG)
    assert set(related) == set(topic_of)
    for path, matches in related.items():
        top3 = [topic_of[m.article.path] for m in matches[:3]]
        assert top3 == [topic_of[path]] * 3, (path, [(m.article.path, m.score) for m in matches])
        assert all(0 < m.score <= 1 for m in matches)
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_no_self_match_and_scores_are_symmetric_cosines():
    articles, _ = make_archive()
    related = compute_related(articles, CONFIG)
    score = {(p, m.article.path): m.score for p, ms in related.items() for m in ms}
    assert all(a != b for a, b in score)
    for (a, b), s in score.items():
        assert score.get((b, a)) == pytest.approx(s)


def test_min_score_filters_and_listed_caps():
    articles, _ = make_archive()
    loose = compute_related(articles, CONFIG)
    all_scores = sorted(m.score for ms in loose.values() for m in ms)
    cut = all_scores[len(all_scores) // 2]
    strict = compute_related(articles, dataclasses.replace(CONFIG, min_score=cut))
    kept = [m.score for ms in strict.values() for m in ms]
    assert kept and min(kept) >= cut and len(kept) < len(all_scores)
    capped = compute_related(articles, dataclasses.replace(CONFIG, listed=2))
    assert all(len(ms) <= 2 for ms in capped.values())
    assert {p: ms[:2] for p, ms in loose.items()} == capped
    assert compute_related(articles, dataclasses.replace(CONFIG, min_score=1.01)) == {}


def test_identical_bodies_are_not_related():
    articles, _ = make_archive()
    original = articles[0]
    copy = dataclasses.replace(original, title="Foundry opening, as syndicated", path="content/copy.md",
                               slug="copy", body_html=original.body_html.replace("<p>", "<p>  "))
    related = compute_related([*articles, copy], CONFIG)
    assert copy.path not in {m.article.path for m in related[original.path]}
    assert original.path not in {m.article.path for m in related[copy.path]}
    # Empty bodies are not "the same body".
    blank = [dataclasses.replace(a, body_html="") for a in articles[:2]]
    assert compute_related(blank, CONFIG)[blank[0].path][0].article == blank[1]


def test_deterministic_whatever_the_input_order():
    articles, _ = make_archive()
    first = compute_related(articles, CONFIG)
    again = compute_related(list(reversed(articles)), CONFIG)
    assert first == again
    assert list(first) == list(again)


def test_terms_are_shared_words_and_tags_the_shared_tags():
    articles, _ = make_archive()
    by_path = {a.path: a for a in articles}
    related = compute_related(articles, CONFIG)
    for path, matches in related.items():
        source = by_path[path]
        for m in matches:
            mine = plain_text(source.body_html).lower() + " " + source.title.lower()
            theirs = plain_text(m.article.body_html).lower() + " " + m.article.title.lower()
            assert len(m.terms) <= 3
            for term in m.terms:
                assert term == term.lower() and term in mine and term in theirs
            folded = {t.casefold() for t in source.tags}
            assert m.tags == tuple(t for t in m.article.tags if t.casefold() in folded)
    chips = related["content/chips-0.md"]
    best = chips[0]
    assert set(best.terms) <= {"semiconductor", "foundry", "wafer", "wafers", "processor", "processors",
                               "lithography", "exports", "demand", "transistors", "smaller", "foundries"}
    assert best.terms
    to_chips2 = next(m for m in chips if m.article.path == "content/chips-2.md")
    assert to_chips2.tags == ("Semiconductors",)  # "Industry" and "Science" are not shared
    to_chips1 = next(m for m in chips if m.article.path == "content/chips-1.md")
    assert to_chips1.tags == ("semiconductors",)  # as written on the related article


def test_date_preference_changes_the_order():
    base = Article(title="Monsoon flood", slug="a", date=START, section="News", path="a.md",
                   body_html="<p>Monsoon flood river rainfall valley villages.</p>")
    near = dataclasses.replace(base, slug="b", path="b.md", date=START + timedelta(days=2),
                               body_html="<p>Monsoon flood river warnings for coastal towns.</p>")
    far = dataclasses.replace(base, slug="c", path="c.md", date=START + timedelta(days=900),
                              body_html="<p>Monsoon flood river rainfall valley farmers.</p>")
    off = compute_related([base, near, far], CONFIG)["a.md"]
    assert [m.article.path for m in off] == ["c.md", "b.md"]
    config = dataclasses.replace(CONFIG, date_halflife_days=300)
    on = compute_related([base, near, far], config)["a.md"]
    assert [m.article.path for m in on] == ["b.md", "c.md"]
    assert on[0].score == pytest.approx(off[1].score * 0.5 ** (2 / 300))
    assert on[1].score == pytest.approx(off[0].score * 0.5 ** (900 / 300))


def test_ties_go_to_the_newer_article_then_path():
    body = "<p>Monsoon flood river rainfall.</p>"
    a = Article(title="Flood", slug="a", date=START, section="News", path="a.md", body_html=body)
    others = [dataclasses.replace(a, slug=s, path=f"{s}.md", date=START + timedelta(days=d), body_html="")
              for s, d in (("c", 1), ("b", 1), ("d", 5))]
    matches = compute_related([a, *others], CONFIG)["a.md"]
    assert [m.article.path for m in matches] == ["d.md", "b.md", "c.md"]
    assert len({m.score for m in matches}) == 1


def test_empty_input_single_article_and_no_words():
    assert compute_related([], CONFIG) == {}
    articles, _ = make_archive()
    assert compute_related(articles[:1], CONFIG) == {}
    bare = [dataclasses.replace(a, title="", body_html="", tags=()) for a in articles[:3]]
    assert compute_related(bare, CONFIG) == {}


def test_non_english_text_still_matches():
    def art(slug: str, title: str, body: str) -> Article:
        return Article(title=title, slug=slug, date=START, section="News", path=f"{slug}.md", body_html=body)
    items = [art("a", "Überschwemmung im Flusstal", "<p>Die Überschwemmung traf das Flusstal schwer.</p>"),
             art("b", "Flusstal nach der Überschwemmung", "<p>Aufräumen im Flusstal &amp; Dörfern.</p>"),
             art("c", "Торговля полупроводниками", "<p>Экспорт полупроводников растёт.</p>")]
    related = compute_related(items, CONFIG)
    assert [m.article.path for m in related["a.md"]] == ["b.md"]
    assert set(related["a.md"][0].terms) == {"überschwemmung", "flusstal"}
    assert "c.md" not in related


def test_match_is_frozen():
    articles, _ = make_archive()
    m = compute_related(articles, CONFIG)["content/chips-0.md"][0]
    assert isinstance(m, Match)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.score = 2.0  # type: ignore[misc]


def test_words_of_finds_on_ascii_what_the_word_regex_finds():
    """ASCII text is split by bytes.translate, other text by the regex: both give the runs of three
    or more word characters, lowercased after NFKC."""
    import random
    import re
    import unicodedata

    from sitegen.indexes.words import words_of

    rng = random.Random(1)
    alphabet = [chr(c) for c in range(128)] + ["word", "_", "ab", "abc", "É", "straße", "ǅ", "ﬁ", "\u212a"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert words_of(text) == re.findall(r"\w{3,}", unicodedata.normalize("NFKC", text).lower()), repr(text)


def test_related_lists_kept_as_arrays_read_as_a_mapping_of_matches():
    """The lists are arrays; each read makes the same Match objects, and they survive the cache."""
    import pickle

    from sitegen.indexes.similar import RelatedLists

    articles, _ = make_archive()
    related = compute_related(articles, CONFIG)
    assert isinstance(related, RelatedLists)
    plain = dict(related.items())
    assert len(related) == len(plain) == len(articles) and list(related) == list(plain)
    newest_first = [a.path for a in sorted(articles, key=lambda a: a.sort_key)]
    assert list(related) == newest_first  # as a dict made row by row would be
    assert all(isinstance(m, Match) and m.score > 0 for ms in plain.values() for m in ms)
    assert all(ms[0].terms for ms in plain.values())  # the best match of each shares words
    assert related[newest_first[0]] == plain[newest_first[0]] and related == plain
    assert "content/nowhere.md" not in related and related.get("content/nowhere.md", ()) == ()
    with pytest.raises(KeyError):
        related["content/nowhere.md"]
    # matches() makes them one by one, as asked for: the first alone, or none for an article without
    assert all(next(related.matches(p)) == plain[p][0] and tuple(related.matches(p)) == plain[p] for p in plain)
    assert list(related.matches("content/nowhere.md")) == []
    assert dict(related.scored()) == {p: [(m.article.path, m.score) for m in ms] for p, ms in plain.items()}
    # what page keys read: what pages show of each match (the score as the plan rounds it), no Match made
    assert {p: related.shown(p) for p in related} == {p: ([m.article for m in ms], [round(m.score * 100) for m in ms],
                                                          [m.terms for m in ms]) for p, ms in plain.items()}
    assert related.shown("content/nowhere.md") == ([], [], [])
    arts = sorted(articles, key=lambda a: a.sort_key)
    again = RelatedLists.restored(arts, pickle.loads(pickle.dumps(related.state())))
    assert again == plain and list(again) == list(plain)
    shared = [m.tags for ms in plain.values() for m in ms if m.tags]
    assert shared and all(isinstance(t, str) for tags in shared for t in tags)  # as written on the other article


def test_a_small_archive_is_paired_in_numpy_alone_to_scipys_bits(monkeypatch):
    """Below SCIPY_FROM articles the pairing runs in numpy alone (csr.py), sparing scipy's import;
    the lists, scores and shown words are scipy's, bit for bit."""
    from sitegen.indexes import similar

    articles, _ = make_archive()
    assert len(articles) < similar.SCIPY_FROM
    config = dataclasses.replace(CONFIG, listed=8)
    alone = similar.pair_up(articles, config)
    monkeypatch.setattr(similar, "SCIPY_FROM", 0)
    through_scipy = similar.pair_up(articles, config)
    assert dict(alone[0].items()) == dict(through_scipy[0].items()) and len(alone[0]) == len(articles)
    assert dict(alone[0].scored()) == dict(through_scipy[0].scored())  # the same floats, not close ones
    a, b = alone[1].pairs, through_scipy[1].pairs
    for field in dataclasses.fields(a):
        assert (getattr(a, field.name) == getattr(b, field.name)).all(), field.name
    for name in ("data", "indices", "indptr"):  # the same index kept for the next build's repair
        assert (getattr(alone[1].postings, name) == getattr(through_scipy[1].postings, name)).all(), name
