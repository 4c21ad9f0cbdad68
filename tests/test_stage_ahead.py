"""A cold build's folders and article files made ahead in its stage (write.StageAhead), by the
build's child: the output is the same as without, and nothing of it is left where no page went."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sitegen.build
from conftest import article_md, sigint_blocked, write_files
from sitegen.build import StrictFailure, build
from sitegen.forked import Forked, Unavailable
from sitegen.write import StageAhead, _write_new, make_stage

made: list[int] = []  # what each build's child made ahead, when it was asked before being stopped


class Finishing(Forked):
    """The build's child, waited for before the build stops it: all it was sent is made (a
    small site renders before a child at the lowest priority would be done otherwise)."""

    def stop(self) -> None:
        if self.running:
            try:
                made.append(self.result(len(self._fds) - 1))
            except Unavailable:
                pass
        super().stop()


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) below ``folder``: an empty folder shows too."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def archive(site):
    files = {"sitegen.yaml": "search: false\nbuild_time: 2024-08-01T00:00:00+00:00\n"}
    for i in range(8):
        files[f"content/2024/s{i}.md"] = article_md(f"Story number {i}", f"2024-0{1 + i % 4}-1{i}T10:00:00Z",
                                                    ["World", "Business"][i % 2], tags="[markets]")
    files["content/2024/moved.md"] = article_md("Moved", "2024-05-01T10:00:00Z", aliases="[/old/moved/]")
    return site(files)


def test_a_cold_build_with_its_stage_made_ahead_writes_what_one_without_writes(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(sitegen.build, "Forked", Finishing)
    monkeypatch.setattr(sitegen.build, "AHEAD_FROM", 10**9)
    plain = build(archive, tmp_path / "plain", cache=False)
    assert made == [] or made[-1] == 0  # (the child was sent nothing)
    monkeypatch.setattr(sitegen.build, "AHEAD_FROM", 0)
    made.clear()
    for cache in (False, True):
        ahead = build(archive, tmp_path / f"ahead-{cache}", cache=cache)
        assert [str(d) for d in ahead.diagnostics] == [str(d) for d in plain.diagnostics]
        assert listing(tmp_path / f"ahead-{cache}") == listing(tmp_path / "plain")
    # Each child made the folders (2024, its months and days, each article's) and the files.
    articles = len([p for p in (tmp_path / "plain").rglob("index.html") if p.parent.parent.parent.parent.name == "2024"])
    assert len(made) == 2 and all(n > 2 * articles for n in made)
    # Stopped as the build renders, however far it got (as a build does it): the same output.
    monkeypatch.setattr(sitegen.build, "Forked", Forked)
    build(archive, tmp_path / "stopped", cache=False)
    assert listing(tmp_path / "stopped") == listing(tmp_path / "plain")
    assert not [p for p in tmp_path.glob(".sitegen-*") if p.is_dir()]  # (no stage left)


def test_a_build_that_fails_after_its_stage_was_made_leaves_no_stage(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(sitegen.build, "AHEAD_FROM", 0)
    write_files(archive, {"content/2024/bad.md": "---\ntitle: [unclosed\n---\nBody.\n"})
    with pytest.raises(StrictFailure):
        build(archive, tmp_path / "out", strict=True)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.glob(".sitegen-*") if p.is_dir()]  # (no stage left)


def test_what_is_made_ahead_stays_in_the_stage_and_what_no_page_took_goes(tmp_path):
    stage = make_stage(tmp_path / "out")
    ahead = StageAhead()
    child = Forked(ahead.make)
    ahead.forked()
    ahead.send(stage, ["2024/01/x/index.html", "2024/01/y/index.html", "top.html", "../escape/index.html",
                       "a//b/index.html", "./dot/index.html", "2024/01/x/index.html"])
    assert child.result() == 4 + 3  # 2024, 2024/01, its x and y; three files
    assert listing(stage) == {"2024": None, "2024/01": None, "2024/01/x": None, "2024/01/x/index.html": b"",
                              "2024/01/y": None, "2024/01/y/index.html": b"", "top.html": b""}
    assert not (tmp_path / "escape").exists()
    ahead.drop_unused(["2024/01/x/index.html", "feed.xml"])
    assert listing(stage) == {"2024": None, "2024/01": None, "2024/01/x": None, "2024/01/x/index.html": b""}


def test_a_child_sent_nothing_makes_nothing_and_ends(tmp_path):
    ahead = StageAhead()
    child = Forked(ahead.make)
    ahead.forked()
    ahead.cancel()
    assert child.result() == 0


def test_a_page_written_over_a_longer_file_is_cut_to_its_bytes(tmp_path):
    target = tmp_path / "index.html"
    target.write_bytes(b"a longer page than the new one")
    st = _write_new(str(target), b"short")
    assert target.read_bytes() == b"short" and st.st_size == 5
    st = _write_new(str(tmp_path / "new.html"), b"fresh")
    assert (tmp_path / "new.html").read_bytes() == b"fresh" and st.st_size == 5 and os.path.isfile(tmp_path / "new.html")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a thread's signal mask in /proc")
def test_the_thread_that_sends_the_paths_never_takes_a_ctrl_c(tmp_path):
    """The thread that writes the paths down the pipe (the child reads them only once idle, so it
    may wait until the build forks its render pool) blocks SIGINT: a Ctrl-C sent to the build is
    then the main thread's, held back while it forks (forked.interrupts_held). Taken by that
    thread as the main thread forked, it was raised in the main thread among Python's handlers
    after the fork, and dropped there: the build went on to the end (1 run of test_cli's
    test_ctrl_c_stops_the_build_cleanly in about 40)."""
    import threading

    ahead = StageAhead()
    before = set(threading.enumerate())
    ahead.send(tmp_path / "stage", (f"{i:05d}/a-long-enough-name-{i}/index.html" for i in range(5000)))  # > a pipe's 64 KB
    (sender,) = set(threading.enumerate()) - before
    try:
        assert sigint_blocked(os.getpid(), sender.native_id)
    finally:
        os.close(ahead._read)  # (no child reads: the writes fail and the thread ends)
        sender.join(5)
    assert not sender.is_alive()
