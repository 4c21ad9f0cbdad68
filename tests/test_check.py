"""`sitegen check` on real sites: every build diagnostic plus archive health, writing nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, article_md, write_files
from sitegen.cli import main

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'

HEALTH_SITE = {
    "sitegen.yaml": "search: false\n",
    "content/a.md": article_md("Flood warning", "2024-07-01", body="Rivers rose overnight across the valley.",
                               image="/images/missing.jpg"),
    "content/b.md": article_md("Flood Warning!", "2024-07-02", body="The dam held, officials said."),
    "content/c.md": article_md("Bridge reopens", "2024-07-03", body="Rivers  rose overnight\nacross the valley."),
    "content/d.md": "---\ntitle: Market report\ndate: 2024-07-04\n---\n\nShares rose.\n",
    "content/e.md": article_md("Mission to Mars lands", "2999-01-01", body="From the future."),
    "content/f.md": article_md("Court ruling", "2024-07-05", body="Judges ruled.", related="[no-such-story]",
                               image="photo.svg"),
    "content/g.md": article_md("Harbour expansion", "2024-07-06", body="Cranes arrived.",
                               image="https://example.org/crane.jpg"),
    "content/photo.svg": SVG,
    "content/h.txt": " date 2024-07-07\nStorm damage counted\n\nRoofs were torn off.\n",
}

HEALTH_TEXT = [
    "content/a.md:5: warning: image not found: /images/missing.jpg is neither a file of content/ or static/ "
    "nor an absolute URL",
    "content/b.md:2: warning: duplicate title 'Flood Warning!': also the title of content/a.md",
    "content/c.md:1: warning: duplicate body: the same text as content/a.md",
    "content/d.md:1: warning: no section: the article is in no section's pages",
    "content/e.md:3: warning: date 2999-01-01T00:00:00+00:00 is in the future: the article is left out until then",
    "content/f.md:5: warning: related article not found: 'no-such-story'",
    "content/h.txt:1: warning: no section after the date",
]
HEALTH_CODES = ["missing-image", "duplicate-title", "duplicate-body", "no-section", "future-date",
                "unresolved-related", "no-section"]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_check_reports_each_health_problem_and_writes_nothing(site, capsys):
    root = site(HEALTH_SITE)
    before = files_of(root)
    assert main(["check", str(root)]) == 0  # warnings only
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [*HEALTH_TEXT, f"7 articles, {_pages(out)} pages checked: 7 warnings, 0 errors"]
    assert files_of(root) == before
    assert not (root / "public").exists() and not (root / ".sitegen-cache").exists()


def _pages(out: str) -> int:
    return int(out.splitlines()[-1].split(" pages")[0].split(", ")[-1])


def test_strict_makes_warnings_fail(site, capsys):
    root = site(HEALTH_SITE)
    assert main(["check", str(root), "--strict"]) == 1
    assert capsys.readouterr().out.splitlines()[:-1] == HEALTH_TEXT


def test_json_form_has_codes_and_stable_order(site, capsys):
    root = site(HEALTH_SITE)
    assert main(["check", str(root), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["version", "site", "articles", "pages", "errors", "warnings", "diagnostics"]
    assert (report["version"], report["site"], report["articles"], report["errors"], report["warnings"]) == (
        1, root.as_posix(), 7, 0, 7)
    diagnostics = report["diagnostics"]
    assert [list(d) for d in diagnostics] == [["path", "line", "column", "severity", "code", "message"]] * 7
    assert [f"{d['path']}:{d['line']}: {d['severity']}: {d['message']}" for d in diagnostics] == HEALTH_TEXT
    assert [d["code"] for d in diagnostics] == HEALTH_CODES
    assert {d["column"] for d in diagnostics} == {None}


def test_a_clean_site_passes_even_strict(site, capsys):
    root = site({"content/a.md": article_md("Flood warning", "2024-07-01", image="pic.svg"),
                 "content/pic.svg": SVG,
                 "content/b.md": article_md("Bridge reopens", "2024-07-03", body="Other text.", image="/logo.svg"),
                 "static/logo.svg": SVG})
    assert main(["check", str(root), "--strict"]) == 0
    assert capsys.readouterr().out.startswith("2 articles, ")


def test_errors_of_the_build_are_reported_with_their_codes(site, capsys):
    root = site({
        "sitegen.yaml": "search: false\npermalinks:\n  article: /{slug}/\n",
        "content/a.md": article_md("Archive", "2024-07-01", body="A."),  # /archive/ is the archive page's
        "content/b.md": article_md("Bad date", "July 4", body="B."),
        "content/c.md": article_md("One", "2024-07-02", slug="same", body="C."),
        "content/d.md": article_md("Two", "2024-07-03", slug="same", body="D."),
        "content/e.txt": "no date line here\n",
        "templates/article.html": "{% extends 'base.html' %}{% block content %}{{ nope }}{% endblock %}\n",
    })
    assert main(["check", str(root), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    found = [(d["path"], d["line"], d["severity"], d["code"], d["message"]) for d in report["diagnostics"]]
    assert found == [
        ("/archive/", 1, "error", "path-clash", "output path archive/index.html is already written by content/a.md"),
        ("content/b.md", 3, "error", "front-matter",
         "cannot read date 'July 4': expected YYYY-MM-DD, optionally with a time (HH:MM[:SS]) and a zone offset"),
        ("content/d.md", 1, "error", "duplicate-slug", "duplicate slug 'same': also used by content/c.md"),
        ("content/e.txt", 1, "error", "scrape", "expected a ' date YYYY-MM-DD SECTION' line, found 'no date line here'"),
        ("templates/article.html", 1, "error", "template",
         "UndefinedError while rendering content/a.md: 'nope' is undefined"),
    ]
    assert (report["errors"], report["warnings"]) == (5, 0)


def test_a_missing_template_is_reported_once(site, capsys):
    root = site({"sitegen.yaml": "search: false\n",
                 "content/a.md": article_md("One", "2024-07-01", body="A."),
                 "content/b.md": article_md("Two", "2024-07-02", body="B."),
                 "templates/article.html": "{% include 'nothere.html' %}\n"})
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == ["content/a.md:1: error: template not found: nothere.html"]  # not once per article
    assert out[-1].endswith(" pages checked: 0 warnings, 1 errors")


def test_a_config_that_cannot_be_read_exits_2(site, capsys):
    root = site({"sitegen.yaml": "titel: Oops\n", "content/a.md": article_md("A", "2024-07-01")})
    assert main(["check", str(root)]) == 2
    out, err = capsys.readouterr()
    assert out == "sitegen.yaml:1: error: unknown key 'titel' (did you mean 'title'?)\n"
    assert err == "sitegen: nothing checked: the configuration has errors\n"
    assert main(["check", str(root), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert (report["articles"], report["errors"], report["warnings"]) == (0, 1, 0)
    assert report["diagnostics"] == [{"path": "sitegen.yaml", "line": 1, "column": None, "severity": "error",
                                      "code": "config", "message": "unknown key 'titel' (did you mean 'title'?)"}]
    assert main(["check", str(root / "nowhere")]) == 2


def test_check_reads_the_cache_of_a_built_site_but_changes_nothing(site, capsys):
    root = site({"sitegen.yaml": "search: false\n", "content/a.md": article_md("Flood warning", "2024-07-01"),
                 "content/b.md": article_md("Bridge reopens", "2024-07-02", body="Other text.")})
    assert main(["build", str(root)]) == 0
    write_files(root, {"content/b.md": article_md("Flood warning", "2024-07-02", body="Other text.")})
    capsys.readouterr()
    before = files_of(root)
    assert main(["check", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "content/b.md:2: warning: duplicate title 'Flood warning': also the title of content/a.md")
    assert files_of(root) == before  # neither the output nor the cache was touched


def test_python_m_sitegen_check_json(site):
    root = site(HEALTH_SITE)
    run = subprocess.run([sys.executable, "-m", "sitegen", "check", "--format", "json"], cwd=root,
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["site"] == "."
    assert [d["code"] for d in report["diagnostics"]] == HEALTH_CODES
