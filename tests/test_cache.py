"""The article cache: a warm build gives the same output as a cold one, whatever changed."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from conftest import article_md, write_files
from sitegen.build import build
from sitegen.cache import CACHE_DIR, ArticleCache, ResultCache
from sitegen.config import Config, load_config
from sitegen.load import load


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def both(root: Path, tmp: Path) -> tuple[dict, dict]:
    """(warm build with the cache, cold build without it) of the site as it is now."""
    warm = build(root, tmp / "warm", cache=True)
    cold = build(root, tmp / "cold", cache=False)
    assert [str(d) for d in warm.diagnostics] == [str(d) for d in cold.diagnostics]
    return tree(tmp / "warm"), tree(tmp / "cold")


@pytest.fixture
def root(site):
    files = {"sitegen.yaml": "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n"}
    for i in range(6):
        files[f"content/2024/0{1 + i % 3}/s{i}.md"] = article_md(
            f"Story number {i}", f"2024-0{1 + i % 3}-1{i}T10:00:00Z", ["World", "Business"][i % 2],
            body=f"Markets and ministers met again on day {i}. " * 12, tags="[markets, ministers]")
    files["content/2024/03/scrape.txt"] = (" date 2024-03-20 WORLD\nA scraped headline\nIts standfirst.\n"
                                           "Crowds at the harbour. / Photo: AP\nMarch 20, 2024\n\nBody.\n")
    return site(files)


def test_warm_build_equals_cold_build_after_every_kind_of_change(root, tmp_path):
    warm, cold = both(root, tmp_path)
    assert warm == cold
    assert (root / CACHE_DIR).is_dir()
    steps = [
        ("edit", lambda: write_files(root, {"content/2024/01/s0.md": article_md(
            "Story number zero, edited", "2024-01-10T10:00:00Z", body="Edited body.")})),
        ("add", lambda: write_files(root, {"content/2024/02/new.md": article_md("A new story", "2024-02-02")})),
        ("rename", lambda: (root / "content/2024/02/new.md").rename(root / "content/2024/02/renamed.md")),
        ("delete", lambda: (root / "content/2024/03/s2.md").unlink()),
        ("bad", lambda: write_files(root, {"content/2024/02/bad.md": "---\ntitle: [unclosed\n---\n"})),
        ("photo", lambda: write_files(root, {"content/2024/03/scrape.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})),
        ("config", lambda: write_files(root, {"sitegen.yaml": "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n"
                                                             "timezone: Asia/Tokyo\nwords_per_minute: 20\n"})),
    ]
    for name, change in steps:
        change()
        warm, cold = both(root, tmp_path)
        assert warm == cold, name
    page = warm["2024/03/20/a-scraped-headline/index.html"].decode()
    assert "/2024/03/scrape.svg" in page  # a photo added beside a cached scrape is found


def test_the_cache_skips_unchanged_files_and_forgets_deleted_ones(root):
    config = load_config(root)
    first = ArticleCache(root, config)
    load(root, config, cache=first)
    first.save()
    again = ArticleCache(root, config)
    assert len(again.entries) == 7
    loaded = load(root, config, cache=again)
    assert len(loaded.articles) == 7 and again.used.keys() == again.entries.keys()
    (root / "content/2024/01/s0.md").unlink()
    third = ArticleCache(root, config)
    load(root, config, cache=third)
    third.save()
    assert len(ArticleCache(root, config).entries) == 6


def test_a_settings_change_starts_a_new_cache(root):
    config = load_config(root)
    cache = ArticleCache(root, config)
    load(root, config, cache=cache)
    cache.save()
    other = Config(timezone="Asia/Tokyo")
    assert ArticleCache(root, other).entries == {}
    assert ArticleCache(root, other).path != cache.path
    (root / CACHE_DIR / "articles-0123.pickle").write_bytes(b"a one-file cache of an older sitegen")
    fresh = ArticleCache(root, other)
    load(root, other, cache=fresh)
    fresh.save()  # the other settings' cache, and the older one, go
    assert sorted(p.name for p in (root / CACHE_DIR).glob("articles-*")) == [fresh.path.name]


def test_a_damaged_cache_is_only_a_slower_build(root, tmp_path):
    config = load_config(root)
    cache = ArticleCache(root, config)
    load(root, config, cache=cache)
    cache.save()
    shard = sorted(cache.path.glob("*.pickle"))[0]
    shard.write_bytes(b"not a pickle")
    assert ArticleCache(root, config).entries == {}
    shard.write_bytes(pickle.dumps({"wrong": "shape"})[:5])
    result = build(root, tmp_path / "out")
    assert result.errors == 0 and result.articles == 7
    assert len(ArticleCache(root, config).entries) == 7  # the damaged cache was written anew


def test_no_cache_neither_reads_nor_writes(root, tmp_path):
    build(root, tmp_path / "out", cache=False)
    assert not (root / CACHE_DIR).exists()


def test_parsing_in_parallel_gives_what_one_process_gives(site, tmp_path, monkeypatch):
    import sitegen.load as load_module

    files = {f"content/{i:03d}.md": article_md(f"Parallel story {i}", f"2023-05-{1 + i % 28:02d}", body=f"Text {i}.")
             for i in range(60)}
    files["content/bad.md"] = "---\ntitle: x\n---\n"
    root = site(files)
    config = Config()
    serial = load(root, config)
    monkeypatch.setattr(load_module, "PARALLEL_FROM", 10)
    parallel = load(root, config)
    assert parallel == serial
    assert [str(d) for d in parallel.diagnostics] == ["content/bad.md:1: error: missing date"]


# --- file stamps: unchanged files are not read again ------------------------------------------

def test_a_file_seen_unchanged_is_not_read_again_and_a_changed_one_is(root, monkeypatch):
    """The key of a file whose size, times and inode are as the last build saw them is the one
    recorded then: planting another key in the record shows it is not read. Any write makes it
    read again, even with its size and modification time put back (the change time moves)."""
    import os
    import time

    import sitegen.cache as cache_module
    from sitegen.cache import file_key

    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)  # files written just now count as settled
    config = load_config(root)
    path, rel = root / "content/2024/01/s0.md", "content/2024/01/s0.md"
    first = ArticleCache(root, config)
    first.started_ns = time.time_ns() + 1
    load(root, config, cache=first)
    first.save()
    again = ArticleCache(root, config)
    stamp, key = again.stamps[rel]
    assert key == file_key(rel, path.read_bytes()) and len(again.stamps) == 7
    again.stamps[rel] = (stamp, b"planted")
    assert again.key_of(path, rel) == b"planted"  # not read
    before = path.stat()
    time.sleep(0.05)  # past one tick of the file system's clock
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Story number 0", "Story number 9"), encoding="utf-8")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert again.key_of(path, rel) == file_key(rel, path.read_bytes()) != key
    third = ArticleCache(root, config)
    assert {a.title for a in load(root, config, cache=third).articles} >= {"Story number 9"}


def test_a_file_written_during_the_build_is_not_stamped(root):
    """Times less than SETTLED_NS before the build could hide a second write within the same
    tick: such a file is read again by the next build."""
    config = load_config(root)
    path = root / "content/2024/01/s0.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    cache = ArticleCache(root, config)
    load(root, config, cache=cache)
    assert "content/2024/01/s0.md" not in cache.seen and cache.seen == {}  # all were written just now


def test_the_cache_is_saved_and_read_in_parts(root, monkeypatch):
    """Saved a few items at a time (one pickle of all keeps a memo entry per object until the
    end): every part is read back, and a file cut short is only a slower build."""
    import sitegen.cache as cache_module

    monkeypatch.setattr(cache_module, "PART", 2)
    monkeypatch.setattr(cache_module, "SHARDS", 1)  # all seven in one file, in four parts
    config = load_config(root)
    first = ArticleCache(root, config)
    loaded = load(root, config, cache=first)
    first.save()
    again = ArticleCache(root, config)
    assert again.entries == first.used and len(again.entries) == 7
    assert [a.title for a in load(root, config, cache=again).articles] == [a.title for a in loaded.articles]
    [shard] = again.path.glob("*.pickle")
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    assert ArticleCache(root, config).entries == {}



def _shards(cache: ArticleCache) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.path.glob("*.pickle")}


def _settled_build(root: Path, config: Config) -> ArticleCache:
    """Load and save as a build does, with every file's stamp kept (all count as settled)."""
    import time

    cache = ArticleCache(root, config)
    cache.started_ns = time.time_ns() + 1
    load(root, config, cache=cache)
    cache.save()
    return cache


def test_an_edit_rewrites_only_the_shards_of_the_old_and_the_new_key(root, monkeypatch):
    import sitegen.cache as cache_module
    from sitegen.cache import _shard, file_key

    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    config = load_config(root)
    rel = "content/2024/01/s0.md"
    first = _settled_build(root, config)
    before = _shards(first)
    assert len(before) > 1
    old_key = file_key(rel, (root / rel).read_bytes())
    write_files(root, {rel: article_md("Story number zero, edited", "2024-01-10T10:00:00Z", body="Edited.")})
    new_key = file_key(rel, (root / rel).read_bytes())
    second = _settled_build(root, config)
    after = _shards(second)
    touched = {f"{_shard(old_key):02x}.pickle", f"{_shard(new_key):02x}.pickle"}
    assert {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)} == touched
    # a build with nothing changed writes no shard
    third = _settled_build(root, config)
    assert _shards(third) == after
    again = ArticleCache(root, config)
    assert again.entries.keys() == second.used.keys() and again.stamps == second.seen
    assert again.stamps[rel][1] == new_key and old_key not in again.entries


def test_shards_of_two_builds_mixed_still_give_each_file_its_own_article(root, monkeypatch, tmp_path):
    """A build stopped between two shard writes leaves shards of two builds: an entry is filed
    under the digest of its file's bytes and a stamp is trusted only while the file has it, so
    the next build still reads every file right."""
    import shutil

    import sitegen.cache as cache_module
    from sitegen.cache import _shard, file_key

    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    config = load_config(root)
    rel = "content/2024/01/s0.md"
    first = _settled_build(root, config)
    old_shard = first.path / f"{_shard(file_key(rel, (root / rel).read_bytes())):02x}.pickle"
    kept = tmp_path / "old-shard"
    shutil.copy2(old_shard, kept)
    write_files(root, {rel: article_md("Story number zero, edited", "2024-01-10T10:00:00Z", body="Edited.")})
    _settled_build(root, config)
    shutil.copy2(kept, old_shard)  # the old key's shard as the first build left it: the old stamp too
    mixed = ArticleCache(root, config)
    titles = {a.path: a.title for a in load(root, config, cache=mixed).articles}
    assert titles[rel] == "Story number zero, edited"
    warm, cold = both(root, tmp_path)
    assert warm == cold

# --- bodies: kept in the body store, read where they are shown ----------------------------------

def test_loaded_articles_do_not_hold_their_bodies_but_the_store_does(root):
    from sitegen.bodies import body_digest

    config = load_config(root)
    cache = ArticleCache(root, config)
    articles = load(root, config, cache=cache).articles
    cold = load(root, config).articles  # no cache: bodies held
    assert [a.body_html for a in articles] == [""] * 7
    assert [cache.bodies.html(a) for a in articles] == [a.body_html for a in cold]
    assert [a.body_digest for a in articles] == [body_digest(a.body_html) for a in cold]
    assert all(a.body_digest for a in articles)


def test_bodies_are_read_in_one_transaction_that_ends_before_a_write_and_with_the_build(root, tmp_path):
    """A process reads the store in one read transaction (see BodyStore.html), yet writes to it
    right after reading; and a build ends its reading, so another process (a second build beside
    ``serve``) can write to the store at once, without waiting for a lock."""
    import sqlite3

    from sitegen.bodies import BODIES_FILE

    config = load_config(root)
    cache = ArticleCache(root, config)
    articles = load(root, config, cache=cache).articles
    first = cache.bodies.html(articles[0])
    assert first and cache.bodies.html(articles[1])
    other = sqlite3.connect(root / CACHE_DIR / BODIES_FILE, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.executescript("BEGIN EXCLUSIVE; COMMIT;")  # held: this process is reading
    cache.bodies.add([(b"\1" * 16, "<p>added while reading</p>")])  # its own write ends its reading
    cache.bodies.commit()
    assert cache.bodies.html(articles[0]) == first
    cache.bodies.done_reading()
    other.executescript("BEGIN EXCLUSIVE; COMMIT;")  # free now
    cache.bodies.close()

    result = build(root, tmp_path / "out")
    assert result.errors == 0
    other.executescript("BEGIN EXCLUSIVE; DELETE FROM bodies WHERE digest = x'01'; COMMIT;")  # the build holds no lock
    other.close()


def test_a_template_reads_any_articles_body_from_the_store(root, tmp_path):
    """A theme may show whole articles in a listing: body_html comes from the store there too."""
    from lxml import html

    write_files(root, {"templates/home.html": (
        "<!doctype html><title>t</title>{% for a in articles %}<div class=whole>{{ a.body_html|safe }}</div>{% endfor %}\n")})
    build(root, tmp_path / "out")
    shown = html.parse(str(tmp_path / "out/index.html")).xpath("//div[@class='whole']")
    cold = {a.title: a.body_html for a in load(root, load_config(root)).articles}
    assert len(shown) == 7 and all(len(div) > 0 and div[0].tag == "p" for div in shown)
    assert {" ".join(div.text_content().split()) for div in shown} == {
        " ".join(html.fromstring(body).text_content().split()) for body in cold.values()}


def test_the_store_keeps_only_the_bodies_of_the_saved_cache(root, tmp_path):
    import sqlite3

    def stored() -> set[bytes]:
        with sqlite3.connect(root / CACHE_DIR / "bodies.sqlite") as db:
            return {row[0] for row in db.execute("SELECT digest FROM bodies")}

    def digests() -> set[bytes]:
        config = load_config(root)
        return {a.body_digest for a, _ in ArticleCache(root, config).entries.values() if a}

    build(root, tmp_path / "out")
    assert stored() == digests() and len(stored()) == 7
    before = stored()
    write_files(root, {"content/2024/01/s0.md": article_md("Story number 0", "2024-01-10T10:00:00Z",
                                                           body="Another body altogether.")})
    (root / "content/2024/03/s2.md").unlink()
    build(root, tmp_path / "out")
    assert stored() == digests() and len(stored()) == 6 and len(before - stored()) == 2


def test_a_lost_or_damaged_body_store_is_only_a_slower_build(root, tmp_path):
    import sqlite3

    warm, cold = both(root, tmp_path)
    store = root / CACHE_DIR / "bodies.sqlite"
    with sqlite3.connect(store) as db:  # one body lost: its article is parsed again
        db.execute("DELETE FROM bodies WHERE rowid = (SELECT min(rowid) FROM bodies)")
    assert len(ArticleCache(root, load_config(root)).entries) == 6
    assert both(root, tmp_path)[0] == cold
    store.unlink()  # all lost
    assert ArticleCache(root, load_config(root)).entries == {}
    assert both(root, tmp_path)[0] == cold
    store.write_bytes(b"not a database at all" * 100)  # damaged
    assert ArticleCache(root, load_config(root)).entries == {}
    assert both(root, tmp_path)[0] == cold


def test_check_reads_the_caches_but_never_writes_them(root):
    from sitegen.check import check

    (root / CACHE_DIR).mkdir(exist_ok=True)
    check(root)
    assert list((root / CACHE_DIR).iterdir()) == []  # no body store, no related articles or word counts


def test_a_cold_build_reads_each_file_once(root, monkeypatch):
    """With nothing cached there is no key to look up: the parser reads and keys each file (a
    cold build used to read every file twice), and the next build finds them all by those keys."""
    from collections import Counter

    reads: Counter[str] = Counter()
    real = Path.read_bytes

    def counted(self: Path) -> bytes:
        reads[self.name] += 1
        return real(self)

    config = load_config(root)
    cache = ArticleCache(root, config)
    monkeypatch.setattr(Path, "read_bytes", counted)
    load(root, config, cache=cache)
    assert len(reads) == 7 and set(reads.values()) == {1}
    cache.save()
    monkeypatch.undo()
    again = ArticleCache(root, config)
    load(root, config, cache=again)
    assert again.used.keys() == again.entries.keys() and len(again.entries) == 7


def test_articles_and_manifest_entries_pickle_as_their_field_values():
    from datetime import datetime, timedelta, timezone

    from sitegen.model import Article, Image, RelatedRef
    from sitegen.write import Entry

    article = Article("Title", "title", datetime(2024, 5, 1, 9, tzinfo=timezone(timedelta(hours=2))), "World",
                      "content/a.md", line=3, tags=("a", "b"), authors=("X",), image=Image("a.jpg", "A caption"),
                      related=(RelatedRef("other", 7),), expires=datetime(2025, 1, 1, tzinfo=timezone.utc),
                      body_digest=b"\x01" * 16)
    again = pickle.loads(pickle.dumps(article, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == article and type(again) is Article
    assert article.__reduce__()[1] == (tuple(getattr(article, f.name) for f in dataclasses.fields(article)),)
    for entry in (Entry(b"key", b"digest", 120, 1_700_000_000_000_000_000), Entry(None, b"d", 0, 0)):
        again = pickle.loads(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == entry and type(again) is Entry and again.deps is None


def test_an_articles_digests_are_made_once_and_pickled_with_it_but_not_copied_into_a_changed_copy():
    from dataclasses import replace
    from datetime import datetime, timezone

    from sitegen.digests import content_digest, planned_digest, row_id
    from sitegen.model import Article

    article = Article("Title", "title", datetime(2024, 5, 1, 9, tzinfo=timezone.utc), "World", "content/a.md",
                      tags=("a",), body_html="<p>Body.</p>")
    assert article.memo == b"" and article.__reduce__()[1][0][-1] == b""  # (the memo is pickled last)
    planned, content, row = planned_digest(article), content_digest(article), row_id(article)
    assert article.memo == planned + content + row and len(planned) == len(content) == 16 and len(row) == 8
    again = pickle.loads(pickle.dumps(article, protocol=pickle.HIGHEST_PROTOCOL))
    assert again.memo == article.memo and again == article
    renamed = replace(again, title="Another title")
    assert renamed.memo == b"" and renamed != again
    assert planned_digest(renamed) != planned and content_digest(renamed) != content and row_id(renamed) == row
    rebodied = replace(again, body_html="<p>Another body.</p>")
    assert planned_digest(rebodied) == planned and content_digest(rebodied) != content and row_id(rebodied) == row
    assert row_id(replace(again, path="content/b.md")) != row  # a row is its path and date
    assert row_id(replace(again, date=datetime(2024, 5, 1, 10, tzinfo=timezone.utc))) != row


READ: list[str] = []  # what Loud values were unpickled


def _loud(text: str) -> str:
    READ.append(text)
    return text


class Loud:
    """A value that tells when it is unpickled."""

    def __init__(self, text: str):
        self.text = text

    def __reduce__(self) -> tuple:
        return _loud, (self.text,)


def test_a_kept_result_is_read_only_under_its_own_key(tmp_path):
    """A result kept under one key is given back under it, and not even read under another (after
    an edit the related lists' key is always new; their result is large at scale). A file of the
    older format, or damaged, is no result."""
    results = ResultCache(tmp_path)
    results.put("related", b"key-1", Loud("lists"))
    READ.clear()
    assert results.get("related", b"key-2") is None and READ == []
    assert results.get("related", b"key-1") == "lists" and READ == ["lists"]
    (tmp_path / CACHE_DIR / "old.pickle").write_bytes(pickle.dumps((b"key-1", "lists")))
    assert results.get("old", b"key-1") is None
    whole = (tmp_path / CACHE_DIR / "related.pickle").read_bytes()
    (tmp_path / CACHE_DIR / "related.pickle").write_bytes(whole[:-5])
    assert results.get("related", b"key-1") is None
    assert ResultCache(tmp_path, enabled=False).get("related", b"key-1") is None

