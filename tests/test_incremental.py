"""Rebuilds render only pages whose inputs changed and write only files whose bytes changed,
and still give exactly what a cold build of the same input gives."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import sitegen
import sitegen.write as write_module
from conftest import article_md, drop_a_ctrl_c, write_files
from sitegen.build import StrictFailure, build
from sitegen.render import TemplateFailure

CONFIG = "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, modification time) of every file: what changes when a file is written again."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def root(site):
    files = {"sitegen.yaml": CONFIG}
    for i in range(8):
        files[f"content/2024/0{1 + i % 3}/s{i}.md"] = article_md(
            f"Story number {i}", f"2024-0{1 + i % 3}-1{i}T10:00:00Z", ["World", "Business"][i % 2],
            body=f"Topic {i % 4} words for the story, day {i}. " * 10, tags=f"[topic-{i % 4}]")
    return site(files)


def rebuild(root: Path, tmp: Path, **options) -> tuple[dict, dict, set[str]]:
    """Warm build into tmp/out (after an earlier one) and cold build of the same input into a new
    folder: (warm tree, cold tree, files the warm build wrote or removed)."""
    out = tmp / "out"
    before, before_bytes = stamps(out), tree(out)
    result = build(root, out, **options)
    cold = tmp / f"cold-{len(list(tmp.iterdir()))}"
    build(root, cold, cache=False, **options)
    after = stamps(out)
    touched = {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    now_bytes = tree(out)
    differing = {rel for rel in before_bytes.keys() | now_bytes.keys() if before_bytes.get(rel) != now_bytes.get(rel)}
    assert touched == differing, "a file was rewritten with the same bytes, or changed without being written"
    assert result.changed + result.removed == len(touched)
    return tree(out), tree(cold), touched


def test_a_rebuild_with_no_change_renders_and_writes_nothing(root, tmp_path):
    first = build(root, tmp_path / "out")
    assert first.changed == first.files
    before = stamps(tmp_path / "out")
    again = build(root, tmp_path / "out")
    assert stamps(tmp_path / "out") == before
    assert (again.changed, again.removed) == (0, 0)
    assert again.rendered == 0  # feeds and sitemaps too: their keys are the same


def stages(result) -> list[str]:
    return [stage for stage, _ in result.timings]


@pytest.fixture
def no_shortcut(monkeypatch):
    """Builds never take the shortcut for unchanged inputs: they plan and key every page."""
    import sitegen.build as build_module

    monkeypatch.setattr(build_module, "unchanged", lambda *args, **kwargs: None)
    monkeypatch.setattr(build_module, "_same_again", lambda *args, **kwargs: None)


def test_page_keys_alone_leave_every_page_of_an_unchanged_site_unrendered(root, tmp_path, no_shortcut):
    build(root, tmp_path / "out")
    before = stamps(tmp_path / "out")
    again = build(root, tmp_path / "out")
    assert "unchanged" not in stages(again) and "pages" in stages(again)
    assert stamps(tmp_path / "out") == before
    assert (again.changed, again.removed, again.rendered) == (0, 0, 0)


def test_the_same_inputs_again_check_the_output_and_report_the_last_build_again(site, tmp_path):
    """Nothing read has changed and every file is as written: no indexes, plan or page keys, and
    the result (counts, the warnings of the later stages) is the last build's."""
    root = site({"sitegen.yaml": CONFIG,
                 "content/a.md": article_md("Alpha", "2024-01-02T10:00:00Z", related="[no-such-story]"),
                 "content/b.md": article_md("Beta", "2024-01-03T10:00:00Z", tags="[harbour]"),
                 "content/c.md": article_md("Later", "2031-01-01T10:00:00Z"),  # after build_time: held back
                 "content/broken.md": "---\ntitle: [unclosed\n---\n"})
    out = tmp_path / "out"
    first = build(root, out)
    before = stamps(out)
    again = build(root, out)
    assert stages(again) == ["load", "unchanged"]
    assert stamps(out) == before
    assert [d.message for d in first.diagnostics if "related article not found" in d.message]
    for field in ("articles", "pages", "files", "drafts_skipped", "diagnostics", "held_back", "next_change",
                  "written"):
        assert getattr(again, field) == getattr(first, field), field
    assert (again.changed, again.removed, again.rendered) == (0, 0, 0)
    with pytest.raises(StrictFailure) as refused:  # the broken file is an error, as it was
        build(root, out, strict=True)
    assert refused.value.result.diagnostics == first.diagnostics and not refused.value.result.written
    assert stamps(out) == before



def test_a_build_reads_the_manifest_of_its_output_once(root, tmp_path, monkeypatch):
    """A build with new inputs finds so from the digest at the head of the manifest and reads the
    entries once, where it writes; a build with the same inputs reads them once, to check the files."""
    import sitegen.cache as cache_module

    monkeypatch.setattr(cache_module, "SETTLED_NS", 10 ** 18)  # (no file settled: no build knows it unchanged early, see nochange)
    reads = []
    real = write_module.Manifest.read
    monkeypatch.setattr(write_module.Manifest, "read", staticmethod(lambda *args: reads.append(1) or real(*args)))
    out = tmp_path / "out"
    build(root, out)
    reads.clear()
    write_files(root, {"content/2024/01/s0.md": article_md("Story number zero, edited", "2024-01-10T10:00:00Z")})
    edited = build(root, out)
    assert "pages" in stages(edited) and len(reads) == 1
    reads.clear()
    again = build(root, out)
    assert stages(again) == ["load", "unchanged"] and len(reads) == 1
    [manifest] = (root / ".sitegen-cache").glob("output-*.pickle")
    assert write_module.Manifest.read_inputs(manifest, out) == real(manifest, out).inputs[0]
    assert write_module.Manifest.read_inputs(manifest, tmp_path / "elsewhere") is None


def test_the_manifest_is_saved_as_columns_and_read_back_whole(root, tmp_path):
    out = tmp_path / "out"
    build(root, out)
    [path] = (root / ".sitegen-cache").glob("output-*.pickle")
    manifest = write_module.Manifest.read(path, out)
    assert len(manifest.entries) > 20
    again = pickle.loads(pickle.dumps(manifest))
    assert again == manifest and list(again.entries) == list(manifest.entries)
    assert {type(e) for e in again.entries.values()} == {write_module.Entry}
    deps = [e.deps for e in manifest.entries.values()]
    assert b"" in deps and None in deps and any(deps)  # a page made of no article, a copied file, an article's page
    assert again.record == manifest.record and len(manifest.record) == 8
    groups = manifest.record[-1]  # every list pages show: the home page's, the dates', each term's and period's
    assert {"home", "dates", "all", "stories"} <= groups.keys() and any(name.startswith("term:tag:") for name in groups)
    assert any(name.startswith("month:") for name in groups) and all(len(d) == 16 for d in groups.values())
    from array import array

    def columns(digests: bytes, deps_sizes: list[int], key_sizes: list[int] = (-1, -1)) -> tuple:
        return (str(out), "a\0b", array("i", key_sizes), b"", digests, array("q", [1, 2]), array("q", [3, 4]),
                False, None, array("i", deps_sizes), b"", None)

    assert list(write_module._manifest(*columns(b"x" * 32, [-1, 0])).entries) == ["a", "b"]
    with pytest.raises(ValueError):  # columns of different lengths are no manifest
        write_module._manifest(*columns(b"x" * 16, [-1, -1]))
    with pytest.raises(ValueError):  # nor deps that are not the sum of their sizes
        write_module._manifest(*columns(b"x" * 32, [4, -1]))
    with pytest.raises(ValueError):  # nor keys
        write_module._manifest(*columns(b"x" * 32, [-1, -1], [3, -1]))
    assert write_module.Manifest.read(path, out) == manifest


def test_a_manifest_that_fails_to_save_leaves_the_last_one_and_no_temporary_file(root, tmp_path):
    out = tmp_path / "out"
    build(root, out)
    [path] = (root / ".sitegen-cache").glob("output-*.pickle")
    before = path.read_bytes()
    manifest = write_module.Manifest.read(path, out)
    manifest.record = lambda: None  # (a function cannot be pickled: the save fails part-way)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        manifest.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # (the Ctrl-C Python drops)
def test_a_build_after_an_interrupted_one_in_the_same_process_still_writes_the_body_store(root, tmp_path, monkeypatch):
    """An interrupted build ends the body store's read transaction: one left open (its connection
    alive in a cycle) locked the next build of the same process (serve's, a test's) out of the store."""
    import sitegen.build as build_module
    from sitegen.cli import main

    out = tmp_path / "out"
    build(root, out)
    plan = build_module.plan_gathered

    def interrupted(*args, **kwargs):  # a Ctrl-C dropped by Python as the plan starts
        drop_a_ctrl_c()
        return plan(*args, **kwargs)

    write_files(root, {"content/2024/01/s0.md": article_md("Story number 0", "2024-01-10T10:00:00Z", body="New words. " * 10)})
    monkeypatch.setattr(build_module, "plan_gathered", interrupted)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["build", str(root), "-o", str(out), "-q"]) == 130
    finally:
        signal.signal(signal.SIGINT, before)
    monkeypatch.setattr(build_module, "plan_gathered", plan)
    write_files(root, {"content/2024/01/s1.md": article_md("Story number 1", "2024-01-11T10:00:00Z", body="Other words. " * 10)})
    assert build(root, out).written  # (no "database is locked")
    assert "New words." in (out / "2024/01/10/story-number-0/index.html").read_text()


def test_a_build_that_finds_nothing_changed_imports_no_markdown_or_template_engine(root, tmp_path):
    """Parsing and rendering libraries are imported where they are first used: a no-change build
    starts faster without them (about 80 ms), and one with something to do still has them."""
    import json
    import subprocess
    import sys

    out = tmp_path / "out"
    build(root, out)
    probe = ("import json, sys; from sitegen.cli import main; code = main(['build', sys.argv[1], '-o', sys.argv[2], "
             "'-q']); print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules} & "
             "{'jinja2', 'markdown_it', 'markdown_it_pyrs', 'mdit_py_plugins'})]))")

    def run() -> list:
        done = subprocess.run([sys.executable, "-c", probe, str(root), str(out)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert run() == [0, []]
    write_files(root, {"content/2024/01/s0.md": article_md("Story number zero, edited", "2024-01-10T10:00:00Z")})
    code, imported = run()
    assert code == 0 and "jinja2" in imported and {"markdown_it", "markdown_it_pyrs"} & set(imported)

def rewritten_keeping_times(path: Path, text: str) -> None:
    """``text`` (as long as what is there) written over ``path``, its modification time put back (as
    ``cp -p`` or ``rsync -t`` leave it): only its change time tells."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.fixture(params=["fresh", "settled"])
def gathers(request, monkeypatch) -> list[int]:
    """With "settled", every file counts as settled (its stamp trusted): a build that finds nothing
    changed knows it from the record of the last (see nochange) without loading an article; with
    "fresh", none does. The list holds one item for each time a build loaded the articles."""
    import sitegen.build as build_module
    import sitegen.cache as cache_module

    monkeypatch.setattr(cache_module, "SETTLED_NS", 0 if request.param == "settled" else 10 ** 18)  # (or none is)
    calls: list[int] = []
    real = build_module.gather
    monkeypatch.setattr(build_module, "gather", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    calls.append(0) if request.param == "settled" else None
    return calls


def quick(gathers: list[int]) -> bool:
    return bool(gathers) and gathers[0] == 0


def test_every_kind_of_input_makes_a_rebuild_plan_again(root, tmp_path, monkeypatch, gathers):
    """Each thing a build reads is in the digest that lets a rebuild skip planning: a change to
    any one of them (even one that leaves every page's bytes as they were) plans and keys again,
    and gives what a cold build gives. With settled files, a build with no change loads no article."""
    import sitegen.build as build_module

    out = tmp_path / "out"
    steps = [
        ("body", {}, lambda: write_files(root, {"content/2024/01/s0.md": article_md(
            "Story number 0", "2024-01-10T10:00:00Z", "World", body="Another body.", tags="[topic-0]")})),
        ("rename", {}, lambda: (root / "content/2024/01/s0.md").rename(root / "content/2024/01/renamed.md")),
        ("asset", {}, lambda: write_files(root, {"content/2024/01/photo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})),
        ("static", {}, lambda: write_files(root, {"static/extra.txt": "hello\n"})),
        ("static edit", {}, lambda: write_files(root, {"static/extra.txt": "hello again\n"})),
        ("static put back with its size and time", {}, lambda: rewritten_keeping_times(root / "static/extra.txt",
                                                                                      "HELLO AGAIN\n")),
        ("template", {}, lambda: write_files(root, {"templates/partials/byline.html": "<p>by the desk</p>\n"})),
        ("template whitespace", {}, lambda: write_files(root, {"templates/partials/byline.html": "<p>by the desk</p>\n\n"})),
        ("messages", {}, lambda: write_files(root, {"i18n/en.yaml": '"Latest articles": "Newest"\n'})),
        ("config", {}, lambda: write_files(root, {"sitegen.yaml": CONFIG + "title: The Harbour Times\n"})),
        ("code", {}, lambda: monkeypatch.setattr(build_module, "_CODE", [b"another sitegen"])),
        ("drafts", {"drafts": True}, lambda: None),
        ("future", {"future": True}, lambda: None),
        ("base url", {"base_url": "https://example.org/news/"}, lambda: None),
        ("plain asset names", {"fingerprint_assets": False}, lambda: None),
    ]
    build(root, out)
    for k, (name, options, change) in enumerate(steps):
        change()
        assert "unchanged" not in stages(build(root, out, **options)), name
        build(root, tmp_path / f"cold-{k}", cache=False, **options)
        assert tree(out) == tree(tmp_path / f"cold-{k}"), name
        loaded = len(gathers)
        assert stages(build(root, out, **options))[-1] == "unchanged", name  # nothing more changed: nothing planned
        assert len(gathers) == loaded + (0 if quick(gathers) else 1), name


def test_an_article_coming_out_on_the_clock_makes_a_rebuild_plan_again(site, tmp_path, monkeypatch, gathers):
    """With no build time set, "now" is the clock: the same files give another site once an
    article's publication time has passed (and before, the same site, found without loading an
    article when the files are settled)."""
    import sitegen.build as build_module
    from datetime import datetime, timezone

    root = site({"sitegen.yaml": "search: false\n",
                 # updated after Beta comes out: the build time (the newest date) is the same before and after
                 "content/a.md": article_md("Alpha", "2024-01-02T10:00:00Z", updated="2024-06-01T10:00:00Z"),
                 "content/b.md": article_md("Beta", "2024-03-01T10:00:00Z")})

    def clock_at(moment: datetime) -> None:
        monkeypatch.setattr(build_module, "datetime", type("Clock", (datetime,), {
            "now": classmethod(lambda cls, tz=None: moment)}))

    clock_at(datetime(2024, 2, 1, tzinfo=timezone.utc))
    out = tmp_path / "out"
    first = build(root, out)
    assert first.held_back == 1 and first.articles == 1
    loaded = len(gathers)
    assert stages(build(root, out))[-1] == "unchanged"
    clock_at(datetime(2024, 2, 29, 23, tzinfo=timezone.utc))  # (still before Beta's time)
    again = build(root, out)
    assert stages(again)[-1] == "unchanged" and (again.held_back, again.articles) == (1, 1)
    assert len(gathers) == loaded + (0 if quick(gathers) else 2)
    clock_at(datetime(2024, 1, 20, tzinfo=timezone.utc))  # a clock set back, before the record's moment: the same site
    assert stages(build(root, out))[-1] == "unchanged" and len(gathers) == loaded + (1 if quick(gathers) else 3)
    clock_at(datetime(2024, 3, 2, tzinfo=timezone.utc))
    later = build(root, out)
    assert "unchanged" not in stages(later)
    assert (later.held_back, later.articles) == (0, 2)
    assert (out / "2024/03/01/beta/index.html").is_file()


def test_page_keys_are_the_same_when_the_digests_kept_are_dropped_at_every_new_one(root, tmp_path, monkeypatch,
                                                                                   no_shortcut):
    """Each process keeps the digests of the articles, terms and stories it has keyed up to a
    bound, then drops them: made again, they are the same, so no page is rendered again."""
    import sitegen.pagekeys as pagekeys

    build(root, tmp_path / "out")
    monkeypatch.setattr(pagekeys, "SHARED_KEPT", 1)
    assert build(root, tmp_path / "out").rendered == 0


def test_each_kind_of_change_gives_the_cold_build_and_writes_only_what_differs(root, tmp_path):
    build(root, tmp_path / "out")
    steps = [
        ("edit a body", lambda: write_files(root, {"content/2024/01/s0.md": article_md(
            "Story number 0", "2024-01-10T10:00:00Z", "World", body="A new body.", tags="[topic-0]")})),
        ("retitle", lambda: write_files(root, {"content/2024/02/s1.md": article_md(
            "Story number one, retitled", "2024-02-11T10:00:00Z", "Business",
            body="Topic 1 words for the story, day 1. " * 10, tags="[topic-1]")})),
        ("add", lambda: write_files(root, {"content/2024/02/new.md": article_md("A new story", "2024-02-20")})),
        ("rename a file", lambda: (root / "content/2024/02/new.md").rename(root / "content/2024/02/renamed.md")),
        ("delete", lambda: (root / "content/2024/03/s2.md").unlink()),
        ("static file", lambda: write_files(root, {"static/extra.txt": "hello\n"})),
        ("template", lambda: write_files(root, {"templates/partials/byline.html": "<p class=\"byline\">by the desk</p>\n"})),
        ("config", lambda: write_files(root, {"sitegen.yaml": CONFIG + "title: The Harbour Times\n"})),
        ("remove static", lambda: (root / "static/extra.txt").unlink()),
    ]
    for name, change in steps:
        change()
        warm, cold, touched = rebuild(root, tmp_path)
        assert warm == cold, name
        # a renamed file keeps its URL (made from its title): rendered again, same bytes, not written
        assert bool(touched) == (name != "rename a file"), name
        if name == "edit a body":
            # its own page changed; most pages (other months, other sections...) were not touched
            assert "2024/01/10/story-number-0/index.html" in touched
            assert "2024/03/index.html" not in touched and len(touched) < len(warm) // 2
        if name == "delete":
            assert "2024/03/12/story-number-2/index.html" not in warm
            assert not (tmp_path / "out/2024/03/12/story-number-2").exists()  # its folder went too
        if name == "config":
            assert len(touched) > len(warm) // 2  # the title is on every page


def test_a_feed_is_made_again_when_a_category_name_changes_elsewhere_in_the_archive(site, tmp_path):
    """A feed entry shows each tag by the spelling most articles use: one that only older
    articles (not in the feed) change still changes the feed, though none of its entries changed."""
    import feedparser

    def files(spelling: str) -> dict[str, str]:
        return {"sitegen.yaml": CONFIG + "feeds:\n  entries: 1\n",
                "content/new.md": article_md("The newest", "2024-03-01", tags="[Harbour News]"),
                **{f"content/old{i}.md": article_md(f"Older {i}", f"2024-01-0{i + 1}", tags=f"[{spelling}]")
                   for i in range(2)}}

    root = site(files("Harbour News"))
    out = tmp_path / "out"
    build(root, out)
    [entry] = feedparser.parse((out / "feed.xml").read_bytes()).entries
    assert entry.title == "The newest" and "Harbour News" in [t.term for t in entry.tags]
    write_files(root, files("harbour news"))  # now the most used spelling
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert {"feed.xml", "rss.xml", "feed.json"} <= touched
    [entry] = feedparser.parse((tmp_path / "out/feed.xml").read_bytes()).entries
    assert "harbour news" in [t.term for t in entry.tags]


def test_a_hand_edited_or_deleted_output_file_is_made_again(root, tmp_path):
    out = tmp_path / "out"
    build(root, out)
    good = tree(out)
    (out / "index.html").write_text("vandalised", encoding="utf-8")
    (out / "2024/01/10/story-number-0/index.html").unlink()
    result = build(root, out)
    assert tree(out) == good
    assert result.changed == 2


def test_an_update_in_place_stages_files_by_flat_names_that_cannot_collide(root, tmp_path):
    """Changed files wait in the stage by one flat name each ("/" and "%" escaped, a digest for a
    long path): names that a naive escaping would mix up, a path too long to flatten, and a file
    in a folder that is new all land where they belong, and the stage is gone after."""
    deep = "/".join(["a-rather-long-folder-name-for-a-deep-asset-path"] * 6) + "/x.txt"
    names = ["static/a%2Fb.txt", "static/a/b.txt", "static/a%252Fb.txt", f"static/{deep}", "static/n.txt"]
    (root / "static" / "a").mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"first {name}", encoding="utf-8")
    build(root, tmp_path / "out")
    for name in names:
        (root / name).write_text(f"second {name}", encoding="utf-8")
    (root / "static/new-folder").mkdir()
    (root / "static/new-folder/file.txt").write_text("new", encoding="utf-8")
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert touched == {name.removeprefix("static/") for name in names} | {"new-folder/file.txt"}
    assert warm["a%2Fb.txt"] == b"second static/a%2Fb.txt" and warm["a/b.txt"] == b"second static/a/b.txt"
    assert warm[deep] == f"second static/{deep}".encode()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".new")]  # no stage left behind


def test_a_forked_check_finds_the_output_files_not_as_written(root, tmp_path):
    from sitegen.build import manifest_name
    from sitegen.cache import CACHE_DIR
    from sitegen.write import IntactCheck, written_as

    out = tmp_path / "out"
    build(root, out)
    manifest = root / CACHE_DIR / manifest_name(out)
    (out / "index.html").write_text("vandalised", encoding="utf-8")
    (out / "2024/01/10/story-number-0/index.html").unlink()
    os.utime(out / "feed.xml", ns=(1, 1))  # same bytes, another time: not vouched for either
    check = IntactCheck(out, manifest)
    broken = check.broken(manifest)
    assert broken == {"index.html", "2024/01/10/story-number-0/index.html", "feed.xml"}
    assert check.broken(manifest) == broken  # asked again: the same finding, the child long gone
    entries = write_module.Manifest.read(manifest, out).entries
    assert written_as(out, entries, entries, check, manifest) == written_as(out, entries, entries)  # stat by stat
    # a manifest written since the fork: the finding is of another one
    check = IntactCheck(out, manifest)
    build(root, out)
    assert check.broken(manifest) is None
    # what an interrupted swap left beside the output: recover() moves things first, so no finding
    (tmp_path / ".sitegen-out.1234").mkdir()
    assert IntactCheck(out, manifest).broken(manifest) is None
    # no manifest: no child at all
    assert IntactCheck(out, tmp_path / "none.pickle").broken(tmp_path / "none.pickle") is None


def test_a_rebuild_takes_the_content_listing_and_the_output_check_from_one_child(root, tmp_path, monkeypatch):
    import sitegen.build as build_module
    from sitegen.forked import Forked
    from sitegen.write import IntactCheck

    def edit(body: str) -> None:  # (a summary of its own: the body alone changes, so the plan can be narrow)
        write_files(root, {"content/2024/01/s0.md": article_md(
            "Story number 0", "2024-01-10T10:00:00Z", "World", body=body, tags="[topic-0]", summary="The same.")})

    out = tmp_path / "out"
    edit("Topic 0 words for the story, day 0, and one more sentence. " * 10)
    build(root, out)
    seen: dict[str, object] = {}
    forked, real_load, real_broken = Forked.__init__, build_module.load, IntactCheck.broken

    def counted(self, *args, **kwargs):
        seen["children"] = seen.get("children", 0) + 1
        forked(self, *args, **kwargs)

    def load(*args, looked=None, **kwargs):
        seen["looked"] = looked
        return real_load(*args, looked=looked, **kwargs)

    def broken(self, manifest):
        seen["broken"] = found = real_broken(self, manifest)
        return found

    monkeypatch.setattr(Forked, "__init__", counted)
    monkeypatch.setattr(build_module, "load", load)
    monkeypatch.setattr(IntactCheck, "broken", broken)
    (out / "index.html").write_text("vandalised", encoding="utf-8")
    edit("Topic 0 words for the story, day 0, and another sentence. " * 10)
    page = root / "content/2024/01/s0.md"
    build(root, out)
    monkeypatch.undo()
    files, stamps = seen["looked"]
    assert sorted(path for _, path in files) == sorted(str(p) for p in (root / "content").rglob("*") if p.is_file())
    assert stamps[[path for _, path in files].index(str(page))][0] == page.stat().st_size
    assert seen["broken"] == {"index.html"}  # the child's finding, not the parent's stat of each file
    assert seen["children"] == 1
    build(root, tmp_path / "cold", cache=False)
    assert tree(out) == tree(tmp_path / "cold")


def test_a_forked_check_never_asked_is_reaped(root, tmp_path):
    import gc

    from sitegen.build import manifest_name
    from sitegen.cache import CACHE_DIR
    from sitegen.write import IntactCheck

    out = tmp_path / "out"
    build(root, out)
    check = IntactCheck(out, root / CACHE_DIR / manifest_name(out))
    pid = check._child[0]._pid
    assert pid is not None
    del check  # (a build that raised before asking)
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # waited for already: no zombie


def test_compiled_templates_are_kept_and_a_changed_template_is_compiled_again(root, tmp_path):
    from lxml import html

    out = tmp_path / "out"
    write_files(root, {"templates/partials/byline.html": "<p class=\"byline\">by the desk</p>\n"})
    build(root, out)
    kept = list((root / ".sitegen-cache").glob("templates-*/*.cache"))
    assert len(kept) > 5  # the pages' templates and the partials they include
    write_files(root, {"templates/partials/byline.html": "<p class=\"byline\">by the night desk</p>\n"})
    build(root, out)
    page = html.parse(str(out / "2024/01/10/story-number-0/index.html"))
    assert [p.text for p in page.xpath("//p[@class='byline']")] == ["by the night desk"]
    build(root, tmp_path / "cold", cache=False)
    assert tree(out) == tree(tmp_path / "cold")
    (root / ".sitegen-cache" / "templates-0000").mkdir()  # made by another version of sitegen: removed
    shutil.rmtree(kept[0].parent)
    write_files(root, {"templates/partials/byline.html": "<p class=\"byline\">by the day desk</p>\n"})
    build(root, out)
    assert [p.name for p in (root / ".sitegen-cache").glob("templates-*")] == [kept[0].parent.name]


def test_a_template_error_in_a_rebuild_leaves_the_output_as_it_was(root, tmp_path):
    out = tmp_path / "out"
    build(root, out)
    before = stamps(out)
    write_files(root, {"content/2024/01/s0.md": article_md("Story number 0", "2024-01-10T10:00:00Z", body="Edited."),
                       "templates/partials/byline.html": "{{ no_such_thing }}\n"})
    with pytest.raises(TemplateFailure):
        build(root, out)
    assert stamps(out) == before
    (root / "templates/partials/byline.html").unlink()
    warm, cold, _ = rebuild(root, tmp_path)
    assert warm == cold


def test_rendering_in_several_processes_gives_what_one_process_gives(site, tmp_path, monkeypatch):
    files = {"sitegen.yaml": CONFIG}
    for i in range(40):
        files[f"content/{i:02d}.md"] = article_md(f"Parallel story {i}", f"2023-0{1 + i % 9}-{1 + i % 28:02d}",
                                                 ["World", "Sport", "Arts"][i % 3], body=f"Words {i % 5}. " * 20)
    root = site(files)
    monkeypatch.setattr(write_module, "PARALLEL_FROM", 10)
    one = build(root, tmp_path / "one", jobs=1)
    build(root, tmp_path / "two", jobs=2)
    assert one.pages > 10 and tree(tmp_path / "one") == tree(tmp_path / "two")
    write_files(root, {"content/07.md": article_md("Parallel story 7", "2023-08-08", "Sport", body="Edited.")})
    warm = build(root, tmp_path / "two", jobs=2)
    assert 0 < warm.changed < warm.files
    build(root, tmp_path / "cold", jobs=1, cache=False)
    assert tree(tmp_path / "two") == tree(tmp_path / "cold")
    # a template error in a worker process is the build's error, with its template line
    write_files(root, {"templates/partials/byline.html": "ok\n{{ missing_value }}\n"})
    with pytest.raises(TemplateFailure) as failure:
        build(root, tmp_path / "two", jobs=2)
    assert str(failure.value.diagnostic).startswith("templates/partials/byline.html:2: error: UndefinedError")


def test_the_parent_renders_a_share_beside_jobs_minus_one_workers(tmp_path):
    """Each forked worker ends up copying much of the parent's heap, so the parent renders too
    instead of waiting: ``jobs`` processes render, one of them the parent."""
    log = tmp_path / "pids"

    def render(page: int) -> bytes:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
        return f"<p>page {page}</p>\n".encode()

    pages = list(range(2000))
    written = write_module.write_site(tmp_path / "out", pages, render, path_of=lambda page: f"{page}/index.html", jobs=3)
    assert written.files == 2000 and (tmp_path / "out/1999/index.html").read_bytes() == b"<p>page 1999</p>\n"
    renderers = set(log.read_text(encoding="utf-8").split())
    assert str(os.getpid()) in renderers and len(renderers) <= 3


def test_the_parent_renders_from_the_front_and_the_worker_from_the_back(tmp_path):
    """Article pages come first in the plan and listings last: the parent renders from the front and
    the worker from the back, so an article's listing row is rendered in one process, not in both."""
    log = tmp_path / "pids"

    def render(page: int) -> bytes:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()} {page}\n")
        return f"<p>page {page}</p>\n".encode()

    written = write_module.write_site(tmp_path / "out", list(range(3000)), render,
                                      path_of=lambda page: f"{page}/index.html", jobs=2)
    assert written.files == 3000
    by = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    pages = sorted(int(page) for _, page in by)
    assert pages == list(range(3000))  # each page once
    parent = sorted(int(page) for pid, page in by if pid == str(os.getpid()))
    worker = sorted(int(page) for pid, page in by if pid != str(os.getpid()))
    assert parent and worker and parent == list(range(len(parent))) and worker[0] == len(parent)


def test_search_is_indexed_again_only_when_pages_change(root, tmp_path):
    write_files(root, {"sitegen.yaml": CONFIG.replace("search: false", "search: true")})
    out = tmp_path / "out"
    build(root, out)
    bundle = {rel: stamp for rel, stamp in stamps(out).items() if rel.startswith("pagefind/")}
    assert bundle
    build(root, out)
    assert {rel: stamp for rel, stamp in stamps(out).items() if rel.startswith("pagefind/")} == bundle
    write_files(root, {"content/2024/01/s0.md": article_md("Story number 0", "2024-01-10T10:00:00Z",
                                                           body="Zebras crossed the harbour.")})
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert any(rel.startswith("pagefind/") for rel in touched)
    shutil.rmtree(out / "pagefind")  # removed by hand: made again, though no input changed
    again = build(root, out)
    assert "unchanged" not in stages(again)
    assert tree(out) == warm


def test_no_cache_builds_everything_and_a_later_rebuild_is_still_right(root, tmp_path):
    out = tmp_path / "out"
    build(root, out)
    build(root, out, cache=False)  # rewrites every file, and drops the manifest it would not update
    assert not list((root / ".sitegen-cache").glob("output-*.pickle"))
    write_files(root, {"content/2024/01/s0.md": article_md("Story number 0", "2024-01-10T10:00:00Z", body="Later.")})
    build(root, out)  # (a whole new folder: no manifest says what is there)
    build(root, tmp_path / "cold", cache=False)
    assert tree(out) == tree(tmp_path / "cold")
    assert os.listdir(root / ".sitegen-cache")
    warm, cold, _ = rebuild(root, tmp_path)  # and the build after writes only what changed again
    assert warm == cold


def test_a_page_only_a_no_cache_build_made_is_gone_after_the_next_build(root, tmp_path):
    """A --no-cache build replaces the whole output without a manifest, so the last manifest no
    longer says what is there: it is dropped, and the next build (which would have kept a page
    that only the --no-cache build made, a draft's here) writes a whole new folder."""
    write_files(root, {"content/2024/01/draft.md": article_md("Draft", "2024-01-20T10:00:00Z", draft="true")})
    out = tmp_path / "out"
    build(root, out)
    build(root, out, cache=False, drafts=True)
    assert (out / "2024/01/20/draft/index.html").is_file()
    build(root, out)
    build(root, tmp_path / "cold", cache=False)
    assert tree(out) == tree(tmp_path / "cold")


def test_manifests_of_output_folders_that_are_gone_are_pruned(root, tmp_path):
    import shutil

    from sitegen.build import manifest_name
    from sitegen.cache import CACHE_DIR

    cache = root / CACHE_DIR
    build(root, tmp_path / "a")
    build(root, tmp_path / "b")
    names = {manifest_name((tmp_path / "a").absolute()), manifest_name((tmp_path / "b").absolute())}
    assert {p.name for p in cache.glob("output-*.pickle")} == names
    (cache / "output-0000000000000000.pickle").write_bytes(b"not a manifest")
    shutil.rmtree(tmp_path / "a")
    before = stamps(tmp_path / "b")
    again = build(root, tmp_path / "b")
    assert {p.name for p in cache.glob("output-*.pickle")} == {manifest_name((tmp_path / "b").absolute())}
    # b's own manifest was kept and trusted: nothing written
    assert again.changed == 0 and stamps(tmp_path / "b") == before


def test_a_body_edit_takes_the_keys_of_the_pages_that_do_not_show_it_unread(root, tmp_path):
    """A build whose plan is made of the same things as the last one's but bodies (and related
    lists) takes the key of each page none of whose articles or lists changed as it was; the rest
    are keyed afresh, and the output is the cold build's."""
    def edit(body: str, title: str = "Story number 0") -> None:
        write_files(root, {"content/2024/01/s0.md": article_md(
            title, "2024-01-10T10:00:00Z", "World", body=body, tags="[topic-0]", summary="The same summary.")})

    edit("Topic 0 words for the story, day 0. " * 10)
    first = build(root, tmp_path / "out")
    assert first.reused == 0  # no record of an earlier build
    edit("Topic 0 words for the story, day 0, and one more sentence. " * 10)
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold and "2024/01/10/story-number-0/index.html" in touched
    again = build(root, tmp_path / "out")  # nothing changed: the shortcut, no keys at all
    assert again.rendered == 0
    def term_digest() -> bytes:  # the digest pages are keyed with for the tag (see pagekeys.prepare)
        [path] = (root / ".sitegen-cache").glob("output-*.pickle")
        return write_module.Manifest.read(path, tmp_path / "out").record[-1]["term:tag:topic-0"]

    before = term_digest()
    edit("Topic 0 words for the story, day 0, and another sentence. " * 10)
    result = build(root, tmp_path / "out")
    assert result.reused > 0 and result.rendered + result.reused <= len(warm)  # a page taken unread is not rendered
    assert term_digest() == before  # the edited article's page names its terms: their digests are as they were
    assert tree(tmp_path / "out") == cold_tree(root, tmp_path)
    edit("Topic 0 words for the story, day 0, and another sentence. " * 10, title="Story number 0, retitled")
    retitled = build(root, tmp_path / "out")
    # a title is on the article's listings and its neighbours' pages: those are keyed afresh, the rest taken
    assert retitled.reused > 0 and retitled.planned < len(warm)
    assert term_digest() != before  # and its terms' digests, which read the title
    assert tree(tmp_path / "out") == cold_tree(root, tmp_path)


def cold_tree(root: Path, tmp: Path) -> dict[str, bytes]:
    cold = tmp / f"cold-{len(list(tmp.iterdir()))}"
    build(root, cold, cache=False)
    return tree(cold)


def test_a_page_whose_related_list_changed_is_keyed_again_though_none_of_its_articles_changed(site, tmp_path):
    """An edit to one body can bring that article into another's related list, on a page that
    showed nothing of it before: the page read that list, so its key is made afresh."""
    import lxml.html

    words = {"ferry": "harbour ferry dock cranes shipping container port berth tide pilot",
             "orchard": "orchard apples harvest pickers cider blossom frost growers pears",
             "museum": "museum exhibition curator paintings gallery sculpture archive visitors",
             "glacier": "glacier summit avalanche climbers crevasse ridge alpine snowfield"}

    def files(last: str) -> dict[str, str]:
        made = {"sitegen.yaml": CONFIG}
        for i, (name, topic, section) in enumerate([("ferry", "ferry", "World"), ("orchard", "orchard", "Business"),
                                                    ("museum", "museum", "Business"), ("last", last, "Sport")]):
            made[f"content/{name}.md"] = article_md(f"The {name} story", f"2024-0{i + 1}-01T10:00:00Z", section,
                                                    body=(words[topic] + ". ") * 6 + f"Filed by the {name} desk.",
                                                    summary=f"About the {name}.")
        return made

    root = site(files("glacier"))
    out = tmp_path / "out"
    build(root, out)

    def related(folder: Path) -> list[str]:
        page = lxml.html.parse(str(folder / "2024/01/01/the-ferry-story/index.html")).getroot()
        return [a.text_content() for a in page.xpath("//a[@class='related-link']")]

    assert "The last story" not in related(out)
    write_files(root, {"content/last.md": files("ferry")["content/last.md"]})  # now about the ferry too
    result = build(root, out)
    assert result.reused > 0  # the basis was the same: the pages that read nothing changed were not keyed
    assert related(out) == ["The last story"]
    assert tree(out) == cold_tree(root, tmp_path)


@contextlib.contextmanager
def pages_rendered() -> Iterator[list[str]]:
    """The output paths of the pages rendered (in this process) while in the block."""
    from sitegen.render import Renderer

    made: list[str] = []
    render = Renderer.render

    def spy(self: Renderer, page) -> bytes:
        made.append(page.output)
        return render(self, page)

    Renderer.render = spy  # type: ignore[method-assign]
    try:
        yield made
    finally:
        Renderer.render = render  # type: ignore[method-assign]


def sections_site(site) -> Path:
    """Nine articles, five in World and four in Business, with no words or tags in common (no
    related lists, which an edit could change)."""
    files = {"sitegen.yaml": CONFIG}
    for i in range(9):
        files[f"content/s{i}.md"] = article(i, ["World", "Business"][i % 2])
    return site(files)


def article(i: int, section: str) -> str:
    return article_md(f"Story number {i}", f"2024-0{1 + i % 3}-1{i}T10:00:00Z", section, tags=f"[tag-{i}]",
                      body=" ".join(f"{word}{i}x" for word in ("alpha", "beta", "gamma", "delta", "omega")) + ".")


def test_a_page_that_shows_only_the_names_of_its_groups_is_not_rendered_when_their_members_change(site, tmp_path):
    """An article page of the default theme shows its section and tags by name: an article that
    moves to another section renders again only the pages whose bytes change (its own, its old
    and new neighbours in the sections, the listings), not every article page of the sections."""
    root = sections_site(site)
    out = tmp_path / "out"
    build(root, out, jobs=1)
    write_files(root, {"content/s1.md": article(1, "World")})  # (World still the larger: the navigation stays)
    with pages_rendered() as rendered:
        build(root, out, jobs=1)
    assert tree(out) == cold_tree(root, tmp_path)
    story = "2024/{}/story-number-{}/index.html".format
    assert {rel for rel in rendered if rel.startswith("2024/") and rel.count("/") == 4} == {
        story("02/11", 1),  # the article moved
        story("02/14", 4), story("01/16", 6),  # its neighbours in World
        story("01/13", 3), story("02/17", 7)}  # the articles it was between in Business
    # (World's other article pages, 0, 2 and 8, and Business's 5: not rendered)
    assert {"sections/world/index.html", "sections/business/index.html"} <= set(rendered)


@pytest.mark.parametrize("shows", [
    "{{ section_term.count }}",
    "{{ section_term['count'] }}",
    "{{ cached('partials/count.html', term=section_term) }}",
    "{{ [section_term]|map(attribute='articles')|map('length')|join }}",
    "{% macro n(t) %}{{ t.articles|length }}{% endmacro %}{{ n(section_term) }}",
], ids=["attribute", "item", "cached-partial", "filter-attribute", "macro"])
def test_a_page_that_shows_a_groups_count_is_rendered_again_when_its_members_change(site, tmp_path, shows):
    """However a template reads a section's members (an attribute, an item, a cached partial,
    a filter's ``attribute=``, a macro), its pages are keyed by them, so every page of the
    section shows the new count after an article joins it, moved from another section or added."""
    from sitegen.themes import template_folders

    root = sections_site(site)
    default = (template_folders(root)[-1] / "article.html").read_text(encoding="utf-8")
    marked = default.replace("{{ section_term.name }}</a>", "{{ section_term.name }}</a> <b class=count>" + shows + "</b>")
    assert marked != default
    write_files(root, {"templates/article.html": marked, "templates/partials/count.html": "{{ term.count }}"})
    build(root, tmp_path / "out")
    write_files(root, {"content/s1.md": article(1, "World")})
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert "2024/01/10/story-number-0/index.html" in touched  # not a neighbour of story 1, but the count changed
    write_files(root, {"content/s9.md": article(9, "World")})  # an added article (a narrow plan): the same
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert "2024/01/10/story-number-0/index.html" in touched


def test_a_body_edit_plans_only_the_pages_that_show_it(root, tmp_path):
    """The last build's plan stands when the basis is the same: a narrow plan makes only the pages
    whose kept key a changed body or list reads (and any whose file is gone); the other pages are
    carried over unread, and the output is the cold build's."""
    first = build(root, tmp_path / "out")
    assert first.planned > 40

    def edit(body: str) -> None:  # the same words, so the same related lists and stories (which are in the basis)
        write_files(root, {"content/2024/01/s0.md": article_md(
            "Story number 0", "2024-01-10T10:00:00Z", "World", body=body, tags="[topic-0]")})

    edit("*Topic* 0 words for the story, day 0. " * 10)
    (tmp_path / "out" / "2024/02/11/story-number-1/index.html").unlink()  # a page nothing changed, but gone
    warm, cold, touched = rebuild(root, tmp_path)
    assert warm == cold
    assert {"2024/01/10/story-number-0/index.html", "2024/02/11/story-number-1/index.html"} <= touched
    edit("**Topic** 0 words for the story, day 0. " * 10)
    result = build(root, tmp_path / "out")
    assert 0 < result.planned < first.planned / 2
    assert result.pages == first.pages and result.articles == first.articles
    assert result.planned + result.reused >= first.planned  # each page planned or carried with its key
    assert tree(tmp_path / "out") == cold_tree(root, tmp_path)


def test_a_narrow_plan_that_does_not_stand_gives_way_to_the_whole_plan(root, tmp_path):
    """A retitled article is planned narrowly (the pages that show its title); a change to what
    every page is made with (a template) makes another basis: the build plans again, whole."""
    first = build(root, tmp_path / "out")
    write_files(root, {"content/2024/01/s0.md": article_md(
        "Story number 0, retitled", "2024-01-10T10:00:00Z", "World", body="Topic 0 words for the story, day 0. " * 10,
        tags="[topic-0]")})
    result = build(root, tmp_path / "out")
    assert 0 < result.planned < first.planned and result.reused > 0
    assert tree(tmp_path / "out") == cold_tree(root, tmp_path)
    theme_404 = (Path(sitegen.__file__).parent.parent / "templates" / "404.html").read_text()
    write_files(root, {"templates/404.html": theme_404.replace("{% block content %}", "{% block content %}<p>Gone.</p>")})
    result = build(root, tmp_path / "out")
    assert result.planned == first.planned and result.reused == 0
    assert [stage for stage, _ in result.timings] == ["load", "indexes", "plan", "pages"]
    assert tree(tmp_path / "out") == cold_tree(root, tmp_path)


def test_the_problems_of_the_last_plan_stand_with_it(site, tmp_path):
    """A narrow plan finds no problem of its own: those of the whole plan it stands for (here an
    alias on the path of a page, and two articles on one path) are the last build's, and they
    are what a cold build reports."""
    files = {"sitegen.yaml": CONFIG,
             "content/a.md": article_md("Alpha", "2024-01-02T10:00:00Z", body="Harbour cranes. " * 20,
                                        aliases="[/archive/]"),
             "content/b.md": article_md("Beta", "2024-01-03T10:00:00Z", body="Harbour ferries. " * 20),
             "content/c.md": article_md("Gamma", "2024-01-04T10:00:00Z", body="Orchard apples. " * 20)}
    root = site(files)
    out = tmp_path / "out"
    first = build(root, out)
    problems = [d.message for d in first.diagnostics]
    assert any("alias '/archive/' is the path of the page /archive/" in p for p in problems), problems
    write_files(root, {"content/c.md": article_md("Gamma", "2024-01-04T10:00:00Z", body="*Orchard* apples. " * 20)})
    warm = build(root, out)
    assert warm.planned < first.planned
    cold = build(root, tmp_path / "cold", cache=False)
    assert warm.diagnostics == cold.diagnostics == first.diagnostics
    assert tree(out) == tree(tmp_path / "cold")


def test_a_page_on_the_path_of_an_article_stays_out_of_a_narrow_plan_as_of_the_whole(site, tmp_path):
    """Articles are planned first and keep their paths: the archive page on the path of an article
    (slugged 'archive') is left out, with an error. A narrow plan that wants that path makes the
    article's page, as the whole plan does, and the error is the last build's."""
    files = {"sitegen.yaml": CONFIG + "permalinks:\n  article: '/{slug}/'\n",
             "content/a.md": article_md("Archive", "2024-01-02T10:00:00Z", body="Harbour cranes. " * 20),
             "content/b.md": article_md("Beta", "2024-03-03T10:00:00Z", body="Harbour ferries. " * 20)}
    root = site(files)
    out = tmp_path / "out"
    first = build(root, out)
    assert any("output path archive/index.html is already written by" in d.message for d in first.diagnostics)
    write_files(root, {"content/a.md": article_md("Archive", "2024-01-02T10:00:00Z", body="*Harbour* cranes. " * 20)})
    warm = build(root, out)
    assert 0 < warm.planned < first.planned
    cold = build(root, tmp_path / "cold", cache=False)
    assert warm.diagnostics == cold.diagnostics == first.diagnostics
    assert tree(out) == tree(tmp_path / "cold")


def test_library_versions_are_found_as_importlib_metadata_finds_them(tmp_path, monkeypatch):
    """The versions in the inputs' digest are read from the distributions' folder names: the same
    as importlib.metadata gives, the first on sys.path winning, names compared normalized."""
    import importlib.metadata
    import sys

    from sitegen.build import LIBRARIES, installed_versions

    found = installed_versions(LIBRARIES)
    for lib in LIBRARIES:
        try:
            expected: str | None = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            expected = None
        assert found.get(lib) == expected, lib
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "Some_Lib-1.2.3.dist-info").mkdir(parents=True)
    (second / "some.lib-9.0.dist-info").mkdir(parents=True)
    (second / "other_lib-0.5-py3.11.egg-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert installed_versions(("some-lib", "Other-Lib", "absent")) == {"some-lib": "1.2.3", "Other-Lib": "0.5"}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_edit_after_edit_of_every_kind_gives_the_cold_build_with_every_page_kind(site, tmp_path, seed):
    """Random edits one after another (a body's words, a body's markup only, a title, tags, a
    section, a date, an alias, an article added as the newest or in the middle of the archive,
    maybe with a new tag, a deleted article, a page file deleted by hand), with every page
    kind on (days, related pages, stories, sources) and full-content feeds: after each, the warm
    build (narrow plan or whole) gives exactly the cold build, and says what it planned."""
    import random

    rng = random.Random(seed)
    topics = {"harbour": "harbour ferry dock cranes shipping port berth tide pilot container",
              "orchard": "orchard apples harvest pickers cider blossom frost growers pears",
              "museum": "museum exhibition curator paintings gallery sculpture archive visitors"}
    config = CONFIG + ("pages:\n  days: true\n  related: true\n  stories: true\n  sources: true\n"
                       "feeds:\n  full_content: true\nrelated:\n  min_score: 0.05\n")
    state: dict[str, dict] = {}

    def text(n: int) -> str:
        a = state[f"a{n}"]
        body = f"## {a['topic'].title()}\n\n" + " ".join(a["words"]) + ".\n"
        return article_md(a["title"], a["date"], a["section"], body=body, tags=f"[{', '.join(a['tags'])}]",
                          source=a["source"], **({"aliases": f"['/old/a{n}/']"} if a.get("alias") else {}))

    def words(topic: str, k: int = 30) -> list[str]:
        return [rng.choice(topics[topic].split()) for _ in range(k)]

    for n in range(14):
        topic = list(topics)[n % 3]
        state[f"a{n}"] = {"title": f"The {topic} story {n}", "date": f"2024-0{1 + n % 6}-{10 + n}T0{n % 9}:30:00Z",
                          "section": ["World", "Business"][n % 2], "topic": topic, "words": words(topic),
                          "tags": [topic, ["local", "national"][n % 2]], "source": ["Staff", "Reuters"][n % 2]}
    root = site({"sitegen.yaml": config, **{f"content/a{n}.md": text(n) for n in range(14)}})
    out = tmp_path / "out"
    build(root, out)
    kinds = ["words", "markup", "title", "tags", "section", "date", "alias", "add", "add", "delete", "unlink"]
    for step, kind in enumerate(["markup", *(rng.choice(kinds) for _ in range(8))]):
        alive = sorted(int(name[1:]) for name in state)
        n = rng.choice(alive)
        a = state[f"a{n}"]
        if kind == "words":
            a["words"] = a["words"] + words(rng.choice(list(topics)), 8)
        elif kind == "markup":
            a["words"] = [f"*{a['words'][0]}*", *a["words"][1:]]
        elif kind == "title":
            a["title"] += " again"
        elif kind == "tags":
            a["tags"] = [*a["tags"], rng.choice(["analysis", "local", "feature"])]
        elif kind == "date":
            a["date"] = f"2024-0{rng.randint(1, 6)}-2{rng.randint(0, 8)}T12:00:00Z"
        elif kind == "alias":
            a["alias"] = not a.get("alias")
        elif kind == "section":
            a["section"] = rng.choice(["World", "Business", "Culture"])
        elif kind == "add":  # the newest, or one in the middle of the archive, maybe with a tag of its own
            n = max(alive) + 1
            topic = rng.choice(list(topics))
            when = rng.choice(["2024-07-01T08:00:00Z", f"2024-0{rng.randint(1, 6)}-1{rng.randint(0, 9)}T09:00:00Z"])
            state[f"a{n}"] = {"title": f"A later {topic} story {n}", "date": when, "section": "World",
                              "topic": topic, "words": words(topic), "tags": [topic, *rng.sample(["tide", "frost"], 1)],
                              "source": "AFP"}
        if kind == "delete" and len(alive) > 4:
            del state[f"a{n}"]
            (root / f"content/a{n}.md").unlink()
        elif kind == "unlink":
            # (not the home page: a folder without one is not taken for a built site, see write.check_output)
            pages = sorted(p for p in out.rglob("index.html") if "related" not in p.parts and p != out / "index.html")
            rng.choice(pages).unlink()
        elif kind != "delete":
            write_files(root, {f"content/a{n}.md": text(n)})
        result = build(root, out)
        cold = tmp_path / f"cold-{step}"
        expected = build(root, cold, cache=False)
        assert tree(out) == tree(cold), (seed, step, kind)
        assert result.diagnostics == expected.diagnostics, (seed, step, kind)
        assert result.planned <= expected.planned, (seed, step, kind)
        if kind == "markup":  # the same words, lists and stories: the last plan stands, a few pages are planned
            assert result.planned < expected.planned / 2, (seed, step, result.planned, expected.planned)


def test_page_keys_tell_apart_what_pages_show_and_refuse_what_they_cannot_write(tmp_path):
    """A key is a digest of the page's context as JSON (orjson): values that render differently key
    differently, whatever their kind (named tuples, sets, number keys, dates, dataclasses), and a
    context JSON cannot hold as text (a lone surrogate, from a file name that is not UTF-8) makes the
    page unkeyable, always rendered, instead of failing the build."""
    from datetime import date, datetime, timezone
    from typing import NamedTuple

    from sitegen.pagekeys import PageKeys
    from sitegen.plan import Page, Plan
    from sitegen.plan.pages import Link

    class Cell(NamedTuple):
        day: int
        count: int

    keys = PageKeys(Plan(pages=(), urls={}, scheme=None, nav=()), b"salt")  # type: ignore[arg-type]

    def key(**context: object) -> bytes | None:
        return keys.key(Page(url="/p/", template="listing.html", title="P", context=dict(context)))

    values = [Cell(1, 2), Cell(2, 1), (1, 2), {"b", "a"}, {"a", "c"}, {1: "x"}, {2: "x"},
              date(2024, 1, 2), datetime(2024, 1, 2, tzinfo=timezone.utc), Link("Home", "/"), Link("Home", "/a/"),
              "x", 1.5, None]
    made = [key(value=value) for value in values]
    assert None not in made
    assert len(set(made)) == len(made) - 1  # each differs, but a named tuple is keyed as the tuple of its items
    assert made[0] == made[2]
    assert key(value={"a", "b"}) == made[3]  # a set by its items, whatever their order
    assert key(title="caf\udce9") is None
    assert key(value=object()) is None


def test_an_added_or_deleted_article_plans_only_the_pages_that_show_it(site, tmp_path):
    """Pages name articles and lists by identity, not by place: an article added in the middle of
    the archive (which moves every older one a place down) plans its own pages, its neighbours'
    and the pages of the lists it joins, not the other sections' and months' pages, and gives the
    cold build; so do an article in a new month with a new tag, and a deletion."""
    sections, topics = ["World", "Business", "Sport", "Culture"], ["harbour", "orchard", "museum", "stadium"]

    def text(n: int, month: int, day: int, section: str, tags: str) -> str:
        return article_md(f"Story {n} of the {topics[n % 4]}", f"2024-{month:02d}-{day:02d}T{n % 20:02d}:15:00Z",
                          section, body=f"The {topics[n % 4]} words, {n}. " * 12, tags=tags,
                          author=f"Writer {n % 3}")

    # (related lists of near twins only: at 64 articles one more moves every score, and every article page with it)
    files = {"sitegen.yaml": CONFIG + "page_size: 4\nrelated:\n  min_score: 0.99\n"}
    for n in range(64):
        # sections of 4, 3, 2 and 1 in 10 articles: the navigation (by size) stays as it is
        files[f"content/a{n}.md"] = text(n, 1 + n % 7, 1 + n % 27, sections[(0, 0, 0, 0, 1, 1, 1, 2, 2, 3)[n % 10]],
                                         f"[{topics[n % 4]}]")
    root = site(files)
    out = tmp_path / "out"
    build(root, out)
    # between older and newer articles of its section, in March: every older article moves a place
    write_files(root, {"content/new.md": text(100, 3, 14, "Sport", "[stadium]")})
    added = build(root, out)
    cold = build(root, tmp_path / "cold-1", cache=False)
    assert tree(out) == tree(tmp_path / "cold-1") and added.diagnostics == cold.diagnostics
    assert 0 < added.planned < cold.planned / 2 and added.reused > 0
    assert added.planned + added.reused >= cold.planned  # every page planned or carried with its key
    # a new month (and with it the neighbours of August), a new tag, a new author
    write_files(root, {"content/later.md": text(101, 9, 2, "Culture", "[museum, lighthouse]")})
    later = build(root, out)
    cold = build(root, tmp_path / "cold-2", cache=False)
    assert tree(out) == tree(tmp_path / "cold-2") and later.planned < cold.planned
    (root / "content/a5.md").unlink()
    deleted = build(root, out)
    cold = build(root, tmp_path / "cold-3", cache=False)
    assert tree(out) == tree(tmp_path / "cold-3") and deleted.planned < cold.planned
