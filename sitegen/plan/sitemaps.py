"""Sitemaps, the Google News sitemap and robots.txt.

``sitemap.xml`` is a sitemap index pointing at one sitemap per month of articles
(``sitemaps/YYYY-MM.xml``: a past month's file stays the same as the archive grows) and at
``sitemaps/pages.xml`` for the listings; a file over the protocol's 50,000 URLs is split
(``-2``, ``-3``…). Every article appears once, with ``lastmod`` from its ``updated`` or
``date``. ``news-sitemap.xml`` lists the articles of the two days before the build time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Callable, Sequence

from sitegen.config import Config
from sitegen.model import Article
from sitegen.plan.xml import el, to_bytes, w3c

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000       # the sitemap protocol's limit per file (and per index)
MAX_NEWS_URLS = 1_000   # Google News' limit per news sitemap
NEWS_WINDOW = timedelta(days=2)
INDEX, NEWS, ROBOTS = "/sitemap.xml", "/news-sitemap.xml", "/robots.txt"


@dataclass(frozen=True, slots=True)
class Entry:
    url: str                   # site path
    lastmod: datetime | None


def made_here(output: str) -> bool:
    """Whether an output path may be one of the files this module makes (a narrow plan makes
    them, and finds what they list, only when one of them is wanted)."""
    return output in ("sitemap.xml", "robots.txt") or output.startswith(("sitemaps/", "news-sitemap"))


def lastmod(articles: Sequence[Article]) -> datetime | None:
    return max((a.updated or a.date for a in articles), default=None)


def split(path: str, items: Sequence, limit: int) -> list[tuple[str, Sequence]]:
    """('/sitemaps/2024-07.xml', first ``limit`` items), ('/sitemaps/2024-07-2.xml', the next)…"""
    stem, dot, suffix = path.rpartition(".")
    parts = [items[i:i + limit] for i in range(0, len(items), limit)] or [items[:0]]
    return [(path if n == 1 else f"{stem}-{n}{dot}{suffix}", part) for n, part in enumerate(parts, 1)]


def urlset(entries: Sequence[Entry], config: Config) -> bytes:
    return to_bytes(el("urlset", [
        el("url", el("loc", config.absolute_url(e.url)),
           el("lastmod", w3c(e.lastmod.astimezone(config.zone))) if e.lastmod else None)
        for e in entries
    ], xmlns=SITEMAP_NS))


def sitemap_index(files: Sequence[Entry], config: Config) -> bytes:
    return to_bytes(el("sitemapindex", [
        el("sitemap", el("loc", config.absolute_url(f.url)),
           el("lastmod", w3c(f.lastmod.astimezone(config.zone))) if f.lastmod else None)
        for f in files
    ], xmlns=SITEMAP_NS))


def news_articles(articles: Sequence[Article], build_time: datetime) -> list[Article]:
    """The articles published in the two days up to the build time, newest first."""
    return [a for a in articles if not a.draft and build_time - NEWS_WINDOW <= a.date <= build_time]


def news_language(tag: str) -> str:
    """A BCP 47 tag as Google News wants it: ISO 639 ('en-GB' -> 'en'), but 'zh-cn' and 'zh-tw'."""
    tag = tag.lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-tw" if any(part in ("tw", "hk", "hant") for part in tag.split("-")) else "zh-cn"
    return tag.split("-")[0]


def news_sitemap(articles: Sequence[Article], urls: dict[str, str], config: Config) -> bytes:
    publication = el("news:publication", el("news:name", config.title), el("news:language", news_language(config.language)))
    return to_bytes(el("urlset", [
        el("url", el("loc", config.absolute_url(urls[a.path])),
           el("news:news", publication,
              el("news:publication_date", w3c(a.date.astimezone(config.zone))),
              el("news:title", a.title)))
        for a in articles
    ], xmlns=SITEMAP_NS, xmlns__news=NEWS_NS))


def robots(config: Config, sitemaps: Sequence[str]) -> bytes:
    lines = ["User-agent: *", "Allow: /", ""] + [f"Sitemap: {config.absolute_url(path)}" for path in sitemaps]
    return ("\n".join(lines) + "\n").encode("utf-8")


def sitemap_files(config: Config, published: Sequence[Article], urls: dict[str, str], listed: Sequence[Entry],
                  build_time: datetime, robots_txt: bool = True) -> list[tuple[str, Callable[[], bytes], tuple]]:
    """(site path, function making its bytes, what they are made of besides the settings) of every
    sitemap file the settings ask for.

    ``published``: the articles with a page, newest first (drafts left out); ``listed``: the
    listing and index pages."""
    made: list[tuple[str, Callable[[], bytes], tuple]] = []
    named: list[str] = []
    if config.sitemaps:
        months: dict[tuple[int, int], list[Entry]] = {}
        for article in reversed(published):  # oldest first, so a month's file only grows at its end
            local = article.date.astimezone(config.zone)
            months.setdefault((local.year, local.month), []).append(Entry(urls[article.path], article.updated or article.date))
        groups = [(f"/sitemaps/{y:04d}-{m:02d}.xml", entries) for (y, m), entries in sorted(months.items())]
        files: list[Entry] = []
        for name, entries in [*groups, ("/sitemaps/pages.xml", listed)]:
            for url, part in split(name, entries, MAX_URLS):
                made.append((url, partial(urlset, tuple(part), config), tuple(part)))
                files.append(Entry(url, max((e.lastmod for e in part if e.lastmod), default=None)))
        made.append((INDEX, partial(sitemap_index, tuple(files), config), tuple(files)))
        named.append(INDEX)
    if config.news_sitemap:
        for url, part in split(NEWS, news_articles(published, build_time), MAX_NEWS_URLS):
            made.append((url, partial(news_sitemap, tuple(part), urls, config), tuple(part)))  # URLs: by article
            named.append(url)
    if named and robots_txt:
        made.append((ROBOTS, partial(robots, config, tuple(named)), tuple(named)))
    return made
