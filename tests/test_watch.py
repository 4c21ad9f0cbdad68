"""Watching: which changes count, one build per burst, the same full build, and `sitegen build --watch`."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import DROPPED_CTRL_C, article_md, default_sigint, sigint_blocked, write_files
from sitegen.watch import Batcher, Session, Watcher, _Events, is_relevant, run_build

SITE = Path("/home/ed/archive")
OUT = SITE / "public"


@pytest.mark.parametrize("path", [
    "content/2024/a.md", "content/2024/a.txt", "content/img/photo.jpg", "templates/article.html",
    "templates/partials/byline.html", "static/css/site.css", "sitegen.yaml",
    "content", "templates", "static",  # a watched folder itself created, removed or renamed
])
def test_changes_to_the_sites_sources_are_relevant(path):
    assert is_relevant(str(SITE / path), SITE, OUT)


@pytest.mark.parametrize("path", [
    "public/index.html", "public", "public/2024/07/04/x/index.html",  # the output folder
    ".sitegen-public.abc123.new/index.html", ".sitegen-public.old",  # the build's work folders
    ".git/index", ".git/objects/ab/cdef", "content/.git/HEAD",  # version control
    "content/__pycache__/x.pyc", "templates/__pycache__/x.cpython-311.pyc",
    "content/.a.md.swp", "content/.a.md.swx", "content/a.md~", "content/.#a.md", "content/#a.md#",
    "content/4913", "content/a.md.tmp", "content/.DS_Store", "static/css/.site.css.kate-swp",
    "content/download.part", "content/.hidden/a.md", "content/~$report.docx",
    "README.md", "notes.txt", "pyproject.toml",  # top-level files other than sitegen.yaml
])
def test_editor_files_version_control_and_the_output_are_not(path):
    assert not is_relevant(str(SITE / path), SITE, OUT)


def test_an_output_folder_elsewhere_or_inside_a_watched_folder_is_ignored():
    inside = SITE / "static/built"
    assert not is_relevant(str(inside / "index.html"), SITE, inside)
    assert not is_relevant(str(SITE / "static/.sitegen-built.x1.new/a.css"), SITE, inside)
    assert is_relevant(str(SITE / "static/builder.css"), SITE, inside)
    assert is_relevant(str(SITE / "content/a.md"), SITE, Path("/tmp/sitegen-serve-x/site"))


def test_a_content_folder_outside_the_site_is_judged_by_its_names():
    assert is_relevant("/srv/articles/2024/a.md", SITE, OUT)
    assert not is_relevant("/srv/articles/2024/.a.md.swp", SITE, OUT)


def test_a_burst_of_changes_makes_one_batch():
    batcher = Batcher(quiet=0.2, max_wait=10)
    done = threading.Event()

    def burst() -> None:
        for i in range(500):
            batcher.add(f"/site/content/{i}.md")
        done.set()

    threading.Thread(target=burst).start()
    batch = batcher.next_batch()
    assert done.is_set() and batch is not None and len(batch) == 500
    threading.Timer(0.5, batcher.stop).start()
    assert batcher.next_batch() is None  # nothing more was pending


def test_changes_during_a_build_make_exactly_one_more_batch():
    batcher = Batcher(quiet=0.05, max_wait=10)
    batcher.add("/site/content/a.md")
    assert batcher.next_batch() == {"/site/content/a.md"}
    for i in range(50):  # "during the build"
        batcher.add(f"/site/content/{i}.md")
    assert len(batcher.next_batch() or ()) == 50
    threading.Timer(0.3, batcher.stop).start()
    assert batcher.next_batch() is None


def test_a_never_ending_stream_of_changes_still_gets_built():
    batcher = Batcher(quiet=0.2, max_wait=0.5)
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            batcher.add("/site/content/live.md")
            time.sleep(0.02)

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        assert batcher.next_batch() == {"/site/content/live.md"}
        assert writer.is_alive()  # the batch came while changes kept coming
    finally:
        stop.set()
        writer.join()


def test_the_event_handler_survives_exceptions():
    log = io.StringIO()

    def broken(path: str) -> bool:
        raise RuntimeError("boom")

    class Event:
        event_type, is_directory, src_path = "modified", False, "/site/content/a.md"

    _Events(broken, lambda path: None, log).on_any_event(Event())  # type: ignore[arg-type]
    assert "watcher error (still watching)" in log.getvalue() and "boom" in log.getvalue()


def test_reads_do_not_count_as_changes(site):
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    seen: list[str] = []

    class Opened:
        event_type, is_directory, src_path = "opened", False, str(root / "content/a.md")

    class Closed:
        event_type, is_directory, src_path = "closed_no_write", False, str(root / "content/a.md")

    class Moved:
        event_type, is_directory = "moved", False
        src_path, dest_path = str(root / "content/.a.md.swp"), str(root / "content/a.md")

    handler = _Events(lambda p: is_relevant(p, root, root / "public"), seen.append, io.StringIO())
    for event in (Opened(), Closed(), Moved()):
        handler.on_any_event(event)  # type: ignore[arg-type]
    assert seen == [str(root / "content/a.md")]  # an editor's save-by-rename counts, by its target


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_watcher_sees_real_edits_and_folders_created_later(site):
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    seen: list[str] = []
    watcher = Watcher(root, lambda p: is_relevant(p, root, root / "public"), seen.append, io.StringIO())
    watcher.start()
    try:
        write_files(root, {"content/a.md": article_md("One, again", "2024-01-02"), "content/.a.md.swp": "x"})
        assert wait_for(lambda: str(root / "content/a.md") in seen)
        (root / "templates").mkdir()
        assert wait_for(lambda: str(root / "templates") in seen)
        watcher.refresh()  # what the session does before each build
        write_files(root, {"templates/home.html": "x", "sitegen.yaml": "title: T\n", "notes.txt": "x"})
        assert wait_for(lambda: {str(root / "templates/home.html"), str(root / "sitegen.yaml")} <= set(seen))
        assert not any(path.endswith((".swp", "notes.txt")) for path in seen)
    finally:
        watcher.stop()
    assert not watcher.observer.is_alive()


def blocks_sigint(thread: threading.Thread) -> bool:
    return sigint_blocked(os.getpid(), thread.native_id)  # type: ignore[arg-type]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads threads' signal masks in /proc")
def test_the_watchers_threads_never_take_a_ctrl_c(site):
    """Every thread the watcher starts, on start and for a folder made later, blocks SIGINT: a
    Ctrl-C is the main thread's, which holds it back while a build forks (forked.interrupts_held);
    one a watcher's thread took as the main thread forked was dropped, and the rebuild went on."""
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    before = set(threading.enumerate())
    watcher = Watcher(root, lambda p: is_relevant(p, root, root / "public"), lambda p: None, io.StringIO())
    watcher.start()
    try:
        (root / "templates").mkdir()
        watcher.refresh()
        started = [t for t in threading.enumerate() if t not in before and t.native_id is not None]
        assert len(started) >= 3  # the observer, and a thread for each watch (the site, content/, templates/)
        assert all(blocks_sigint(t) for t in started), [(t.name, blocks_sigint(t)) for t in started]
        assert not blocks_sigint(threading.main_thread())
    finally:
        watcher.stop()


def test_run_build_describes_success_content_errors_and_failures(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02"), "content/bad.md": "---\ntitle: [x\n---\n"})
    out = tmp_path / "out"
    first = run_build(root, out, strict=False, drafts=True)
    assert first.written and first.output == out.absolute()
    assert first.errors == ("content/bad.md:3: error: invalid YAML in front matter: did not find expected ',' or ']'",)
    assert first.summary.startswith("built in ") and "1 errors" in first.summary
    before = (out / "2024/01/02/one/index.html").read_bytes()
    write_files(root, {"templates/article.html": "{% extends 'base.html' %}\n{% block content %}{% if %}{% endblock %}\n"})
    failed = run_build(root, out, strict=False, drafts=True, changed=frozenset({str(root / "templates/article.html")}))
    assert not failed.written and not failed.fatal
    assert failed.errors[0].startswith("templates/article.html:2: error: template syntax error")
    assert failed.summary.startswith("rebuild failed (templates/article.html changed): a template failed")
    assert (out / "2024/01/02/one/index.html").read_bytes() == before
    write_files(root, {"sitegen.yaml": "titel: x\n"})
    config = run_build(root, out, strict=False, drafts=True)
    assert config.errors == ("sitegen.yaml:1: error: unknown key 'titel' (did you mean 'title'?)",)
    (root / "sitegen.yaml").unlink()
    refused = run_build(root, root / "content", strict=False, drafts=True)
    assert refused.fatal and "refusing to build into" in refused.reason


def test_a_css_only_change_is_told_apart_until_a_site_is_written(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02"), "static/css/site.css": "h1{color:red}"})
    session = Session(root, tmp_path / "out", stdout=io.StringIO(), stderr=io.StringIO())
    css, md, tpl = (str(root / p) for p in ("static/css/site.css", "content/a.md", "templates/base.html"))
    assert not session.build_once().css_only
    assert session.build_once(frozenset({css})).css_only
    assert not session.build_once(frozenset({css, md})).css_only
    write_files(root, {"templates/base.html": "{% if %}"})
    assert not session.build_once(frozenset({tpl})).written
    (root / "templates/base.html").unlink()
    # the template changed since the last written site, so this is not a stylesheet-only change
    assert not session.build_once(frozenset({css})).css_only
    assert session.build_once(frozenset({css})).css_only


def sitegen_watch(root: Path, *args: str, command: tuple[str, ...] = ("-m", "sitegen")) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, *command, "build", "--watch", *args], cwd=root,
                            preexec_fn=default_sigint,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return proc, lines


def test_build_watch_rebuilds_after_edits_and_stops_cleanly_on_ctrl_c(site):
    root = site({"content/a.md": article_md("One", "2024-01-02", slug="one")})
    proc, lines = sitegen_watch(root)
    try:
        assert wait_for(lambda: any(line.startswith("built in") for line in lines)), lines
        assert wait_for(lambda: any(line.startswith("watching") for line in lines)), lines
        page = root / "public/2024/01/02/one/index.html"
        assert "Draft" not in page.read_text()
        write_files(root, {"content/a.md": article_md("One changed", "2024-01-02", slug="one"),
                           "content/d.md": article_md("Unfinished", "2024-01-03", draft="true")})
        assert wait_for(lambda: "One changed" in page.read_text()), lines
        assert not (root / "public/2024/01/03").exists()  # drafts only with --drafts, as in build
        write_files(root, {"content/a.md": "---\ntitle: [broken\n---\n"})
        assert wait_for(lambda: any("content/a.md:3: error: invalid YAML" in line for line in lines)), lines
        write_files(root, {"content/a.md": article_md("One fixed", "2024-01-02", slug="one")})
        assert wait_for(lambda: page.is_file() and "One fixed" in page.read_text()), lines
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode in (0, 130)
    assert (root / "public/index.html").is_file()
    assert not list(root.glob(".sitegen-public*"))
    rebuilt = [line for line in lines if line.startswith("rebuilt")]
    assert rebuilt and all("(content/" in line for line in rebuilt)


def test_build_watch_stops_on_a_ctrl_c_that_python_drops_in_a_rebuild(site):
    """A Ctrl-C raised where Python drops it (a finalizer) during a rebuild is remembered: the
    rebuild stops, its output as it was, and so does the watch. It used to watch on."""
    root = site({"content/a.md": article_md("One", "2024-01-02", slug="one")})
    proc, lines = sitegen_watch(root, command=("-c", DROPPED_CTRL_C, "2"))  # (the first build plans once)
    try:
        assert wait_for(lambda: any(line.startswith("built in") for line in lines)), lines
        assert wait_for(lambda: any(line.startswith("watching") for line in lines)), lines
        write_files(root, {"content/a.md": article_md("One changed", "2024-01-02", slug="one")})
        assert proc.wait(timeout=30) in (0, 130), lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert wait_for(lambda: any("stopped watching" in line for line in lines)), lines
    assert any("Exception ignored" in line for line in lines), lines  # (dropped by Python)
    assert not any(line.startswith("rebuilt") for line in lines), lines
    assert "One changed" not in (root / "public/2024/01/02/one/index.html").read_text()
    assert not list(root.glob(".sitegen-public*"))


def test_build_watch_refuses_a_bad_output_folder(site):
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    proc, lines = sitegen_watch(root, "-o", "content")
    assert proc.wait(timeout=30) == 2
    assert wait_for(lambda: any("refusing to build into" in line for line in lines)), lines
    assert os.listdir(root / "content") == ["a.md"]
