"""A build that finds nothing changed knows it from the last build's record (see nochange),
before loading an article, and reports that build again; anything else goes the whole way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import sitegen.build as build_module
import sitegen.cache as cache_module
import sitegen.write as write_module
from conftest import article_md, write_files
from sitegen import nochange
from sitegen.build import StrictFailure, build, manifest_name
from sitegen.cache import CACHE_DIR
from test_incremental import CONFIG, stamps, tree

@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Every file counts as settled; the list names each load of the articles and each read of a
    manifest by the build's own process."""
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    seen: list[str] = []
    gather, read = build_module.gather, write_module.Manifest.read
    monkeypatch.setattr(build_module, "gather", lambda *args, **kwargs: seen.append("articles") or gather(*args, **kwargs))
    pid = os.getpid()
    monkeypatch.setattr(write_module.Manifest, "read", staticmethod(
        lambda *args: (os.getpid() == pid and seen.append("manifest")) or read(*args)))
    return seen


@pytest.fixture
def root(site):
    return site({"sitegen.yaml": CONFIG,
                 "content/a.md": article_md("Alpha", "2024-01-02T10:00:00Z", related="[no-such-story]"),
                 "content/b.md": article_md("Beta", "2024-01-03T10:00:00Z", tags="[harbour]"),
                 "content/c.md": article_md("Later", "2031-01-01T10:00:00Z"),  # after build_time: held back
                 "content/photo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                 "content/broken.md": "---\ntitle: [unclosed\n---\n"})


def record_of(root: Path, out: Path) -> Path:
    return nochange.path_of(root / CACHE_DIR, root / CACHE_DIR / manifest_name(out))


def test_nothing_changed_is_known_without_loading_an_article_and_the_last_report_stands(root, tmp_path, loads):
    out = tmp_path / "out"
    first = build(root, out)
    assert record_of(root, out).is_file()
    before = stamps(out)
    loads.clear()
    again = build(root, out)
    assert loads == []  # no article loaded, no manifest read here (the child checked the files)
    assert [stage for stage, _ in again.timings] == ["load", "unchanged"]
    assert stamps(out) == before
    for field in ("output", "articles", "pages", "files", "drafts_skipped", "diagnostics", "held_back", "next_change",
                  "rebuild_at", "written"):
        assert getattr(again, field) == getattr(first, field), field
    assert [d.message for d in again.diagnostics if "related article not found" in d.message]
    assert (again.changed, again.removed, again.rendered, again.reused, again.planned) == (0, 0, 0, 0, 0)
    with pytest.raises(StrictFailure) as refused:  # the broken file is an error, as it was
        build(root, out, strict=True)
    assert refused.value.result.diagnostics == first.diagnostics and not refused.value.result.written
    assert loads == [] and stamps(out) == before


def test_an_output_file_not_as_written_or_another_manifest_takes_the_whole_way(root, tmp_path, loads):
    out = tmp_path / "out"
    build(root, out)
    cold = tree(out)
    (out / "index.html").write_text("vandalised", encoding="utf-8")
    loads.clear()
    build(root, out)
    assert "articles" in loads and tree(out) == cold
    loads.clear()
    build(root, out)
    assert loads == []
    manifest = root / CACHE_DIR / manifest_name(out)
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 1))  # another manifest
    build(root, out)
    assert loads == ["articles", "manifest"] and tree(out) == cold


def test_a_change_in_content_of_any_kind_is_seen(root, tmp_path, loads):
    """An edit, an article added, one removed, an image changed: each builds as a cold build does."""
    out = tmp_path / "out"
    build(root, out)
    changes = [
        lambda: write_files(root, {"content/a.md": article_md("Alpha, edited", "2024-01-02T10:00:00Z")}),
        lambda: write_files(root, {"content/d.md": article_md("Delta", "2024-01-05T10:00:00Z")}),
        lambda: (root / "content/b.md").unlink(),
        lambda: write_files(root, {"content/photo.svg": "<svg xmlns='http://www.w3.org/2000/svg' width='2'/>"}),
    ]
    for k, change in enumerate(changes):
        change()
        loads.clear()
        build(root, out)
        assert "articles" in loads, k
        build(root, tmp_path / f"cold-{k}", cache=False)
        assert tree(out) == tree(tmp_path / f"cold-{k}"), k
        loads.clear()
        build(root, out)
        assert loads == [], k


def test_files_not_settled_leave_no_record_and_a_bad_record_is_passed_by(root, tmp_path, loads, monkeypatch):
    out = tmp_path / "out"
    build(root, out)
    record = record_of(root, out)
    assert record.is_file()
    monkeypatch.setattr(cache_module, "SETTLED_NS", 10 ** 18)  # (no stamp is settled)
    write_files(root, {"content/a.md": article_md("Alpha, edited", "2024-01-02T10:00:00Z")})
    build(root, out)
    assert not record.exists()  # forgotten: the next build cannot trust these stamps
    loads.clear()
    build(root, out)
    assert loads == ["articles", "manifest"] and not record.exists()
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    build(root, out)
    record.write_bytes(b"not a record")
    loads.clear()
    result = build(root, out)
    assert loads == ["articles", "manifest"] and result.errors == 1
    assert nochange.read(record) is not None  # written anew


def test_the_record_of_an_output_folder_that_is_gone_goes_with_its_manifest(root, tmp_path, loads):
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    build(root, kept)
    build(root, gone)
    assert record_of(root, gone).is_file()
    shutil.rmtree(gone)
    write_files(root, {"content/a.md": article_md("Alpha, edited", "2024-01-02T10:00:00Z")})
    build(root, kept)
    assert not record_of(root, gone).exists() and not (root / CACHE_DIR / manifest_name(gone)).exists()
    assert record_of(root, kept).is_file()


@pytest.mark.parametrize("recorded", [True, False])
def test_the_record_holds_what_the_build_used_when_inputs_change_as_it_runs(root, tmp_path, loads, monkeypatch,
                                                                           recorded):
    """Messages and copies are recorded as the build gathered them, templates as it began to plan:
    an edit made while a build runs is seen by the next (made before the articles load and
    undone later, or made after they were loaded), never recorded as what the site holds; with
    the last build's record there (compared before the articles load) and without."""
    out = tmp_path / "out"
    real = build_module.gather

    def during(edit):
        def gather(*args, **kwargs):
            gathered = real(*args, **kwargs)
            edit()
            return gathered
        return gather

    steps = [  # (an edit made as the articles are loaded, and one made before the next build)
        (lambda: write_files(root, {"i18n/en.yaml": '"Latest articles": "Newest"\n'}), lambda: None),
        (lambda: write_files(root, {"static/new.txt": "new\n"}), lambda: None),
        (lambda: write_files(root, {"templates/partials/byline.html": "<p>by TWO</p>\n"}),
         lambda: write_files(root, {"templates/partials/byline.html": "<p>by ONE</p>\n"})),
    ]
    write_files(root, {"templates/partials/byline.html": "<p>by ONE</p>\n"})
    build(root, out)
    for k, (edit, undo) in enumerate(steps):
        write_files(root, {"content/a.md": article_md(f"Alpha, edit {k}", "2024-01-02T10:00:00Z")})
        if not recorded:
            record_of(root, out).unlink()
        monkeypatch.setattr(build_module, "gather", during(edit))
        build(root, out)
        monkeypatch.setattr(build_module, "gather", real)
        undo()
        build(root, out)
        build(root, tmp_path / f"cold-{k}", cache=False)
        assert tree(out) == tree(tmp_path / f"cold-{k}"), k


def test_a_damaged_record_or_a_stage_left_by_a_killed_build_costs_only_time(root, tmp_path, loads):
    import pickle
    from datetime import datetime

    out = tmp_path / "out"
    first = build(root, out)
    record = record_of(root, out)
    good = record.read_bytes()
    last = nochange.read(record)
    damaged = [good[:len(good) // 2], good[:40] + bytes(40) + good[80:], b"\x80\x05" + b"\xff" * 64,
               pickle.dumps(nochange.NoChange(last.digest, last.manifest, 12, None, last.report)),
               pickle.dumps(nochange.NoChange(last.digest, ("a", 1, 2), None, None, last.report)),
               pickle.dumps(nochange.NoChange(last.digest, last.manifest, None, None, "a report")),
               pickle.dumps(nochange.NoChange(last.digest, last.manifest, datetime(2024, 1, 1), None, last.report))]
    for k, data in enumerate(damaged):
        record.write_bytes(data)
        loads.clear()
        again = build(root, out)
        assert "articles" in loads and again.diagnostics == first.diagnostics, k
    stage = out.parent / f"{write_module.WORK_PREFIX}{out.name}.killed.new"  # (as a killed build leaves it)
    stage.mkdir()
    (stage / "index.html").write_text("half", encoding="utf-8")
    loads.clear()
    build(root, out)
    assert loads == [] and not stage.exists()
