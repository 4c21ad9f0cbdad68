"""The side-by-side runner, with sitegen's systems only (the peers need their own virtual
environment): a small archive built cold and after an edit, the systems taking turns."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "peers"


def runner_runs(work: Path, cases: str, systems: str = "sitegen,sitegen-tags,sitegen-lean") -> list[dict]:
    """The runs of bench/run.py on a 30-article archive in ``work``, two of each case, sitegen's systems."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "30", "--runs", "2",
                           "--cases", cases, "--systems", systems, "--work", str(work)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(next(work.glob("results-*.json")).read_text())


def test_sitegen_s_three_systems_take_turns_on_one_archive(tmp_path):
    runs = runner_runs(tmp_path, "cold,edit")
    ours = ("sitegen", "sitegen-tags", "sitegen-lean")
    assert [(r["system"], r["case"]) for r in runs] == [(name, "cold") for name in ours] * 2 + [
        (name, "edit") for name in ours] * 2
    assert all(r["ok"] and r["pages"] > 30 and r["n"] == 30 for r in runs)
    assert len({r["pages"] for r in runs if r["case"] == "cold"}) == 1  # the same page set
    # each build's stages as it reported them (--timings): a cold build has all four, within its wall time
    for r in runs:
        stages = r["stages"]
        assert list(stages)[:4] == ["load", "indexes", "plan", "pages"], r
        assert all(seconds >= 0 for seconds in stages.values()) and sum(stages.values()) <= r["wall"], r
    archive = tmp_path / "archive-30"
    for name in ours[1:]:
        site = archive / name
        assert (site / "content").resolve() == (archive / "sitegen" / "content").resolve()  # the same articles
        settings = yaml.safe_load((site / "sitegen.yaml").read_text(encoding="utf-8"))
        assert settings["related"] == {"title_weight": 0, "summary_weight": 0, "body_weight": 0, "tags_weight": 1}
        assert {k: v for k, v in settings.items() if k != "related"} == yaml.safe_load(
            (archive / "sitegen" / "sitegen.yaml").read_text(encoding="utf-8"))
    # sitegen-lean's pages are in the peers' markup: an article page is its heading, body, footer
    # and related links; the same links as sitegen-tags' page of the same article
    lean, tags = archive / "sitegen-lean" / "public", archive / "sitegen-tags" / "public"
    [page] = [p for p in lean.rglob("index.html") if p.parent.parent.parent.parent.parent == lean][:1]
    lean_page = lxml.html.parse(str(page)).getroot()
    tags_page = lxml.html.parse(str(tags / page.relative_to(lean))).getroot()
    assert [e.tag for e in lean_page.find("body/main")] == ["article", "aside"]
    assert lean_page.find("body/main/article/header/h2/a").get("href") == "/" + page.parent.relative_to(lean).as_posix() + "/"
    assert not lean_page.xpath("//script") and tags_page.xpath("//script[@type='application/ld+json']")
    def related(root):
        return [a.get("href") for a in root.xpath("//aside//ul/li/a")]
    assert related(lean_page) and related(lean_page) == related(tags_page)
    assert len(lxml.html.tostring(lean_page)) < len(lxml.html.tostring(tags_page))
    # its templates are bench/lean-templates' and no others: one left from an older set goes
    templates = archive / "sitegen-lean" / "templates"
    (templates / "gone.html").write_text("{{ 1 }}", encoding="utf-8")
    runner = _load_runner()
    runner.SitegenLean(archive, None)
    source = ROOT / "bench" / "lean-templates"
    assert sorted(p.relative_to(templates) for p in templates.rglob("*.html")) == sorted(
        p.relative_to(source) for p in source.rglob("*.html"))
    # each edit was undone: the content is as generated
    edited = [p for p in (archive / "sitegen" / "content").rglob("*.md")
              if "added to this article by the benchmark" in p.read_text(encoding="utf-8")]
    assert edited == []
    assert not (archive / ".trash").exists()  # the cold runs' old outputs, emptied at the end
    # sitegen's modules were compiled as an installed package's are: no build compiles one again
    for module in (ROOT / "sitegen").rglob("*.py"):
        compiled = Path(importlib.util.cache_from_source(str(module)))
        assert compiled.is_file() and compiled.stat().st_mtime >= module.stat().st_mtime, module


def test_each_add_run_adds_another_article_and_all_are_removed_at_the_end(tmp_path):
    runs = runner_runs(tmp_path, "add", "sitegen,sitegen-tags")
    assert [(r["system"], r["case"]) for r in runs] == [("sitegen", "add"), ("sitegen-tags", "add")] * 2
    assert all(r["ok"] for r in runs)
    content = tmp_path / "archive-30" / "sitegen" / "content"
    assert len(list(content.rglob("*.md"))) == 30  # the added articles removed
    public = tmp_path / "archive-30" / "sitegen" / "public"
    pages = {p.parent.name for p in public.rglob("index.html")}
    assert {"added-article-30", "added-article-31"} <= pages  # the last build had both
    newest = lxml.html.parse(str(public / "index.html")).getroot()
    links = [a.get("href") for a in newest.iter("a") if a.get("href")]
    assert "/added-article-" in next(href for href in links if "/2024/" in href)  # dated after every other


def test_the_trash_takes_old_outputs_by_a_rename_and_empties_when_the_disk_needs_room(tmp_path):
    runner = _load_runner()
    output = tmp_path / "site" / "public"
    (output / "a" / "b").mkdir(parents=True)
    (output / "a" / "b" / "index.html").write_bytes(b"x" * 10_000)
    inode = (output / "a" / "b" / "index.html").stat().st_ino
    trash = runner.Trash(tmp_path / ".trash", settle=0, stamp=tmp_path / "emptied")
    size = trash.discard(output)
    assert size >= 10_000 and not output.exists()
    [kept] = (tmp_path / ".trash").iterdir()
    assert (kept / "a" / "b" / "index.html").stat().st_ino == inode  # moved, not copied: no inode freed
    assert trash.discard(output) == 0  # nothing there
    trash.make_room(size)  # room enough on this disk: kept
    assert kept.exists()
    trash.make_room(1 << 60)  # not: emptied
    assert not (tmp_path / ".trash").exists()
    (tmp_path / ".trash" / "left").mkdir(parents=True)  # left by an interrupted run: emptied at the start
    runner.Trash(tmp_path / ".trash", settle=0, stamp=tmp_path / "emptied")
    assert not (tmp_path / ".trash").exists()


def test_a_cold_build_waits_until_the_inodes_freed_by_the_last_emptying_settle(tmp_path, monkeypatch):
    """The wait is counted from the last emptying, noted beside the archives, so it holds across
    runs of the runner too; with none noted, or long enough ago, there is none."""
    runner = _load_runner()
    slept: list[float] = []
    monkeypatch.setattr(runner.time, "sleep", slept.append)
    stamp = tmp_path / "emptied"
    trash = runner.Trash(tmp_path / ".trash", settle=65, stamp=stamp)
    trash.make_room(0)
    assert slept == [] and not stamp.exists()  # nothing was ever emptied
    (tmp_path / ".trash" / "old").mkdir(parents=True)
    trash.empty()
    assert not (tmp_path / ".trash").exists() and stamp.is_file()
    trash.make_room(0)
    assert len(slept) == 1 and 60 < slept[0] <= 65
    stamp.write_text(repr(runner.time.time() - 20))  # emptied by a run 20 s ago
    runner.Trash(tmp_path / ".trash", settle=65, stamp=stamp).make_room(0)
    assert 40 < slept[1] <= 45
    stamp.write_text(repr(runner.time.time() - 100))
    trash.make_room(0)
    assert len(slept) == 2


def test_the_content_is_read_through_once_before_the_timed_builds(tmp_path):
    """Every file of a content folder is read (into the page cache) before the first timed build."""
    runner = _load_runner()
    (tmp_path / "c" / "2024").mkdir(parents=True)
    (tmp_path / "c" / "2024" / "a.md").write_bytes(b"a" * 3_000_000)
    (tmp_path / "c" / "b.md").write_bytes(b"b" * 10)
    assert runner.read_through(tmp_path / "c") == 3_000_010
    assert runner.read_through(tmp_path / "none") == 0


def _load_runner():
    sys.path.insert(0, str(ROOT / "bench"))  # run.py imports generate.py beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not (PEERS / "pelican").is_dir(), reason=f"no peer configurations at {PEERS}")
def test_a_run_with_another_system_generates_only_its_format(tmp_path):
    runner = _load_runner()
    archive = tmp_path / "archive-20"
    runner.prepare(archive, 20, ("sitegen",))
    article = next((archive / "sitegen" / "content").rglob("*.md"))
    before = article.stat()
    runner.prepare(archive, 20, ("sitegen", "pelican"))
    after = article.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # sitegen's left as it was
    # pelican's articles are those of an archive generated with both formats at once
    both = tmp_path / "both"
    runner.generate(20, both, seed=1, formats=("sitegen", "pelican"))
    assert _tree(archive / "pelican") == _tree(both / "pelican")
    assert _tree(archive / "sitegen") == _tree(both / "sitegen")
    # nothing is missing now: a third run generates nothing
    stamps = sorted(p.name for p in archive.glob(".generated-*"))
    assert stamps == [".generated-pelican", ".generated-sitegen"]
    pelican_file = next((archive / "pelican" / "content").rglob("*.md")).stat()
    runner.prepare(archive, 20, ("pelican", "sitegen"))
    assert next((archive / "pelican" / "content").rglob("*.md")).stat().st_ino == pelican_file.st_ino


def test_a_stamp_of_several_formats_stands_for_each(tmp_path):
    runner = _load_runner()
    archive = tmp_path / "archive-10"
    runner.prepare(archive, 10, ("sitegen",))
    (archive / ".generated-sitegen").rename(archive / ".generated-sitegen-hugo")  # as an older runner left it
    article = next((archive / "sitegen" / "content").rglob("*.md")).stat()
    runner.prepare(archive, 10, ("sitegen",))
    assert next((archive / "sitegen" / "content").rglob("*.md")).stat().st_ino == article.st_ino
