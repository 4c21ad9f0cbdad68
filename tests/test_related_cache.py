"""Related articles kept between builds: a rebuild with no change reuses them whole (numpy and
scipy are never imported), and after an edit only the edited articles' words are counted again
(and scipy imported only when many rows are scored again), with exactly the output of a cold
build."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import numpy as np
import pytest

from conftest import ROOT, article_md, write_files
from sitegen.build import build
from sitegen.cache import CACHE_DIR, ResultCache
from sitegen.config import RelatedConfig, load_config
from sitegen.indexes.similar import Csr, _tokenise, compute_related
from sitegen.indexes.words import WordCounts, content_digest, count_words, counts_key
from sitegen.model import Article
from test_incremental import tree

CONFIG = "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n"
TOPICS = {
    "harbour": "harbour ferry dock cranes shipping container port berth tide pilot Straße",
    "orchard": "orchard apples harvest pickers cider blossom frost growers pears STRASSE",
    "transit": "tram signals commuters timetable depot fares platform carriages strasse",
    "museum": "museum exhibition curator paintings gallery sculpture archive visitors",
}
N = 48

# One build in a process of its own: which modules did it import?
BUILD = """
import json, os, sys
from pathlib import Path
from sitegen.build import build
import sitegen.indexes.similar as similar
similar.SCIPY_FROM = int(os.environ.get("SCIPY_FROM", similar.SCIPY_FROM))
result = build(Path(sys.argv[1]), Path(sys.argv[2]), jobs=1)
print(json.dumps({"articles": result.articles, "numpy": "numpy" in sys.modules, "scipy": "scipy" in sys.modules,
                  "numpy.ma": "numpy.ma" in sys.modules}))
"""


def story(i: int, extra: str = "") -> str:
    """Article i: one of four topics, words drawn from it (spellings that fold alike included)."""
    topic = list(TOPICS)[i % len(TOPICS)]
    words = TOPICS[topic].split()
    rng = random.Random(i)
    body = " ".join(rng.choice(words) for _ in range(60)) + f". Report number {i}.{extra}"
    return article_md(f"{words[i % len(words)].title()} story {i}", f"2024-{1 + i % 6:02d}-{1 + i % 27:02d}T10:00:00Z",
                      body=body, tags=f"[{topic}, {rng.choice(['Desk', 'desk', 'Night Desk'])}]")


@pytest.fixture
def root(site) -> Path:
    return site({"sitegen.yaml": CONFIG, **{f"content/a{i}.md": story(i) for i in range(N)}})


def kept_counts(root: Path) -> WordCounts:
    """The word counts the last build kept in the site's cache."""
    counts = ResultCache(root).get("words", counts_key(load_config(root).related))
    assert isinstance(counts, WordCounts)
    return counts


def build_in_process_of_its_own(root: Path, out: Path, scipy_from: int | None = None) -> dict:
    """``scipy_from``: pair through scipy from this many articles (0: always, so that scipy's import
    tells a pairing of the whole archive)."""
    extra = {} if scipy_from is None else {"SCIPY_FROM": str(scipy_from)}
    done = subprocess.run([sys.executable, "-c", BUILD, str(root), str(out)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **extra}, check=True, timeout=300)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_rebuild_with_no_change_reuses_related_articles_without_numpy(root, tmp_path):
    small = build_in_process_of_its_own(root, tmp_path / "out")
    assert small == {"articles": N, "numpy": True, "scipy": False, "numpy.ma": False}  # (a small archive: numpy alone)
    shutil.rmtree(root / CACHE_DIR)
    first = build_in_process_of_its_own(root, tmp_path / "out", scipy_from=0)
    assert first == {"articles": N, "numpy": True, "scipy": True, "numpy.ma": True}  # (scipy imports it)
    assert (root / CACHE_DIR / "related.pickle").is_file()
    again = build_in_process_of_its_own(root, tmp_path / "out")
    assert again == {"articles": N, "numpy": False, "scipy": False, "numpy.ma": False}
    write_files(root, {"content/a3.md": story(3, " A late correction.")})
    edited = build_in_process_of_its_own(root, tmp_path / "out")  # a new vector: a few rows scored again
    # (nor numpy.ma, which np.unique's first call imports: 15 ms)
    assert edited == {"articles": N, "numpy": True, "scipy": False, "numpy.ma": False}
    assert kept_counts(root).counted == 1
    # an edit that changes no article's vector (a number is no word) repairs the lists in numpy alone
    write_files(root, {"content/a3.md": story(3, " A late correction, 2024.")})
    assert build_in_process_of_its_own(root, tmp_path / "out") == {"articles": N, "numpy": True, "scipy": False,
                                                                    "numpy.ma": False}
    assert kept_counts(root).counted == 1


def test_after_edits_only_the_changed_articles_are_counted_and_the_output_is_the_cold_one(root, tmp_path):
    build(root, tmp_path / "out")
    assert kept_counts(root).counted == N
    assert any(b'<aside class="related"' in data for data in tree(tmp_path / "out").values())
    steps = [
        ("edit one body", 1, lambda: write_files(root, {"content/a5.md": story(5, " Cranes idle at the berth.")})),
        # a2 now reads exactly as a6 (title, tags, body): its counts are a6's, kept
        ("edit two, add one", 2, lambda: write_files(root, {
            "content/a1.md": story(1, " Tide tables revised."), "content/a2.md": story(6),
            "content/new.md": story(N + 1)})),
        # the newest article now spells a word first another way: every page shows that spelling
        ("newest spelled otherwise", 1, lambda: write_files(root, {"content/a0.md": article_md(
            "Strasse story", "2024-07-01T10:00:00Z", body="strasse STRASSE Straße harbour ferry dock", tags="[harbour]")})),
        ("delete one, retag one", 1, lambda: (
            (root / "content/a7.md").unlink(),
            write_files(root, {"content/a9.md": story(9).replace("tags: [", "tags: [Ferry, ")}))),
    ]
    for name, counted, change in steps:
        change()
        build(root, tmp_path / "out")
        assert kept_counts(root).counted == counted, name
        cold = tmp_path / f"cold-{len(list(tmp_path.iterdir()))}"
        build(root, cold, cache=False)
        assert tree(tmp_path / "out") == tree(cold), name


def related_titles(out: Path, title: str) -> set[str]:
    """The titles an article page (found by its title) lists as related."""
    for path in out.rglob("index.html"):
        page = lxml.html.parse(str(path)).getroot()
        if [h.text_content() for h in page.xpath("//h1")] == [title]:
            return {a.text_content() for a in page.xpath("//aside[@class='related']//a[@class='related-link']")}
    raise AssertionError(f"no page of {title!r}")


def test_with_bodies_weighed_0_a_body_edit_keeps_the_related_lists(site, tmp_path):
    """Lists by tags alone (as Hugo's and Pelican's): a body edit reuses them whole (scipy is never
    imported), a body made the same as another's or a tag edit computes them again; each build gives
    what a cold one gives."""
    weights = "related:\n  title_weight: 0\n  summary_weight: 0\n  body_weight: 0\n  min_score: 0.01\n  count: 20\n"
    root = site({"sitegen.yaml": CONFIG + weights, **{f"content/a{i}.md": story(i) for i in range(N)}})
    out = tmp_path / "out"
    assert build_in_process_of_its_own(root, out, scipy_from=0)["scipy"]  # (scipy imported: every list computed)
    assert "Platform story 6" in related_titles(out, "Commuters story 2")  # one topic, one tag: related
    steps = [
        ("edit a body", False, lambda: write_files(root, {"content/a3.md": story(3, " Cranes idle.")})),
        # a2 keeps its title and tags but takes a6's body: the same body is never related
        ("a body the same as another's", True, lambda: write_files(root, {
            "content/a2.md": story(2).split("\n---\n")[0] + "\n---\n" + story(6).split("\n---\n")[1]})),
        ("edit a tag", True, lambda: write_files(root, {"content/a5.md": story(5).replace("tags: [", "tags: [Ferry, ")})),
    ]
    for name, computed, change in steps:
        change()
        assert build_in_process_of_its_own(root, out, scipy_from=0)["scipy"] is computed, name
        cold = tmp_path / f"cold-{len(list(tmp_path.iterdir()))}"
        build(root, cold, cache=False)
        assert tree(out) == tree(cold), name
    assert "Platform story 6" not in related_titles(out, "Commuters story 2")
    assert "Commuters story 2" not in related_titles(out, "Platform story 6")


def test_an_article_pages_key_reads_only_the_matches_it_can_show(root):
    """Related pages list 20 matches, an article page 5: its key reads the first 5 (and as many more
    as it has explicit references), so a move further down renders only the related page again."""
    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache

    config = load_config(root)
    planned = plan_build(root, config, drafts=False, cache=ArticleCache(root, config, enabled=False))
    pages = [p for p in planned.plan.pages if p.template == "article.html"]
    rows = [planned.indexes.similar.shown(p.more_of.path)[0] for p in pages]
    read = [p.more_inputs(p.more_of)["related"][1] for p in pages]
    assert config.related.count == 5 and max(map(len, rows)) > 5
    assert all(r == row[:5] for r, row in zip(read, rows))
    shown = [[link.article for link in p.full_context()["related"]] for p in pages]
    assert all(links == r for links, r in zip(shown, read))  # no explicit references here: the same five
    # a related page's key reads all it lists, made (like an article page's links) where it is rendered
    related = {p.more_of.path: p for p in planned.plan.pages if p.template == "related.html"}
    assert len(related) == len(pages) and all("matches" not in p.context for p in related.values())
    for page, row in zip(pages, rows):
        other = related[page.more_of.path]
        assert other.more_inputs(other.more_of)[1] == row
        assert [link.article for link in other.full_context()["matches"]] == row



def test_an_article_pages_key_reads_on_past_matches_without_a_page(root):
    """The key reads the list a part at a time; when matches in that part have no page (an output
    path claimed twice), it reads on until it has as many with a page as the page can show, as a
    read of the whole list would."""
    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache

    config = load_config(root)
    planned = plan_build(root, config, drafts=False, cache=ArticleCache(root, config, enabled=False))
    page = max((p for p in planned.plan.pages if p.template == "article.html"),
               key=lambda p: len(planned.indexes.similar.shown(p.more_of.path)[0]))
    planner = page.more_inputs.__self__
    row = planned.indexes.similar.shown(page.more_of.path)
    gone = len(row[0]) - 6  # so many of the first have no page now: the key reads all but the last
    assert gone >= 3
    for other in row[0][:gone]:
        del planner.article_urls[other.path]
    explicit, others, scores, words = planner._related_inputs(page.more_of, 5)
    cut = gone + 5
    assert others == row[0][:cut] and scores == row[1][:cut] and words == row[2][:cut] and explicit == ()
    assert sum(o.path in planner.article_urls for o in others) == 5

def test_a_damaged_word_count_cache_is_only_a_slower_build(root, tmp_path):
    build(root, tmp_path / "out")
    (root / CACHE_DIR / "words.pickle").write_bytes(b"not a pickle")
    write_files(root, {"content/a4.md": story(4, " Edited.")})
    build(root, tmp_path / "out")
    assert kept_counts(root).counted == N
    build(root, tmp_path / "cold", cache=False)
    assert tree(tmp_path / "out") == tree(tmp_path / "cold")


START = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
RELATED = RelatedConfig(min_score=0.01, listed=20)


def archive(n: int, seed: int) -> list[Article]:
    """n articles, newest first, with words of several spellings (Straße, strasse), tags written
    several ways, and two articles of the same body."""
    rng = random.Random(seed)
    pool = [*(w for words in TOPICS.values() for w in words.split()), "ΣΟΦΙΑ", "σοφια", "Größe", "GRÖSSE", "2024",
            "the", "and", "under_score"]
    articles = []
    for i in range(n):
        body = " ".join(rng.choice(pool) for _ in range(rng.randrange(0, 40)))
        articles.append(Article(title=" ".join(rng.sample(pool, 3)), slug=f"s{i}", date=START - timedelta(hours=i),
                                section="News", path=f"content/s{i}.md", summary=" ".join(rng.sample(pool, 2)),
                                tags=tuple(rng.sample(["Harbour", "harbour", "Museum  Pieces", "museum pieces",
                                                       "Orchard"], rng.randrange(0, 3))),
                                body_html=f"<p>{body}</p>"))
    articles[-1] = replace(articles[-1], body_html=articles[0].body_html)
    return articles


def same_matrix(a: tuple, b: tuple) -> bool:
    (ta, ca, da, ia, ga), (tb, cb, db, ib, gb) = a, b
    ta, tb = Csr.stacked(ta, len(ca.terms)), Csr.stacked(tb, len(cb.terms))  # made batch by batch
    return (ta.shape == tb.shape and ta.data.dtype == tb.data.dtype and np.array_equal(ta.indptr, tb.indptr)
            and np.array_equal(ta.indices, tb.indices) and np.array_equal(ta.data, tb.data)
            and ca.terms == cb.terms and da == db and np.array_equal(ia, ib) and np.array_equal(ga, gb))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_counts_give_exactly_what_counting_afresh_gives(seed):
    articles = archive(60, seed)
    digests = [content_digest(a) for a in articles]
    fresh = count_words(articles, RELATED, digests)
    assert fresh.counted == len(articles)
    # the last build's counts: other articles too, some of these edited, in another order
    rng = random.Random(seed)
    before = [replace(a, body_html=a.body_html + "<p>Größe once</p>") if i % 7 == 0 else a
              for i, a in enumerate(articles)] + archive(10, seed + 100)
    rng.shuffle(before)
    kept = count_words(before, RELATED, [content_digest(a) for a in before])
    warm = count_words(articles, RELATED, digests, kept)
    assert warm.counted == sum(1 for i in range(len(articles)) if i % 7 == 0)
    assert same_matrix(_tokenise(warm, RELATED), _tokenise(fresh, RELATED))
    assert set(warm.words) == set(fresh.words)  # words of articles gone are not kept
    assert compute_related(articles, RELATED, warm) == compute_related(articles, RELATED)
    unchanged = count_words(articles, RELATED, digests, warm)
    assert unchanged.counted == 0 and same_matrix(_tokenise(unchanged, RELATED), _tokenise(fresh, RELATED))


@pytest.mark.parametrize("seed", [1, 2])
def test_an_edit_in_place_splices_the_kept_counts_into_exactly_what_rows_taken_anew_give(seed):
    """count_words' path for articles edited where they stand (replaced_rows) against the general
    one (take_rows of the joined counts): words new, words no other article has any more, the
    first and last rows, more than 256 words (a wider dtype)."""
    from sitegen.indexes.words import _join, replaced_rows, take_rows

    articles = archive(60, seed)
    articles[7] = replace(articles[7], body_html=articles[7].body_html + "<p>Zanzibar</p>")  # its own word
    kept = count_words(articles, RELATED, [content_digest(a) for a in articles])
    edited = list(articles)
    for i in (0, 7, 8, 59):
        edited[i] = replace(articles[i], body_html=" ".join(f"fresh{seed}{i}{k:03d}x" for k in range(90)))
    at = [0, 7, 8, 59]
    new = count_words([edited[i] for i in at], RELATED, [content_digest(edited[i]) for i in at])
    rows = np.array([len(articles) + at.index(i) if i in at else i for i in range(len(articles))])
    want, got = take_rows(_join(kept, new), rows), replaced_rows(kept, at, new)
    assert len(got.words) > 256 and got.words == want.words and got.digests == want.digests
    assert set(kept.words) - set(got.words) and set(got.words) - set(kept.words)  # words gone, words new
    assert got.bodies == want.bodies
    for name in ("fields", "word", "count"):
        assert getattr(got, name).dtype == getattr(want, name).dtype, name
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    warm = count_words(edited, RELATED, [content_digest(a) for a in edited], kept)
    assert warm.counted == 4 and warm.words == want.words and np.array_equal(warm.word, want.word)


def test_counts_are_kept_in_the_fewest_bytes_that_hold_them():
    articles = archive(60, 4)
    counts = count_words(articles, RELATED, [content_digest(a) for a in articles])
    assert counts.count.dtype == np.uint8
    assert counts.word.dtype == (np.uint8 if len(counts.words) <= 256 else np.uint16)
    many = replace(articles[0], body_html=" ".join([*(f"word{i:03d}x" for i in range(300)), *["harbour"] * 300]))
    counts = count_words([many], RELATED, [content_digest(many)])
    assert counts.word.dtype == np.uint16 and counts.count.dtype == np.uint16
    assert len(counts.words) == len(set(counts.words))


def test_counting_across_processes_gives_what_one_process_gives(monkeypatch):
    from sitegen.indexes import words

    articles = archive(90, 5)
    digests = [content_digest(a) for a in articles]
    one = count_words(articles, RELATED, digests)
    monkeypatch.setattr(words, "PARALLEL_FROM", 10)  # counted across processes, as for a cold 10,000
    across = count_words(articles, RELATED, digests)
    assert across.counted == len(articles) == one.counted
    assert same_matrix(_tokenise(across, RELATED), _tokenise(one, RELATED))
    assert compute_related(articles, RELATED, across) == compute_related(articles, RELATED, one)


def test_a_counting_child_that_fails_has_its_part_counted_in_the_parent(monkeypatch):
    import os

    from sitegen.indexes import words

    articles = archive(90, 5)
    digests = [content_digest(a) for a in articles]
    one = count_words(articles, RELATED, digests)
    parent, part = os.getpid(), words._count_part

    def failing_in_a_child(bounds):
        if os.getpid() != parent:
            raise MemoryError("a child out of memory")  # (it ends with a failed status, unheard)
        return part(bounds)

    monkeypatch.setattr(words, "PARALLEL_FROM", 10)
    monkeypatch.setattr(words, "_count_part", failing_in_a_child)
    across = count_words(articles, RELATED, digests)
    assert across.counted == len(articles)
    assert same_matrix(_tokenise(across, RELATED), _tokenise(one, RELATED))


@pytest.mark.parametrize("kept_results", [False, True])
def test_without_related_and_story_pages_only_the_shown_few_are_kept(tmp_path, kept_results):
    from sitegen.cache import ResultCache
    from sitegen.config import Config, PagesConfig
    from sitegen.indexes import build_indexes

    articles = tuple(archive(80, 6))
    full = Config(related=RELATED)
    lean = replace(full, pages=PagesConfig(related=False, stories=False))
    everything, _ = build_indexes(articles, full)
    results = ResultCache(tmp_path) if kept_results else None
    few, _ = build_indexes(articles, lean, results=results)
    if results is not None:  # the kept result, as the next build reads it
        few, _ = build_indexes(articles, lean, results=ResultCache(tmp_path))
    assert max(len(m) for m in everything.similar.values()) > RELATED.count
    assert few.similar == {path: m[:RELATED.count] for path, m in everything.similar.items()}
    assert few.stories == () and everything.stories


def test_pairing_across_processes_gives_what_one_process_gives(monkeypatch):
    from sitegen.indexes import similar

    articles = archive(90, 7)
    one = compute_related(articles, RELATED)
    monkeypatch.setattr(similar, "PARALLEL_FROM", 10)  # a pool, as for 10,000 articles
    monkeypatch.setattr(similar, "CHUNK_ROWS", 16)     # and several chunks of rows, in order
    assert compute_related(articles, RELATED) == one
    assert compute_related(articles, RELATED, kept=3) == {path: m[:3] for path, m in one.items()}
