"""Page keys: a digest of everything a page's bytes depend on, so a rebuild can skip a page
whose key is the one its file was written with.

A page's bytes come from its template (and the templates it includes), the globals every
template sees (config, build time, messages, navigation, asset names) and its own context:
the salt covers the first two, ``PageKeys.key`` the third. Articles, terms and stories are
digested once per build and stand for themselves in every page that shows them, with the
article's URL (a page links to it). Where the plan makes part of a context only where it is
used (an article page's links and structured data), the key stands for what that part is made
of (``Page.more_inputs``: the article's terms, related list and story) and the planner's code,
in the salt, for the rest. A term or story stands for its names and its members' list
fields (path, URL, date, title, summary, section, image), not their bodies: templates show a
group's count and dates and list its members, and take bodies from the page's own articles.
Feeds and sitemaps are made by code, not templates: they stand for their maker's name and what
the plan says they are made of (``Page.inputs``), and that code is in the salt too.
A value of a kind this module does not know makes the page unkeyable (``None``): it is then
always rendered, never wrongly kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

from sitegen import __version__
from sitegen.bodies import digest_of
from sitegen.indexes import Story, Term
from sitegen.model import Article
from sitegen.plan import Page, Plan

DATES = (datetime, date, time, timedelta)
# The code that turns a context into bytes, besides the templates: a change to it (a filter, a
# date format) must render every page again, even within one sitegen version.
RENDERING_CODE = ("render.py", "i18n.py", "pagekeys.py", "plan/meta.py", "plan/xml.py", "plan/feeds.py",
                  "plan/sitemaps.py", "plan/__init__.py", "plan/pages.py", "plan/urls.py")


SHARED_KEPT = 200_000  # digests of articles, terms and stories kept (then all dropped): bounds each process's share
_FIELDS: dict[type, Callable[[Any], tuple]] = {}  # a dataclass's field values, by a getter made once
# An article's fields but its body, which stands as its digest: repr() of the whole article (its
# body escaped and copied) was most of the cost of digesting it, and the body may be in the store.
_ARTICLE_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Article) if f.name != "body_html"))


class Unkeyable(TypeError):
    """A context value whose bytes this module cannot vouch for."""


def template_salt(folders: Iterable[Path], *parts: Any) -> bytes:
    """A digest of every template file (path and bytes) in ``folders``, of the rendering code and
    of ``parts`` (settings, build time, messages...): any change makes every page's key new."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((__version__, parts)).encode("utf-8"))
    for name in RENDERING_CODE:
        h.update((Path(__file__).parent / name).read_bytes())
    for folder in folders:
        digest_files(h, folder)
    return h.digest()


def digest_files(h: "hashlib._Hash", folder: Path) -> None:
    """Each file's path and bytes under ``folder`` (compiled Python left out) into ``h``, in a
    stable order; nothing when there is no such folder."""
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.blake2b(path.read_bytes(), digest_size=16).digest())


class PageKeys:
    """Keys of the pages of one plan; digests of shared objects are made once and reused."""

    def __init__(self, plan: Plan, salt: bytes):
        self.urls = plan.urls
        # id -> (the object, kept alive so ids stay unique; its digest): articles, terms and stories
        self._shared: dict[int, tuple[Any, str]] = {}
        self._members: dict[int, tuple[Article, bytes]] = {}  # id -> (the article, its digest as a member)
        self.salt = salt + _digest(self.text([plan.nav, plan.feeds, plan.indexes]))

    def key(self, page: Page) -> bytes | None:
        """The page's key, or None when its bytes cannot be vouched for (never kept)."""
        try:
            if page.produce is None:
                context = page.full_context() if page.more_inputs is None else [page.context,
                                                                                 page.more_inputs(page.more_of)]
                text = self.text([page.url, page.template, page.title, page.source, page.description, context,
                                  page.pager])
            elif page.inputs is not None:  # a feed or sitemap: its maker and what it is made of
                maker = getattr(page.produce, "func", page.produce)
                text = self.text([page.url, f"{maker.__module__}.{maker.__qualname__}", page.inputs])
            else:
                return None
        except (Unkeyable, TypeError, ValueError):
            return None
        return self.salt + _digest(text)

    def text(self, value: Any) -> str:
        """``value`` written out as JSON (by the C encoder), with what JSON has no form for
        (dataclasses, dates, articles) turned into plain data by ``plain``."""
        return json.dumps(value, default=self.plain, ensure_ascii=False, check_circular=False)

    def plain(self, value: Any) -> Any:
        """Plain data standing for a value JSON cannot write itself (called by the encoder)."""
        kind = type(value)
        fields_of = _FIELDS.get(kind)
        if fields_of is not None:  # most values: links, related links, pagers, calendar cells
            return kind.__name__, fields_of(value)
        known = self._shared.get(id(value))
        if known is not None:
            return known[1]
        if kind is Article or kind is Term or kind is Story:
            return self._shared_digest(value)
        if isinstance(value, DATES):
            return [kind.__name__, value.isoformat(), str(getattr(value, "tzinfo", ""))]
        if isinstance(value, bytes):
            return ["bytes", value.hex()]
        if kind is frozenset or kind is set:
            return ["set", *sorted(self.text(item) for item in value)]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = [f.name for f in dataclasses.fields(value)]
            getter = operator.attrgetter(*names)
            _FIELDS[kind] = getter if len(names) > 1 else (lambda v, g=getter: (g(v),))
            return self.plain(value)
        raise Unkeyable(f"cannot key a {kind.__name__}")

    def _shared_digest(self, value: Article | Term | Story) -> str:
        known = self._shared.get(id(value))
        if known is not None:
            return known[1]
        if isinstance(value, Article):  # every field, and where it is linked to; the body by its digest
            digest = _digest(repr((_ARTICLE_FIELDS(value), self.urls.get(value.path), digest_of(value)))).hex()
        else:  # a term or a story: its names and its members as listings show them
            names = (value.kind, value.slug, value.name) if isinstance(value, Term) else (value.slug, value.title)
            h = hashlib.blake2b(repr((type(value).__name__, names)).encode("utf-8"), digest_size=16)
            h.update(b"".join(map(self._member, value.articles)))
            digest = h.hexdigest()
        if len(self._shared) >= SHARED_KEPT:
            self._shared.clear()
        self._shared[id(value)] = (value, digest)
        return digest

    def _member(self, article: Article) -> bytes:
        """An article as a member of a term or story: what pages show of the group (its count,
        first and last dates) and of a member in a list. Not the body: an edited body changes the
        article's own pages, not every page that names one of its tags. Made once per article
        (an article is in four or five terms), kept with the shared digests."""
        known = self._members.get(id(article))
        if known is not None:
            return known[1]
        digest = _digest("\0".join((article.path, self.urls.get(article.path) or "", article.date.isoformat(),
                                    article.title, article.summary, article.section, "draft" if article.draft else "",
                                    repr(article.image))))  # joined, not repr() of a tuple: half the time
        if len(self._members) >= SHARED_KEPT:
            self._members.clear()
        self._members[id(article)] = (article, digest)
        return digest


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
