"""Related lists repaired after an edit (indexes/repair.py) are the cold computation's, bit for
bit: the same lists, scores, shown words, pools and cuts, edit after edit."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from conftest import article_md, write_files
from sitegen.build import build
from sitegen.config import RelatedConfig
from sitegen.indexes import repair, similar
from sitegen.indexes.repair import repaired
from sitegen.indexes.similar import Pairing, pair_up, row_ids
from sitegen.indexes.words import WordCounts, content_digest, count_words
from sitegen.model import Article
from test_incremental import tree

START = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
TOPICS = [[f"{topic}{k}" for k in range(40)] for topic in ("port", "farm", "rail", "arts", "vote")]
COMMON = [f"common{k}" for k in range(12)]


def corpus(n: int, seed: int) -> list[Article]:
    """n articles of five topics: each word of a topic drawn with a skewed frequency (a few words
    in most of the topic's articles, many in few), common words across topics, some spellings
    that fold alike, tags, and two articles of the same body."""
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        topic = TOPICS[rng.randrange(len(TOPICS))]
        words = [topic[min(int(rng.expovariate(0.15)), 39)] for _ in range(rng.randrange(5, 60))]
        words += rng.sample(COMMON, 3) + (["Straße"] if i % 9 == 0 else ["STRASSE"] if i % 11 == 0 else [])
        articles.append(Article(title=" ".join(rng.sample(topic[:10], 2)), slug=f"s{i}",
                                date=START - timedelta(hours=7 * i), section="News", path=f"content/s{i}.md",
                                summary=" ".join(rng.sample(topic, 2)), tags=tuple(rng.sample(["Port", "Farm", "Rail"], i % 3)),
                                body_html=f"<p>{' '.join(words)}</p>"))
    articles[-1] = replace(articles[-1], body_html=articles[0].body_html)
    return articles


def edit(article: Article, rng: random.Random, k: int) -> Article:
    """One of several edits: new words, words dropped, a new title, a word no article had, tags."""
    body = article.body_html.removeprefix("<p>").removesuffix("</p>").split()
    kind = k % 6
    if kind == 0:
        body += rng.sample(TOPICS[rng.randrange(len(TOPICS))], 6)
    elif kind == 1:
        body = body[: len(body) // 3]
    elif kind == 2:
        return replace(article, title=f"{rng.choice(TOPICS[0])} {rng.choice(TOPICS[1])} revised")
    elif kind == 3:
        body += [f"neverseen{rng.randrange(10 ** 6)}", "Aardvark"]
    elif kind == 4:
        return replace(article, tags=(*article.tags, "Vote"))
    else:
        body = [word for word in body if not word.startswith("common")] + ["common0"] * 5
    return replace(article, body_html=f"<p>{' '.join(body)}</p>")


def counted(articles: list[Article], config: RelatedConfig, kept: WordCounts | None = None) -> WordCounts:
    arts = sorted(articles, key=lambda a: a.sort_key)
    return count_words(arts, config, [content_digest(a) for a in arts], kept)


def same(a: tuple, b: tuple) -> None:
    """Two (lists, Pairing): the same lists and the same state, term by term (the repaired one may
    keep terms no article holds any more)."""
    (lists_a, pa), (lists_b, pb) = a, b
    assert dict(lists_a.items()) == dict(lists_b.items())
    for name in ("ptr", "cols", "pool_ptr", "pool"):
        assert np.array_equal(getattr(pa.pairs, name), getattr(pb.pairs, name)), name
    assert pa.pairs.scores.tobytes() == pb.pairs.scores.tobytes() and np.array_equal(pa.pairs.cut, pb.pairs.cut)
    words = [[pa.terms[w] if w >= 0 else None for w in row] for row in pa.pairs.words.tolist()]
    assert words == [[pb.terms[w] if w >= 0 else None for w in row] for row in pb.pairs.words.tolist()]
    assert vectors(pa) == vectors(pb)
    assert {pa.terms[t]: int(d) for t, d in enumerate(pa.df) if d} == {pb.terms[t]: int(d) for t, d in enumerate(pb.df)}
    assert np.array_equal(pa.rows, pb.rows) and pa.digests == pb.digests and np.array_equal(pa.groups, pb.groups)


def vectors(p: Pairing) -> list[list[tuple[str, bytes]]]:
    x = p.x
    return [[(p.terms[t], v.tobytes()) for t, v in zip(x.indices[x.indptr[i]:x.indptr[i + 1]],
                                                      x.data[x.indptr[i]:x.indptr[i + 1]])] for i in range(x.shape[0])]


@pytest.mark.parametrize("few_rows", [10 ** 6, 0], ids=["numpy", "scipy"])
@pytest.mark.parametrize("seed,halflife", [(1, 0), (2, 0), (3, 30)])
def test_edit_after_edit_the_repaired_lists_are_the_cold_ones(monkeypatch, seed, halflife, few_rows):
    # Small postings and pools, so that 300 articles prune both as 100,000 would.
    monkeypatch.setattr(similar, "POSTINGS_PER_TERM", 12)
    monkeypatch.setattr(similar, "POOL_EXTRA", 3)
    monkeypatch.setattr(repair, "REPAIR_SHARE", 1.0)  # never give up: the repair itself is under test
    monkeypatch.setattr(repair, "AGAIN_SHARE", 1.0)
    monkeypatch.setattr(repair, "FEW_ROWS", few_rows)  # rows scored again in numpy alone, or through scipy
    config = RelatedConfig(min_score=0.05, listed=6, date_halflife_days=halflife)
    rng = random.Random(seed)
    articles = corpus(300, seed)
    counts = counted(articles, config)
    state = pair_up(articles, config, counts)
    for k in range(8):
        for i in rng.sample(range(len(articles)), 1 + k % 3):
            articles[i] = edit(articles[i], rng, k + i)
        arts = sorted(articles, key=lambda a: a.sort_key)
        before, counts = counts, counted(articles, config, counts)
        got = repaired(state[1], arts, row_ids(arts), counts, before, config, config.listed)
        assert got is not None, k
        cold = pair_up(articles, config, counted(articles, config))
        same(got, cold)
        state = got


def change(articles: list[Article], rng: random.Random, k: int) -> None:
    """One of several changes to the archive, in place: an article added (newest, oldest or in
    between), removed, renamed, moved in time, or added with another's body."""
    kind = k % 6
    i = rng.randrange(len(articles))
    if kind == 0:
        new = replace(edit(articles[i], rng, k), path=f"content/new{k}.md", slug=f"new{k}",
                      date=START + timedelta(hours=rng.choice([1, -7 * len(articles) - 3, -7 * i - 2])))
        articles.append(new)
    elif kind == 1:
        del articles[i]
    elif kind == 2:
        articles[i] = replace(articles[i], path=f"content/renamed{k}.md", slug=f"renamed{k}")
    elif kind == 3:
        articles[i] = replace(articles[i], date=articles[i].date - timedelta(days=rng.randrange(1, 60)))
    elif kind == 4:
        articles.insert(0, replace(articles[i], path=f"content/twin{k}.md", slug=f"twin{k}", title=f"Twin {k}",
                                   date=START + timedelta(hours=2)))
    else:
        articles.append(replace(edit(articles[i], rng, k), path=f"content/fresh{k}.md", slug=f"fresh{k}",
                                body_html=f"<p>neverseen{k} {TOPICS[k % 5][k]} {TOPICS[k % 5][k + 1]}</p>",
                                date=START - timedelta(hours=7 * i + 3)))


@pytest.mark.parametrize("few_rows", [10 ** 6, 0], ids=["numpy", "scipy"])
@pytest.mark.parametrize("seed,halflife", [(6, 0), (7, 30)])
def test_articles_added_removed_renamed_or_moved_repair_to_the_cold_lists(monkeypatch, seed, halflife, few_rows):
    """Rows inserted and dropped: the lists, scores, pools and cuts are the cold computation's,
    change after change (an article whose body another has now is computed whole, as an edit)."""
    monkeypatch.setattr(similar, "POSTINGS_PER_TERM", 12)
    monkeypatch.setattr(similar, "POOL_EXTRA", 3)
    monkeypatch.setattr(repair, "REPAIR_SHARE", 1.0)
    monkeypatch.setattr(repair, "AGAIN_SHARE", 1.0)
    monkeypatch.setattr(repair, "FEW_ROWS", few_rows)
    config = RelatedConfig(min_score=0.05, listed=6, date_halflife_days=halflife)
    rng = random.Random(seed)
    articles = corpus(300, seed)
    counts = counted(articles, config)
    state = pair_up(articles, config, counts)
    repairs = 0
    for k in range(12):
        change(articles, rng, k)
        if k % 4 == 3:
            i = rng.randrange(len(articles))
            articles[i] = edit(articles[i], rng, k)  # and an edit besides
        arts = sorted(articles, key=lambda a: a.sort_key)
        before, counts = counts, counted(articles, config, counts)
        rows = row_ids(arts)
        cold = pair_up(articles, config, counted(articles, config))
        got = repaired(state[1], arts, rows, counts, before, config, config.listed)
        if got is None:  # only when the size moved every IDF, or a body is shared anew
            assert similar.n_step(len(arts)) != similar.n_step(len(state[1].rows)) or k % 6 == 4, k
            state = cold
            continue
        same(got, cold)
        repairs += 1
        state = got
    assert repairs >= 8


def test_a_reordered_or_shared_body_or_a_new_idf_step_is_computed_whole(monkeypatch):
    monkeypatch.setattr(repair, "REPAIR_SHARE", 1.0)  # (120 articles: a change reaches many rows)
    monkeypatch.setattr(repair, "AGAIN_SHARE", 1.0)
    config = RelatedConfig(min_score=0.05, listed=6)
    articles = corpus(120, 4)
    counts = counted(articles, config)
    _, pairing = pair_up(articles, config, counts)

    def attempt(changed: list[Article], rows: np.ndarray | None = None) -> object:
        arts = sorted(changed, key=lambda a: a.sort_key)
        rows = row_ids(arts) if rows is None else rows
        return repaired(pairing, arts, rows, counted(changed, config, counts), counts, config, config.listed)

    assert attempt(articles) is not None  # nothing changed: the lists as they were
    assert attempt(articles[:-1]) is not None  # an article removed (120 -> 119: the same IDF step)
    arts = sorted(articles, key=lambda a: a.sort_key)
    assert attempt(articles, row_ids(arts)[::-1].copy()) is None  # rows kept in another order
    fewer = arts[:-1]
    ids = row_ids(fewer).copy()
    assert attempt(fewer, ids) is not None
    ids[1] = ids[0]
    assert attempt(fewer, ids) is None  # two rows of one id: not told apart
    assert attempt([replace(articles[3], body_html=articles[4].body_html), *articles[:3], *articles[4:]]) is None
    assert attempt([*articles, replace(articles[5], path="content/new.md", slug="new")]) is None  # a twin's body
    grown = [*articles, *(replace(a, path=f"content/more{i}.md", slug=f"more{i}", body_html=a.body_html + " more")
                          for i, a in enumerate(articles[:10]))]
    assert similar.n_step(len(grown)) != similar.n_step(len(articles)) and attempt(grown) is None


def test_past_its_shares_of_rows_to_weigh_or_to_pair_again_the_repair_gives_way(monkeypatch):
    """An added article weighs a few rows again and pairs more: the repair gives way (None, the
    whole computation) past either share, and repairs to the cold lists under both."""
    config = RelatedConfig(min_score=0.05, listed=6)
    articles = corpus(200, 5)
    counts = counted(articles, config)
    state = pair_up(articles, config, counts)
    articles.append(replace(articles[3], path="content/added.md", slug="added", date=START + timedelta(hours=1),
                            body_html="<p>" + " ".join(TOPICS[1][:30] + TOPICS[2][:10]) + "</p>"))
    arts = sorted(articles, key=lambda a: a.sort_key)
    new = counted(articles, config, counts)
    weighed, paired = [], []
    monkeypatch.setattr(repair, "weigh", lambda tf, idf, w=repair.weigh: weighed.append(tf.shape[0]) or w(tf, idf))
    monkeypatch.setattr(repair, "all_pairs", lambda chunks, inputs, a=repair.all_pairs:
                        paired.append(sum(map(len, chunks))) or a(chunks, inputs))

    def repair_with(weigh_share: float, again_share: float):
        monkeypatch.setattr(repair, "REPAIR_SHARE", weigh_share)
        monkeypatch.setattr(repair, "AGAIN_SHARE", again_share)
        return repaired(state[1], arts, row_ids(arts), new, counts, config, config.listed)

    same(repair_with(1.0, 1.0), pair_up(articles, config, counted(articles, config)))
    n, w, p = len(arts), weighed[-1], paired[-1]
    assert 1 < w < n and 1 < p < n  # (the IDF of some of its words moved a step: more rows than the one added)
    assert repair_with((w - 0.5) / n, 1.0) is None
    assert repair_with(1.0, (p - 0.5) / n) is None
    same(repair_with((w + 0.5) / n, (p + 0.5) / n), pair_up(articles, config, counted(articles, config)))


def test_a_new_rare_word_reweighs_only_the_edited_article():
    """An edit that adds a word no other article has moves no other IDF: the repair goes ahead
    with the share of rows it may reach as it is in a build."""
    config = RelatedConfig(min_score=0.05, listed=6)
    articles = corpus(400, 5)
    counts = counted(articles, config)
    _, pairing = pair_up(articles, config, counts)
    articles[200] = replace(articles[200], body_html=articles[200].body_html + "<p>zanzibar</p>")
    arts = sorted(articles, key=lambda a: a.sort_key)
    got = repaired(pairing, arts, row_ids(arts), counted(articles, config, counts), counts, config, config.listed)
    assert got is not None
    same(got, pair_up(articles, config, counted(articles, config)))


def story(i: int, extra: str = "") -> str:
    """Article i of a 120-article site of the five topics (``extra`` appended to its body)."""
    rng = random.Random(i)
    topic = TOPICS[i % len(TOPICS)]
    body = " ".join(topic[min(int(rng.expovariate(0.15)), 39)] for _ in range(40))
    return article_md(f"Story {i}", f"2024-{1 + i % 6:02d}-{1 + i % 27:02d}T10:00:00Z", body=body + extra)


def test_a_site_rebuilt_after_an_edit_repairs_the_lists_and_gives_the_cold_output(site, tmp_path, monkeypatch):
    root = site({"sitegen.yaml": "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n",
                 **{f"content/a{i}.md": story(i) for i in range(120)}})
    out = tmp_path / "out"
    build(root, out)
    write_files(root, {"content/a7.md": story(7, " Zanzibar harbour. Port3 port3.")})
    rebuilt_as_cold(root, out, tmp_path, monkeypatch)  # (120 articles: a common word's IDF moves at each edit)
    assert any(b'class="related-link"' in data for data in tree(out).values())


def rebuilt_as_cold(root, out, tmp_path, monkeypatch) -> None:
    """Build ``root`` into ``out`` again with every list repaired (computing them all is an error
    and the repair never gives way), and find it the same as a cold build."""
    import sitegen.indexes

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("every list computed again")

    monkeypatch.setattr(sitegen.indexes, "term_vectors", whole)
    monkeypatch.setattr(repair, "REPAIR_SHARE", 1.0)
    monkeypatch.setattr(repair, "AGAIN_SHARE", 1.0)
    build(root, out)
    monkeypatch.undo()
    cold = tmp_path / "cold"
    build(root, cold, cache=False)
    assert tree(out) == tree(cold)


def test_a_site_rebuilt_after_an_article_is_added_or_removed_repairs_the_lists(site, tmp_path, monkeypatch):
    root = site({"sitegen.yaml": "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n",
                 **{f"content/a{i}.md": story(i) for i in range(120)}})
    out = tmp_path / "out"
    build(root, out)

    for change in ({"content/a120.md": story(120)}, None):  # one added (newest of its month), then one removed
        if change:
            write_files(root, change)
        else:
            (root / "content/a33.md").unlink()
        rebuilt_as_cold(root, out, tmp_path, monkeypatch)
