"""bench/generate.py: the synthetic news archive for the benchmarks (small N, all formats)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from sitegen.model import slugify

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "peers"
N = 50


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
needs_peers = pytest.mark.skipif(not (PEERS / "hugo").is_dir() or not (PEERS / "pelican").is_dir(),
                                 reason=f"no peer configurations at {PEERS}")
FORMATS = gen.FORMATS if (PEERS / "hugo").is_dir() and (PEERS / "pelican").is_dir() else ("sitegen",)

SITEGEN_KEYS = ["title", "date", "section", "tags", "authors", "source", "summary", "slug"]
HUGO_KEYS = ["title", "date", "slug", "categories", "tags", "authors", "source", "summary"]
PELICAN_KEYS = ["Title", "Date", "Category", "Tags", "Authors", "Source", "Summary", "Slug"]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+00:00|\+01:00|-05:00|\+08:00|\+05:30)$")
LINK_TARGET = re.compile(r"\]\(https://example\.org/[^)\s]+\)")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def split_front_matter(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def pelican_headers(text: str) -> tuple[dict[str, str], str]:
    head, body = text.split("\n\n", 1)
    headers = {}
    for line in head.split("\n"):
        m = re.fullmatch(r"([A-Z][a-z]+): (\S.*)", line)
        assert m, f"not a Pelican header line: {line!r}"
        headers[m.group(1)] = m.group(2)
    return headers, body


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("archive")
    counts = gen.generate(N, out, seed=1, formats=FORMATS, peers=PEERS)
    return out, counts


def sitegen_articles(out: Path) -> dict[str, tuple[dict, str, str]]:
    """slug -> (front matter, body, path relative to content/)."""
    result = {}
    for path in sorted((out / "sitegen" / "content").rglob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        result[meta["slug"]] = (meta, body, path.relative_to(out / "sitegen" / "content").as_posix())
    return result


def test_output_is_byte_identical_for_the_same_n_and_seed(archive, tmp_path):
    out, counts = archive
    again = gen.generate(N, tmp_path / "again", seed=1, formats=FORMATS, peers=PEERS)
    assert again == counts
    assert tree(tmp_path / "again") == tree(out)


def test_article_i_does_not_depend_on_n(archive, tmp_path):
    out, _ = archive
    gen.generate(20, tmp_path / "small", seed=1)
    small = tree(tmp_path / "small" / "sitegen" / "content")
    large = tree(out / "sitegen" / "content")
    assert len(small) == 20 and len(large) == N
    assert all(large[path] == data for path, data in small.items())
    assert gen.make_article(7, seed=1) == gen.make_article(7, seed=1)
    assert gen.make_article(7, seed=1) != gen.make_article(7, seed=2)


def test_parallel_writing_gives_the_same_output(archive, tmp_path, monkeypatch):
    out, _ = archive
    monkeypatch.setattr(gen, "PARALLEL_FROM", 0)        # fork workers even for a small archive
    gen.generate(N, tmp_path / "par", seed=1, formats=FORMATS, peers=PEERS, jobs=3)
    assert tree(tmp_path / "par") == tree(out)


def test_sitegen_files_parse_and_are_complete(archive):
    out, counts = archive
    articles = sitegen_articles(out)
    assert counts["articles"] == len(articles) == N
    titles = set()
    for slug, (meta, body, rel) in articles.items():
        assert list(meta) == SITEGEN_KEYS
        assert isinstance(meta["date"], dt.datetime) and meta["date"].tzinfo is not None
        assert 2015 <= meta["date"].year <= 2024
        assert rel == f"{meta['date']:%Y/%m}/{slug}.md"         # the date's own (wall-clock) year and month
        assert meta["section"] in gen.SECTIONS
        assert 2 <= len(meta["tags"]) <= 5 and len(set(meta["tags"])) == len(meta["tags"])
        assert 1 <= len(meta["authors"]) <= 2
        assert meta["source"] and meta["summary"].endswith(".")
        assert slugify(slug) == slug and len(slug) <= 80       # sitegen keeps the slug exactly
        titles.add(meta["title"])
        assert body.startswith("\n") and body.endswith("\n")
    assert len(titles) == N


def test_bodies_have_the_promised_shape(archive):
    out, _ = archive
    counts = []
    made = {a.slug: a for a in map(gen.make_article, range(N))}
    for meta, body, _ in sitegen_articles(out).values():
        words = len(re.findall(r"\w+", LINK_TARGET.sub("]", body)))
        assert words == made[meta["slug"]].words                         # the count it reports is exact
        assert gen.MIN_WORDS <= words <= gen.MAX_WORDS
        counts.append(words)
        assert 1 <= len(re.findall(r"^## \S", body, re.M)) <= 3
        assert 1 <= len(LINK_TARGET.findall(body)) <= 4
        assert re.search(r"(?<!\*)\*[^*\s][^*]*\*(?!\*)", body)        # emphasis
        assert re.search(r"\*\*[^*\s][^*]*\*\*", body)                 # bold
        assert len(re.findall(r"^> \S", body, re.M)) == 1
    assert max(counts) - min(counts) > 200                              # lengths vary


def test_topic_vocabulary_is_shared_within_a_topic(archive):
    out, _ = archive
    truth = json.loads((out / "topics.json").read_text(encoding="utf-8"))
    words = {t: {w for w in v["vocabulary"] if " " not in w} for t, v in truth["topics"].items()}
    for slug, (meta, body, _) in sitegen_articles(out).items():
        counts = Counter(re.findall(r"[a-z]+", body.lower()))
        share = {t: sum(counts[w] for w in vocab) for t, vocab in words.items()}
        topic = truth["articles"][slug]
        assert share[topic] > 0.1 * sum(counts.values())              # about a quarter of the words
        assert share[topic] > 3 * max(v for t, v in share.items() if t != topic), slug


def test_topics_file_covers_every_article(archive):
    out, counts = archive
    truth = json.loads((out / "topics.json").read_text(encoding="utf-8"))
    assert (truth["seed"], truth["n"]) == (1, N)
    articles = sitegen_articles(out)
    assert list(truth["articles"]) == list(dict.fromkeys(truth["articles"]))
    assert set(truth["articles"]) == set(articles)
    assert len(truth["topics"]) == 60 and len(truth["sections"]) == 12
    for slug, topic in truth["articles"].items():
        assert truth["topics"][topic]["section"] == articles[slug][0]["section"]
    assert all(len(t["vocabulary"]) == 40 for t in truth["topics"].values())
    assert counts["topics"] == len(set(truth["articles"].values()))


@needs_peers
def test_pelican_and_hugo_hold_the_same_articles(archive):
    out, _ = archive
    sitegen = {slug: (m["title"], m["date"], m["section"], m["tags"], m["authors"], m["source"], m["summary"], body)
               for slug, (m, body, _) in sitegen_articles(out).items()}
    hugo, pelican = {}, {}
    for path in sorted((out / "hugo" / "content" / "articles").rglob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        assert list(meta) == HUGO_KEYS
        assert path.parent.name == f"{meta['date']:%Y}" and path.stem == meta["slug"]
        assert len(meta["categories"]) == 1
        hugo[meta["slug"]] = (meta["title"], meta["date"], meta["categories"][0], meta["tags"], meta["authors"],
                              meta["source"], meta["summary"], body)
    for path in sorted((out / "pelican" / "content").rglob("*.md")):
        headers, body = pelican_headers(path.read_text(encoding="utf-8"))
        assert list(headers) == PELICAN_KEYS
        assert RFC3339.match(headers["Date"]) and path.parent.name == headers["Date"][:4]
        pelican[headers["Slug"]] = (headers["Title"], dt.datetime.fromisoformat(headers["Date"]), headers["Category"],
                                    headers["Tags"].split(", "), headers["Authors"].split(", "), headers["Source"],
                                    headers["Summary"], "\n" + body)
    assert hugo == sitegen
    assert pelican == sitegen


@needs_peers
def test_hugo_has_an_archive_stub_for_every_year_and_month(archive):
    out, _ = archive
    periods = set()
    for meta, _, _ in sitegen_articles(out).values():
        periods |= {f"{meta['date']:%Y}", f"{meta['date']:%Y-%m}"}
    stubs = {}
    for path in (out / "hugo" / "content" / "archive").rglob("_index.md"):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        assert list(meta) == ["title", "archive_key"] and body == ""
        assert path.parent.relative_to(out / "hugo" / "content" / "archive").as_posix().replace("/", "-") \
            == meta["archive_key"]
        stubs[meta["archive_key"]] = meta["title"]
    assert set(stubs) == periods
    for key, title in stubs.items():
        assert title == key if len(key) == 4 else re.fullmatch(rf"[A-Z][a-z]+ {key[:4]}", title)


@needs_peers
def test_peer_configurations_are_copied(archive):
    out, counts = archive
    for rel in ("pelicanconf.py", "plugins/bench_localtime.py", "templates/article.html"):
        assert (out / "pelican" / rel).read_bytes() == (PEERS / "pelican" / rel).read_bytes()
    for rel in ("hugo.toml", "layouts/page.html", "layouts/archive/section.html"):
        assert (out / "hugo" / rel).read_bytes() == (PEERS / "hugo" / rel).read_bytes()
    assert counts["files"]["sitegen"] == N + 1                  # the articles and sitegen.yaml


def test_missing_peers_fail_clearly_only_for_peer_formats(tmp_path, capsys):
    nowhere = tmp_path / "no-peers"
    with pytest.raises(gen.GenerateError, match="--peers"):
        gen.generate(3, tmp_path / "a", formats=("hugo",), peers=nowhere)
    assert not (tmp_path / "a" / "hugo").exists()
    assert gen.generate(3, tmp_path / "b", formats=("sitegen",), peers=nowhere)["articles"] == 3
    assert gen.main(["3", str(tmp_path / "c"), "--format", "pelican", "--peers", str(nowhere)]) == 2
    assert "pelican" in capsys.readouterr().err


def test_a_folder_it_did_not_make_is_never_replaced(tmp_path):
    (tmp_path / "sitegen").mkdir()
    (tmp_path / "sitegen" / "notes.txt").write_text("mine")
    with pytest.raises(gen.GenerateError, match="not made by"):
        gen.generate(3, tmp_path)
    assert (tmp_path / "sitegen" / "notes.txt").read_text() == "mine"
    gen.generate(5, tmp_path / "out")
    gen.generate(3, tmp_path / "out")                          # its own output is replaced whole
    assert len(list((tmp_path / "out" / "sitegen" / "content").rglob("*.md"))) == 3


def test_sitegen_builds_the_archive_without_errors(tmp_path):
    n = 20                                                      # a build costs ~35 ms per article
    gen.generate(n, tmp_path, seed=1)
    run = subprocess.run([sys.executable, "-m", "sitegen", "build", str(tmp_path / "sitegen"),
                          "-o", str(tmp_path / "sitegen" / "public")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(rf"^{n} articles, \d+ pages, 0 warnings, 0 errors", run.stdout, re.M), run.stdout
    assert (tmp_path / "sitegen" / "public" / "index.html").is_file()
