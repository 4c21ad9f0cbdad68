"""The golden sample site: its whole output is compared file by file with
tests/golden/expected, so every change to output is seen in review.

Regenerate after an intended change with ``pytest tests/test_golden.py --update-golden``
and review the diff in git.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from sitegen.build import build
from sitegen.config import load_config

GOLDEN = Path(__file__).parent / "golden"
SITE = GOLDEN / "site"
EXPECTED = GOLDEN / "expected"
ROOT = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def golden_output(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "public"
    result = build(SITE, out)
    assert result.errors == 0
    return out


def test_output_matches_the_golden_copy(golden_output, update_golden):
    actual = tree(golden_output)
    if update_golden:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(golden_output, EXPECTED)
    expected = tree(EXPECTED)
    problems = []
    for name in sorted(set(actual) | set(expected)):
        if name not in expected:
            problems.append(f"new file in output: {name}")
        elif name not in actual:
            problems.append(f"file missing from output: {name}")
        elif actual[name] != expected[name]:
            diff = difflib.unified_diff(expected[name].decode(errors="replace").splitlines(),
                                        actual[name].decode(errors="replace").splitlines(),
                                        f"expected/{name}", f"actual/{name}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:60]))
    assert not problems, "output differs from tests/golden/expected (rerun with --update-golden to accept):\n" + "\n".join(problems)


def test_the_render_caches_bounds_do_not_change_output(golden_output, tmp_path, monkeypatch):
    """Rows, cached() partials, messages, URLs and dates are kept up to a bound, then dropped: a bound of one
    (each dropped at every new key) gives the same bytes, and no article cache hides the rest."""
    import sitegen.render as render

    for name in ("ROWS_KEPT", "PARTIALS_KEPT", "MESSAGES_KEPT", "URLS_KEPT", "DATES_KEPT"):
        monkeypatch.setattr(render, name, 1)
    result = build(SITE, tmp_path / "out", cache=False, jobs=1)
    assert result.errors == 0 and tree(tmp_path / "out") == tree(golden_output)


def test_golden_site_reports_exactly_its_known_problems():
    result = build(SITE, Path(__import__("tempfile").mkdtemp()) / "out")
    assert [str(d) for d in result.diagnostics] == [
        "content/2024/06/hundred-models.md:13: warning: related article not found: 'Missing story that was never written'",
    ]
    assert (result.articles, result.drafts_skipped) == (3 + 1, 1)


def check_links(output: Path, base_path: str) -> list[str]:
    """Every href and src in every page resolves to a file of the output (and #fragments to an id)."""
    broken = []
    pages = sorted(output.rglob("*.html"))
    ids: dict[Path, set[str]] = {}
    for page in pages:
        doc = lxml.html.parse(str(page)).getroot()
        ids[page] = {el.get("id") for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}
    for page in pages:
        doc = lxml.html.parse(str(page)).getroot()
        for el in doc.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in ("href", "src"):
                url = el.get(attr)
                if url is None:
                    continue
                parts = urlsplit(url)
                if parts.scheme in ("http", "https", "mailto"):
                    continue
                where = f"{page.relative_to(output)}: {el.tag} {attr}={url!r}"
                if parts.scheme or not (parts.path == "" or parts.path.startswith(base_path)):
                    broken.append(f"{where}: not under the base path {base_path}")
                    continue
                target = page if parts.path == "" else output / unquote(parts.path[len(base_path):])
                if parts.path.endswith("/"):
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{where}: no such file")
                elif parts.fragment and target in ids and parts.fragment not in ids[target]:
                    broken.append(f"{where}: no element with id {parts.fragment!r}")
    return broken


def test_every_link_of_the_golden_site_resolves(golden_output):
    assert check_links(golden_output, "/archive/") == []


def test_every_link_of_the_sample_archive_resolves(tmp_path):
    out = tmp_path / "public"
    result = build(ROOT, out)
    assert result.errors == 0
    assert result.articles >= 31
    assert check_links(out, load_config(ROOT).base_path) == []


def test_seed_related_line_resolves_to_the_sample_article(golden_output):
    page = lxml.html.parse(str(golden_output / "2024/07/04/china-calls-for-international-ai-cooperation/index.html")).getroot()
    related = page.xpath("//aside[contains(@class,'related')]")[0]
    links = [a for a in related.iter("a") if "war-of-a-hundred-models" in (a.get("href") or "")]
    assert [a.get("href") for a in links] == ["/archive/2024/06/20/war-of-a-hundred-models/"]


def test_each_article_appears_exactly_once_on_the_home_page(golden_output):
    home = lxml.html.parse(str(golden_output / "index.html")).getroot()
    entries = [el.xpath(".//*[self::h2 or self::h3]/a/@href")[0] for el in home.iter("article")
               if not el.xpath("ancestor::*[contains(@class,'section-block')]")]
    assert sorted(entries) == sorted(["/archive/2024/06/20/war-of-a-hundred-models/", "/archive/2024/07/04/rd-study/",
                                      "/archive/2024/07/05/late-night-vote-passes-budget/",
                                      "/archive/2024/07/04/china-calls-for-international-ai-cooperation/"])


def test_day_pages_list_exactly_the_articles_whose_url_carries_that_day(golden_output):
    """An article's day is its day in the site's zone: in its URL and on the day pages alike."""
    days = sorted(p.parent for p in golden_output.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/index.html"))
    assert days
    listed = []
    for day in days:
        prefix = "/archive/" + day.relative_to(golden_output).as_posix() + "/"
        doc = lxml.html.parse(str(day / "index.html")).getroot()
        entries = [el.xpath(".//*[self::h2 or self::h3]/a/@href")[0] for el in doc.find(".//main").iter("article")]
        assert entries and all(url.startswith(prefix) for url in entries), (prefix, entries)
        listed += entries
    articles = sorted("/archive/" + p.parent.relative_to(golden_output).as_posix() + "/"
                      for p in golden_output.glob("[0-9]*/[0-9]*/[0-9]*/*/index.html"))
    assert sorted(listed) == articles
