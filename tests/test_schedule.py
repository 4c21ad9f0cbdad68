"""Scheduled and expiring articles: left out of the whole site until (or after) their moment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html

from conftest import article_md, write_files
from sitegen.build import build
from sitegen.schedule import RECORD_NAME
from sitegen.watch import Batcher, Session

FLOOD = "Monsoon floods swept the river valley; rescue boats reached villages cut off by the flood water."
# F is near-identical to A (so it is A's computed related article) and A names it explicitly too.
FILES = {
    "content/a.md": article_md("Floods sweep the valley", "2024-07-01T08:00:00Z", body=FLOOD,
                               tags="[floods, weather]", related="[rescue-boats-reach-villages]"),
    "content/b.md": article_md("Budget passes", "2024-07-02T08:00:00Z", section="Politics",
                               body="Parliament passed the budget after a long night of debate."),
    "content/f.md": article_md("Rescue boats reach villages", "2024-07-10T06:00:00Z", body=FLOOD + " Again.",
                               tags="[floods, weather]", slug="rescue-boats-reach-villages"),
}
F_URL = "/2024/07/10/rescue-boats-reach-villages/"
A_URL = "/2024/07/01/floods-sweep-the-valley/"


def make(site, build_time: str = "", files: dict | None = None) -> Path:
    config = f'build_time: "{build_time}"\nsearch: false\n' if build_time else "search: false\n"
    return site({**FILES, **(files or {}), "sitegen.yaml": config})


def hrefs(path: Path) -> set[str]:
    return {a.get("href") for a in lxml.html.parse(str(path)).getroot().iter("a")}


def sitemap_locs(out: Path) -> set[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = set()
    for file in [out / "news-sitemap.xml", *sorted((out / "sitemaps").glob("*.xml"))]:
        locs |= {loc.text for loc in lxml.etree.parse(str(file)).getroot().iterfind(".//s:loc", ns)}
    return locs


def feed_titles(out: Path) -> dict[str, list[str]]:
    """Entry titles of the site's Atom, RSS (feedparser) and JSON feeds; none of them empty here."""
    titles = {name: [e.title for e in feedparser.parse(str(out / name)).entries] for name in ("feed.xml", "rss.xml")}
    titles["feed.json"] = [item["title"] for item in json.loads((out / "feed.json").read_text("utf-8"))["items"]]
    assert all(titles.values()), titles
    return titles


def record(root: Path) -> dict:
    return json.loads((root / RECORD_NAME).read_text(encoding="utf-8"))


def test_a_future_article_is_left_out_of_every_page_listing_feed_sitemap_and_related_list(site):
    root = make(site, "2024-07-05T12:00:00+00:00")
    result = build(root)
    out = root / "public"
    assert result.diagnostics == ()  # A's reference to F is not "not found": F only waits
    assert (result.articles, result.held_back) == (2, 1)
    assert not (out / F_URL.strip("/")).exists()
    assert (out / A_URL.strip("/") / "index.html").exists()
    for listing in ("index.html", "2024/07/index.html", "tags/floods/index.html", "sections/world/index.html"):
        assert F_URL not in hrefs(out / listing), listing
    assert not (out / "2024/07/10").exists()
    assert all("Rescue boats reach villages" not in titles for titles in feed_titles(out).values())
    assert not any(loc.endswith(F_URL) for loc in sitemap_locs(out))
    assert F_URL not in hrefs(out / A_URL.strip("/") / "index.html")
    assert F_URL not in hrefs(out / A_URL.strip("/") / "related/index.html")
    assert record(root) == {"next_change": "2024-07-10T06:00:00+00:00", "reason": "publish", "path": "content/f.md"}


def test_the_future_article_appears_everywhere_once_now_passes_its_date(site):
    root = make(site, "2024-07-10T06:00:00+00:00")  # the very moment: published
    result = build(root)
    out = root / "public"
    assert (result.articles, result.held_back, result.next_change) == (3, 0, None)
    assert (out / F_URL.strip("/") / "index.html").exists()
    assert F_URL in hrefs(out / "index.html")
    assert F_URL in hrefs(out / "tags/floods/index.html")
    assert all(titles[0] == "Rescue boats reach villages" for titles in feed_titles(out).values())
    assert any(loc.endswith(F_URL) for loc in sitemap_locs(out))
    assert F_URL in hrefs(out / A_URL.strip("/") / "index.html")
    assert F_URL in hrefs(out / A_URL.strip("/") / "related/index.html")
    assert record(root) == {"next_change": None}


def test_source_date_epoch_is_now_when_build_time_is_not_set(site, monkeypatch):
    root = make(site)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2024, 7, 5, tzinfo=timezone.utc).timestamp())))
    assert build(root).held_back == 1
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2024, 7, 11, tzinfo=timezone.utc).timestamp())))
    assert build(root).held_back == 0


def test_without_a_set_time_the_clock_schedules_but_the_shown_time_stays_the_newest_article(site, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = make(site, files={"content/z.md": article_md("From the far future", "2999-01-01T00:00:00Z")})
    result = build(root)
    assert (result.articles, result.held_back) == (3, 1)
    assert result.rebuild_at == datetime(2999, 1, 1, tzinfo=timezone.utc)
    footer = lxml.html.parse(str(root / "public/index.html")).getroot().find(".//footer//time")
    assert footer.get("datetime") == "2024-07-10T06:00:00+00:00"  # the newest shown article, not the clock
    assert record(root) == {"next_change": "2999-01-01T00:00:00+00:00", "reason": "publish", "path": "content/z.md"}


def test_a_fixed_now_never_asks_a_watcher_to_rebuild(site):
    root = make(site, "2024-07-05T12:00:00+00:00")
    result = build(root)
    assert result.next_change is not None and result.rebuild_at is None


def test_expires_takes_an_article_out_after_its_moment(site):
    files = {"content/b.md": article_md("Budget passes", "2024-07-02T08:00:00Z", section="Politics",
                                        expires="2024-07-08 09:00 +02:00")}
    root = make(site, "2024-07-08T06:59:59+00:00", files)
    result = build(root)
    assert result.held_back == 1  # only F, still scheduled
    assert (root / "public/2024/07/02/budget-passes/index.html").exists()
    assert record(root) == {"next_change": "2024-07-08T07:00:00+00:00", "reason": "expire", "path": "content/b.md"}

    write_files(root, {"sitegen.yaml": 'build_time: "2024-07-08T07:00:00+00:00"\nsearch: false\n'})
    result = build(root)
    out = root / "public"
    assert (result.articles, result.held_back) == (1, 2)
    assert not (out / "2024/07/02").exists()
    assert "/2024/07/02/budget-passes/" not in hrefs(out / "index.html")
    assert not (out / "sections/politics").exists()
    assert all("Budget passes" not in titles for titles in feed_titles(out).values())
    assert not any(loc.endswith("/budget-passes/") for loc in sitemap_locs(out))


def test_future_shows_scheduled_articles_but_not_expired_ones(site):
    files = {"content/b.md": article_md("Budget passes", "2024-07-02T08:00:00Z", expires="2024-07-03")}
    root = make(site, "2024-07-05T12:00:00+00:00", files)
    result = build(root, future=True)
    assert (result.articles, result.held_back, result.next_change) == (2, 1, None)
    assert (root / "public" / F_URL.strip("/") / "index.html").exists()


def test_expires_problems_are_reported_at_their_line(site):
    files = {"content/b.md": article_md("Budget passes", "2024-07-02T08:00:00Z", expires="soon"),
             "content/c.md": article_md("Short lived", "2024-07-02T08:00:00Z", expires="2024-07-02T07:00:00Z")}
    result = build(make(site, "2024-07-05T12:00:00+00:00", files))
    assert [str(d) for d in result.diagnostics] == [
        "content/b.md:5: error: cannot read expires 'soon': expected YYYY-MM-DD, optionally with a time "
        "(HH:MM[:SS]) and a zone offset",
        "content/c.md:5: warning: expires is not after date: the article is never shown",
    ]
    assert result.held_back == 2  # F waits; c is never shown (and is no scheduled change)
    assert result.next_change is not None and result.next_change.path == "content/f.md"


def test_the_cli_summary_names_the_next_change(site):
    root = make(site, "2024-07-05T12:00:00+00:00")
    run = subprocess.run([sys.executable, "-m", "sitegen", "build"], cwd=root, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert run.returncode == 0, run.stderr
    line = run.stdout.strip()
    assert line.startswith("2 articles, ") and ", 1 scheduled or expired left out in " in line
    assert line.endswith("; next scheduled change: 2024-07-10T06:00:00+00:00 (content/f.md is published)")


def test_the_batcher_hands_out_an_empty_batch_at_the_timer():
    batcher = Batcher()
    batcher.wake_at(datetime.now(timezone.utc) + timedelta(seconds=0.3))
    assert batcher.next_batch() == frozenset()
    batcher.wake_at(None)
    batcher.add("content/a.md")
    assert batcher.next_batch() == frozenset({"content/a.md"})


def test_a_watching_session_builds_again_when_a_scheduled_article_is_due(site, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    due = (datetime.now(timezone.utc) + timedelta(seconds=2)).replace(microsecond=0)
    root = make(site, files={"content/soon.md": article_md("Soon", due.isoformat())})
    page = root / "public" / f"{due:%Y/%m/%d}/soon/index.html"
    session = Session(root, None, quiet=True)
    first = session.build_once(first=True)
    assert first.rebuild_at == due and not page.exists()
    batch = session.batcher.next_batch()  # waits for the timer: about two seconds
    assert batch == frozenset()
    assert session.build_once(batch).written and page.exists()
    assert record(root) == {"next_change": None}
