"""The `sitegen build` command end to end, on real folders, through a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lxml.html

from conftest import DROPPED_CTRL_C, article_md, default_sigint, write_files


def sitegen(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_article_and_home_pages(site):
    root = site({"content/2024/a.md": article_md("First story", "2024-07-04T09:30:00+08:00", body="Hello **world**."),
                 "content/2024/b.md": article_md("Second story", "2024-07-05T10:00:00Z")})
    run = sitegen("build", cwd=root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().startswith("2 articles, 18 pages, 0 warnings, 0 errors")
    page = lxml.html.parse(str(root / "public/2024/07/04/first-story/index.html")).getroot()
    assert page.find(".//h1").text_content().strip() == "First story"
    assert page.find(".//article//time").get("datetime") == "2024-07-04T01:30:00+00:00"
    assert [el.text for el in page.findall(".//strong")] == ["world"]
    home = lxml.html.parse(str(root / "public/index.html")).getroot()
    hrefs = [a.get("href") for a in home.iter("a")]
    assert hrefs.index("/2024/07/05/second-story/") < hrefs.index("/2024/07/04/first-story/")
    assert len(list((root / "public/css").glob("site.[0-9a-f]*.css"))) == 1  # named with a content hash


def test_timings_name_each_stage_in_order(site):
    import re

    root = site({"content/a.md": article_md("First story", "2024-07-04T09:30:00Z")})
    run = sitegen("build", "--timings", cwd=root)
    assert run.returncode == 0, run.stderr
    line = run.stdout.splitlines()[-1]
    stages = re.fullmatch(r"stages: (.*); (\d+) pages planned, (\d+) rendered, (\d+) keys kept unread", line)
    assert stages, line
    assert [part.split()[0] for part in stages[1].split(", ")] == ["load", "indexes", "plan", "pages", "search"]
    assert all(float(part.split()[1]) >= 0 for part in stages[1].split(", "))
    again = sitegen("build", "--timings", "--quiet", cwd=root).stdout.splitlines()
    assert again[-1].startswith("stages: load ") and "search" not in again[-1]  # nothing changed: no search rerun


def test_dates_are_shown_in_the_site_time_zone(site):
    root = site({"sitegen.yaml": "timezone: Asia/Shanghai\n",
                 "content/a.md": article_md("Late story", "2024-07-04T20:30:00Z")})
    assert sitegen("build", cwd=root).returncode == 0
    page = root / "public/2024/07/05/late-story/index.html"  # 04:30 next day in Shanghai
    time_el = lxml.html.parse(str(page)).getroot().find(".//article//time")
    assert time_el.get("datetime") == "2024-07-05T04:30:00+08:00"


def test_title_with_markup_characters_is_shown_as_typed(site):
    title = 'Study: "R&D < marketing" > 60% of <b>budgets</b>'
    root = site({"content/a.md": article_md(title, "2024-01-02", slug="study")})
    assert sitegen("build", cwd=root).returncode == 0
    page = lxml.html.parse(str(root / "public/2024/01/02/study/index.html")).getroot()
    assert page.find(".//h1").text_content().strip() == title
    assert page.find(".//h1").findall(".//b") == []
    assert page.find(".//title").text.startswith(title)


def test_errors_are_reported_and_the_rest_still_builds(site):
    root = site({"content/good.md": article_md("Good", "2024-01-02"),
                 "content/bad.md": "---\ntitle: Bad\n---\nno date\n"})
    run = sitegen("build", cwd=root)
    assert run.returncode == 1
    assert "content/bad.md:1: error: missing date" in run.stderr.splitlines()
    assert (root / "public/2024/01/02/good/index.html").is_file()
    assert "1 articles, 15 pages, 0 warnings, 1 errors" in run.stdout


def test_strict_fails_and_keeps_the_previous_output(site):
    root = site({"content/good.md": article_md("Good", "2024-01-02")})
    assert sitegen("build", cwd=root).returncode == 0
    before = tree(root / "public")
    write_files(root, {"content/new.md": article_md("New", "2024-03-02"), "content/bad.md": "---\ndate: 2024-01-01\n---\n"})
    run = sitegen("build", "--strict", cwd=root)
    assert run.returncode == 1
    assert "content/bad.md:1: error: missing title" in run.stderr
    assert tree(root / "public") == before
    assert sitegen("build", cwd=root).returncode == 1  # without --strict the good part is published
    assert (root / "public/2024/03/02/new/index.html").is_file()


def test_drafts_are_left_out_unless_asked_for(site):
    root = site({"content/a.md": article_md("Public", "2024-01-02"),
                 "content/d.md": article_md("Unfinished", "2024-01-03", draft="true")})
    run = sitegen("build", cwd=root)
    assert "1 draft(s) left out" in run.stdout
    assert not (root / "public/2024/01/03").exists()
    assert sitegen("build", "--drafts", cwd=root).returncode == 0
    assert (root / "public/2024/01/03/unfinished/index.html").is_file()


def test_same_input_gives_byte_identical_output(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02"), "content/b.txt": SCRAPE,
                 "content/img/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert sitegen("build", "-o", str(tmp_path / "one"), cwd=root).returncode == 0
    time.sleep(1.1)
    assert sitegen("build", "-o", str(tmp_path / "two"), cwd=root).returncode == 0
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_one_shot_build_pauses_the_cycle_collector_and_gives_the_same_files(site, tmp_path, monkeypatch):
    import gc

    from sitegen import build as build_module
    from sitegen.cli import main

    root = site({"content/a.md": article_md("One", "2024-01-02", tags=["x"]),
                 "content/b.md": article_md("Two", "2024-01-03", tags=["x"]), "content/c.txt": SCRAPE})
    seen = []
    resume = build_module._resume_collector

    def resumed() -> None:  # the collector is paused from the build's start to rendering
        seen.append(gc.isenabled())
        resume()
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))

    monkeypatch.setattr(build_module, "_resume_collector", resumed)
    monkeypatch.chdir(root)
    assert main(["build", "-q", "-o", str(tmp_path / "cli"), "-j", "1"]) == 0
    assert seen == [False, (True, True)]
    assert gc.isenabled() and gc.get_freeze_count() == 0  # as it was, for this process goes on
    build_module.build(root, tmp_path / "library", jobs=1)  # serve's and the tests' way: no pause
    assert len(seen) == 2
    assert tree(tmp_path / "cli") == tree(tmp_path / "library")
    # a build that raises leaves the collector on too
    (root / "sitegen.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    assert main(["build", "-q", "-o", str(tmp_path / "bad")]) == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_build_time_comes_from_config_or_source_date_epoch(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02T10:00:00Z", updated="2024-02-03T09:00:00Z")})

    def footer_time(env: dict | None = None) -> str:
        assert sitegen("build", cwd=root, env=env).returncode == 0
        home = lxml.html.parse(str(root / "public/index.html")).getroot()
        return home.find(".//footer//time").get("datetime")

    assert footer_time() == "2024-02-03T09:00:00+00:00"  # the newest change in the input
    assert footer_time({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14T22:13:20+00:00"
    write_files(root, {"sitegen.yaml": "build_time: 2025-05-05T05:05:05+02:00\n"})
    assert footer_time({"SOURCE_DATE_EPOCH": "1700000000"}) == "2025-05-05T03:05:05+00:00"


def test_output_folder_that_is_the_site_or_its_content_is_refused(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    for target in (".", "content", ".."):
        run = sitegen("build", "-o", target, cwd=root)
        assert run.returncode == 2, target
        assert "refusing to build into" in run.stderr
    assert (root / "content/a.md").is_file()
    run = sitegen("build", "-o", "content/out", cwd=root)
    assert run.returncode == 2 and "inside the content folder" in run.stderr


def test_a_folder_that_is_not_a_built_site_is_not_replaced(site, tmp_path):
    root = site({"content/a.md": article_md("One", "2024-01-02"), "notes/keep.txt": "mine"})
    run = sitegen("build", "-o", "notes", cwd=root)
    assert run.returncode == 2 and "does not look like a built site" in run.stderr
    assert (root / "notes/keep.txt").read_text() == "mine"


def test_two_articles_on_one_path_is_an_error_naming_both(site):
    root = site({"sitegen.yaml": "permalinks:\n  article: /{year}/{slug}/\n",
                 "content/a.md": article_md("Same", "2024-01-02", slug="same"),
                 "content/b.md": article_md("Same again", "2024-05-02", slug="same")})
    run = sitegen("build", cwd=root)
    assert run.returncode == 1
    assert "content/b.md:1: error: duplicate slug 'same': also used by content/a.md" in run.stderr


def test_permalink_collision_between_different_slugs(site):
    root = site({"sitegen.yaml": "permalinks:\n  article: /{section}/{slug}/\n",
                 "content/a.md": article_md("Alpha", "2024-01-02", section="A & B", slug="x-y"),
                 "content/b.md": article_md("Beta", "2024-05-02", section="A B", slug="x-y-z")})
    assert sitegen("build", cwd=root).returncode == 0  # distinct paths: no error
    assert (root / "public/a-b/x-y/index.html").is_file() and (root / "public/a-b/x-y-z/index.html").is_file()


def test_config_error_builds_nothing(site):
    root = site({"sitegen.yaml": "title: T\ntimezon: UTC\n", "content/a.md": article_md("One", "2024-01-02")})
    run = sitegen("build", cwd=root)
    assert run.returncode == 2
    assert "sitegen.yaml:2: error: unknown key 'timezon' (did you mean 'timezone'?)" in run.stderr
    assert not (root / "public").exists()


def test_template_error_names_the_template_line_and_keeps_output(site):
    root = site({"content/a.md": article_md("One", "2024-01-02")})
    assert sitegen("build", cwd=root).returncode == 0
    before = tree(root / "public")
    write_files(root, {"templates/article.html": "{% extends 'base.html' %}\n{% block content %}\n{{ article.nope }}\n{% endblock %}\n"})
    run = sitegen("build", cwd=root)
    assert run.returncode == 2
    assert run.stderr.startswith("templates/article.html:3: error: UndefinedError while rendering content/a.md")
    assert tree(root / "public") == before


def test_site_templates_and_static_override_the_theme_file_by_file(site):
    root = site({"content/a.md": article_md("One", "2024-01-02"),
                 "templates/home.html": "{% extends 'base.html' %}{% block content %}<p id=mine>custom home</p>{% endblock %}",
                 "static/css/site.css": "body{color:red}", "static/extra.txt": "x"})
    assert sitegen("build", cwd=root).returncode == 0
    home = lxml.html.parse(str(root / "public/index.html")).getroot()
    assert home.get_element_by_id("mine").text == "custom home"
    assert home.find(".//title") is not None  # the theme's base.html still wraps it
    assert [p.read_text() for p in (root / "public/css").iterdir()] == ["body{color:red}"]  # under a hashed name
    assert (root / "public/extra.txt").is_file()
    article = lxml.html.parse(str(root / "public/2024/01/02/one/index.html")).getroot()
    assert article.find(".//article") is not None  # the theme's article.html


def test_interrupted_build_leaves_the_old_output_whole(site):
    files = {f"content/{i:04d}.md": article_md(f"Story {i}", f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}", body="word " * 200)
             for i in range(2000)}
    root = site(files)
    assert sitegen("build", cwd=root).returncode == 0
    before = tree(root / "public")
    write_files(root, {"content/0000.md": article_md("Story changed", "2023-01-01")})
    proc = subprocess.Popen([sys.executable, "-m", "sitegen", "build"], preexec_fn=default_sigint, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the new site is being written beside the output, then kill the build
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(root.glob(".sitegen-public.*.new/2023")):
        time.sleep(0.01)
    assert any(root.glob(".sitegen-public.*.new")), "the build never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert tree(root / "public") == before
    run = sitegen("build", cwd=root)  # the next build cleans up and publishes
    assert run.returncode == 0
    assert not list(root.glob(".sitegen-public*"))
    assert (root / "public/2023/01/01/story-changed/index.html").is_file()


def test_ctrl_c_stops_the_build_cleanly(site):
    files = {f"content/{i:04d}.md": article_md(f"Story {i}", "2023-01-01", body="word " * 200) for i in range(2000)}
    root = site(files)
    proc = subprocess.Popen([sys.executable, "-m", "sitegen", "build"], preexec_fn=default_sigint, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(root.glob(".sitegen-public.*.new/2023")):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert not (root / "public").exists()
    assert not list(root.glob(".sitegen-public*"))


def test_a_ctrl_c_that_python_drops_still_stops_the_build(site):
    """A Ctrl-C raised where Python drops it (a finalizer) is remembered, and the build stops at
    its next stage as for any Ctrl-C: exit 130, the previous output as it was. It used to run to
    its end and exit 0."""
    root = site({"content/a.md": article_md("One", "2024-01-02", slug="one")})
    assert sitegen("build", cwd=root).returncode == 0
    before = tree(root / "public")
    write_files(root, {"content/a.md": article_md("One changed", "2024-01-02", slug="one")})
    run = subprocess.run([sys.executable, "-c", DROPPED_CTRL_C, "1", "build"], cwd=root, preexec_fn=default_sigint,
                         capture_output=True, text=True, timeout=120)
    assert "Exception ignored" in run.stderr and "KeyboardInterrupt" in run.stderr  # (dropped by Python)
    assert run.returncode == 130, run.stderr
    assert "interrupted; the previous output is unchanged" in run.stderr
    assert tree(root / "public") == before
    assert not list(root.glob(".sitegen-public*"))


def test_python_dash_m_and_help_list_the_options(tmp_path):
    run = sitegen("build", "--help", cwd=tmp_path)
    for option in ("--output", "--strict", "--drafts", "--quiet"):
        assert option in run.stdout


SCRAPE = """ date 2024-07-04 WORLD
2 MIN READ
Headline of the scrape
The standfirst.
A caption. / Photo: AP
July 4, 2024

First paragraph.

Second paragraph.
SOURCE:AFP
"""


def test_the_new_site_replaces_the_old_in_one_atomic_step(tmp_path):
    from sitegen.write import exchange, swap

    old, new = tmp_path / "public", tmp_path / ".sitegen-public.x.new"
    old.mkdir(), new.mkdir()
    (old / "index.html").write_text("old")
    (new / "index.html").write_text("new")
    if sys.platform.startswith("linux"):
        assert exchange(tmp_path / "missing", old) is False  # a failed exchange changes nothing
        assert (old / "index.html").read_text() == "old"
    swap(new, old)
    assert (old / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]
