"""Atom 1.0, RSS 2.0 and JSON Feed 1.1: for the whole site and for each section (tags and
authors by a config switch), each with the latest ``feeds.entries`` articles.

A feed is three pages of the plan (``feed.xml``, ``rss.xml``, ``feed.json`` in the folder of
the page it follows), so its paths are claimed like any page's. Every URL in a feed is
absolute, under ``base_url``; dates carry their offset.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable, Sequence
from urllib.parse import urljoin

from sitegen import __version__
from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.config import Config
from sitegen.indexes import Term
from sitegen.model import Article, slugify
from sitegen.plan.xml import el, to_bytes, w3c

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# (file name, media type, label): the three formats of every feed
FORMATS = (("feed.xml", "application/atom+xml", "Atom"),
           ("rss.xml", "application/rss+xml", "RSS"),
           ("feed.json", "application/feed+json", "JSON Feed"))
URL_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


@dataclass(frozen=True, slots=True)
class FeedLink:
    """An autodiscovery link: ``<link rel="alternate" type=… title=… href=…>``."""
    title: str
    type: str
    url: str  # site path


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    description: str
    home: str                        # site path of the HTML page the feed follows
    articles: tuple[Article, ...]    # its entries, newest first
    updated: datetime

    def url(self, name: str) -> str:
        return self.home + name

    @property
    def links(self) -> tuple[FeedLink, ...]:
        return tuple(FeedLink(f"{self.title} ({label})", kind, self.url(name)) for name, kind, label in FORMATS)


@dataclass(frozen=True, slots=True)
class FeedSite:
    """What every feed needs from the site: settings, the URL of each article, the terms, bodies."""
    config: Config
    urls: dict[str, str]                  # article path -> site path
    terms: dict[str, dict[str, Term]]     # kind -> slug -> term, for the shown spelling of names
    bodies: BodyStore = NO_BODIES         # for full content: the bodies articles do not hold

    def categories(self, article: Article) -> list[str]:
        """The article's section and tags, each as its term shows it ('Business', not 'BUSINESS')."""
        names = [("section", article.section)] if article.section else []
        shown = []
        for kind, name in names + [("tag", tag) for tag in article.tags]:
            term = self.terms.get(kind, {}).get(slugify(name))
            if (term.name if term else name) not in shown:
                shown.append(term.name if term else name)
        return shown


def make_feed(title: str, description: str, home: str, articles: Sequence[Article], entries: int,
              fallback: datetime) -> Feed:
    """A feed of the newest ``entries`` articles (drafts never), updated at the newest change."""
    chosen = tuple(a for a in articles if not a.draft)[:entries]
    updated = max((a.updated or a.date for a in chosen), default=fallback)
    return Feed(title, description, home, chosen, updated)


def producers(feed: Feed, site: FeedSite) -> list[tuple[str, Callable[[], bytes], tuple]]:
    """(site path, function making its bytes, what they are made of) for the feed's three formats.

    What they are made of, besides the settings: the feed and its entries (each article stands
    with its URL and body in a page key), and the names of the entries' categories, which are
    the terms' spellings chosen across the whole archive."""
    makers = {"feed.xml": atom, "rss.xml": rss, "feed.json": json_feed}
    inputs = (feed, tuple(tuple(site.categories(article)) for article in feed.articles))
    return [(feed.url(name), partial(makers[name], feed, site), inputs) for name, _, _ in FORMATS]


def _local(moment: datetime, config: Config) -> datetime:
    return moment.astimezone(config.zone)


def _content(article: Article, url: str, site: FeedSite) -> str:
    """The body with its links and images made absolute, as feed readers need them."""
    return URL_ATTRIBUTE.sub(lambda m: m.group(1) + urljoin(url, m.group(2).replace("&amp;", "&")).replace("&", "&amp;")
                             + m.group(3), site.bodies.html(article))


def atom(feed: Feed, site: FeedSite) -> bytes:
    config = site.config
    entries = []
    for article in feed.articles:
        url = config.absolute_url(site.urls[article.path])
        entries.append(el(
            "entry",
            el("title", article.title, type_="text"),
            el("link", rel="alternate", type_="text/html", href=url),
            el("id", url),
            el("published", w3c(_local(article.date, config))),
            el("updated", w3c(_local(article.updated or article.date, config))),
            [el("author", el("name", name)) for name in article.authors],
            [el("category", term=name) for name in site.categories(article)],
            el("summary", article.summary, type_="text") if article.summary else None,
            el("content", _content(article, url, site), type_="html") if config.feeds.full_content else None,
        ))
    root = el(
        "feed",
        el("title", feed.title, type_="text"),
        el("subtitle", feed.description, type_="text") if feed.description else None,
        el("link", rel="self", type_="application/atom+xml", href=config.absolute_url(feed.url("feed.xml"))),
        el("link", rel="alternate", type_="text/html", href=config.absolute_url(feed.home)),
        el("id", config.absolute_url(feed.url("feed.xml"))),
        el("updated", w3c(_local(feed.updated, config))),
        el("author", el("name", config.title)),
        el("generator", "sitegen", version=__version__),
        entries,
        xmlns=ATOM_NS, xml__lang=config.language,
    )
    return to_bytes(root)


def rss(feed: Feed, site: FeedSite) -> bytes:
    from email.utils import format_datetime  # (only here: a rebuild whose feeds are as they were makes none)

    config = site.config
    full = config.feeds.full_content
    items = []
    for article in feed.articles:
        url = config.absolute_url(site.urls[article.path])
        items.append(el(
            "item",
            el("title", article.title),
            el("link", url),
            el("guid", url, isPermaLink="true"),
            el("pubDate", format_datetime(_local(article.date, config))),
            el("description", article.summary) if article.summary else None,
            el("content:encoded", _content(article, url, site)) if full else None,
            [el("dc:creator", name) for name in article.authors],
            [el("category", name) for name in site.categories(article)],
        ))
    channel = el(
        "channel",
        el("title", feed.title),
        el("link", config.absolute_url(feed.home)),
        el("description", feed.description or feed.title),
        el("language", config.language),
        el("lastBuildDate", format_datetime(_local(feed.updated, config))),
        el("generator", f"sitegen {__version__}"),
        el("atom:link", href=config.absolute_url(feed.url("rss.xml")), rel="self", type_="application/rss+xml"),
        items,
    )
    namespaces = {"xmlns__atom": ATOM_NS, "xmlns__dc": "http://purl.org/dc/elements/1.1/"}
    if full:
        namespaces["xmlns__content"] = "http://purl.org/rss/1.0/modules/content/"
    return to_bytes(el("rss", channel, version="2.0", **namespaces))


def json_feed(feed: Feed, site: FeedSite) -> bytes:
    config = site.config
    items = []
    for article in feed.articles:
        url = config.absolute_url(site.urls[article.path])
        item: dict = {"id": url, "url": url, "title": article.title}
        if config.feeds.full_content:
            item["content_html"] = _content(article, url, site)
        else:
            item["content_text"] = article.summary or article.title
        if article.summary:
            item["summary"] = article.summary
        if article.image and article.image.src:
            item["image"] = config.absolute_url(article.image.src)
        item["date_published"] = w3c(_local(article.date, config))
        item["date_modified"] = w3c(_local(article.updated or article.date, config))
        if article.authors:
            item["authors"] = [{"name": name} for name in article.authors]
        tags = site.categories(article)
        if tags:
            item["tags"] = tags
        items.append(item)
    document: dict = {"version": JSON_FEED_VERSION, "title": feed.title,
                      "home_page_url": config.absolute_url(feed.home),
                      "feed_url": config.absolute_url(feed.url("feed.json"))}
    if feed.description:
        document["description"] = feed.description
    document.update({"language": config.language, "authors": [{"name": config.title}], "items": items})
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
