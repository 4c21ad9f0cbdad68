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

A page whose rendering read nothing of the sections, tags, authors and sources it shows but
their names (an article page of the default theme: its section and tags as links) is keyed by
those names alone, not by the groups' members (``key(page, names=True)``, see
Renderer.names_only): an article added to a section of 800 articles would otherwise render all
800 pages again, to the same bytes. Such a key ends in a byte that says so, so the next build
makes it the same way (a key of an older build that ends so by chance is only made again); a
page whose rendering reads a group's count or articles is keyed by its members again.

Keying every page is itself O(pages): about 0.1 ms each, a second of each edit at 10,000
articles. So each page's key is kept with what it was made of (its ``deps``: the articles it
digests whole, and the articles whose related lists it reads), and the build's ``KeyRecord``
(a digest of all the rest: the salt and everything the plan is made of but bodies and
related lists, each article's body and each related list) goes with the manifest. When the
next build's basis is the same (an edit to bodies only, the common case), a page none of whose
deps changed takes its key as it was, unread.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from array import array
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

import orjson

from sitegen import __version__
from sitegen.bodies import digest_of
from sitegen.digests import planned_digest
from sitegen.indexes import Indexes, Story, Term
from sitegen.indexes.lazy import np, within
from sitegen.model import Article
from sitegen.plan import Page, Plan

DATES = (datetime, date, time, timedelta)
# The code that turns a context into bytes, besides the templates: a change to it (a filter, a
# date format) must render every page again, even within one sitegen version.
RENDERING_CODE = ("render.py", "i18n.py", "pagekeys.py", "plan/meta.py", "plan/xml.py", "plan/feeds.py",
                  "plan/sitemaps.py", "plan/__init__.py", "plan/pages.py", "plan/urls.py")


# JSON of page contexts: dataclasses and dates go to PageKeys.plain; dict keys may be numbers
# (as json wrote them). orjson, not the standard library's json: keys are made for every page,
# and it writes an article page's context in 15 µs against 26 µs, a listing page's in 11 against 22.
_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
DEPS = "I"  # a page's deps as an array of this type (see PageKeys._dep)
# The last byte of a key: made with the groups a page shows by their names alone, or by their members.
NAMES_ONLY, MEMBERS = b"\x01", b"\x00"
NO_DEP = -2  # the dep of a term: none (the basis covers them)
RECORD_PART = 10_000  # articles digested at a time in a KeyRecord's basis
SHARED_KEPT = 200_000  # digests of articles, terms and stories kept (then all dropped): bounds each process's share
_FIELDS: dict[type, Callable[[Any], tuple]] = {}  # a dataclass's field values, by a getter made once


class KeyRecord(NamedTuple):
    """What one build's page keys were made of besides each page's own deps, kept with its manifest
    (as a plain tuple: a build that finds nothing changed reads the manifest without this module)."""
    basis: bytes   # the salt, and all the plan is made of but the articles' bodies and related lists (with ``articles``)
    bodies: bytes  # 16 bytes per article (the index's order): its body and reading time
    lists: bytes   # 16 bytes per article: its related list as pages show it (RelatedLists.row_digests), its story
    stories: bytes  # 16 bytes per story: its title and articles
    # (kind, slug) -> a term's digest, as this build made it or took it from the last (the same
    # basis gives every term the same members): an edited article's page names its terms, whose
    # digests read all their members (0.1 s after an edit at 10,000 articles)
    terms: dict[tuple[str, str], str]
    articles: bytes  # the part of the basis made before the plan: every article's fields but its body (``Prepared``)


class Prepared(NamedTuple):
    """What a KeyRecord is made of besides the plan and the salt, made from the indexes alone
    before planning (``prepare``): the last build's record tells from it whether its plan can
    stand, and which of its pages a narrow plan must make (see build.Narrowing)."""
    articles: bytes  # every article's fields in order but its body, the explicit references, the stories' slugs
    bodies: bytes    # 16 bytes per article: its body and reading time
    lists: bytes     # 16 bytes per article: its related list as pages show it, its story
    stories: bytes   # 16 bytes per story: its title and articles


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
    """Keys of the pages of one plan; digests of shared objects are made once and reused.

    With ``indexes`` (those the plan was made from), each key is recorded with its deps (see the
    module's notes): ``record`` then stands for this build, and ``reuse`` takes the keys of the
    last build's pages whose deps did not change."""

    def __init__(self, plan: Plan, salt: bytes, indexes: Indexes | None = None, provided: Iterable[str] = (),
                 prepared: Prepared | None = None):
        self.urls = plan.urls
        # id -> (the object, kept alive so ids stay unique; its digest; its dep): articles, terms and stories
        self._shared: dict[int, tuple[Any, str, int]] = {}
        self._members: dict[int, tuple[Article, bytes]] = {}  # id -> (the article, its digest as a member)
        self._number = {a.path: i for i, a in enumerate(indexes.articles)} if indexes is not None else None
        self._stories = {s.slug: 2 * len(indexes.articles) + k for k, s in enumerate(indexes.stories)} \
            if indexes is not None else {}
        self._kept: dict[str, tuple[bytes, bytes]] = {}  # output -> (key, deps) taken from the last build
        self._used: list[int] = []  # the deps of the page being keyed (-1: one that cannot be numbered)
        self._last: tuple[Page | None, bytes | None] = (None, None)
        self._names = False  # keying the page at hand with its groups by their names alone
        self.salt = salt + _digest16(self.text([plan.nav, plan.feeds, plan.indexes]))
        # ``provided``: the output paths of copied files, which decide whether some pages are made
        if indexes is not None:
            made = prepared or prepare(indexes)
            self.record: KeyRecord | None = KeyRecord(
                _basis(plan, self.salt + repr(sorted(provided)).encode("utf-8", "surrogateescape"), made.articles),
                *made[1:], {}, made.articles)
        else:
            self.record = None

    def reuse(self, entries: dict[str, Any] | None, record: Any, kept: dict[str, tuple[bytes, bytes]] | None = None) -> int:
        """Take the keys of ``entries`` (the last build's manifest, made with ``record``) whose deps
        did not change, when this build's basis is that build's; returns how many. ``kept``: what
        ``kept_keys`` found of the same entries, when the caller asked it first."""
        mine = self.record
        if mine is None or not entries or not isinstance(record, tuple) or len(record) != len(KeyRecord._fields):
            return 0
        record = KeyRecord(*record)
        if record.basis != mine.basis:
            return 0
        if kept is None:
            kept = kept_keys(entries, record, Prepared(mine.articles, *mine[1:4]))
            if kept is None:
                return 0
        mine.terms.update(record.terms)
        self._kept = kept
        return len(self._kept)

    def key(self, page: Page, names: bool = False) -> bytes | None:
        """The page's key, or None when its bytes cannot be vouched for (never kept). ``names``:
        with the sections, tags, authors and sources it shows by their names alone, for a page
        whose rendering read no more of them (see the module's notes)."""
        kept = self._kept.get(page.output) if self._kept else None
        if kept is not None:
            self._last = (page, kept[1])
            return kept[0]
        self._used = used = []
        self._last = (page, None)
        self._names = names
        try:
            if page.produce is None:
                context = page.full_context() if page.more_inputs is None else [page.context,
                                                                                 page.more_inputs(page.more_of)]
                text = self.text([page.url, page.template, page.title, page.source, page.description, context,
                                  page.pager])
                if page.more is not None:  # reads the related list of more_of (an article's page, its related page)
                    used.append(self._dep(page.more_of, 1))
            elif page.inputs is not None:  # a feed or sitemap: its maker and what it is made of
                maker = getattr(page.produce, "func", page.produce)
                text = self.text([page.url, f"{maker.__module__}.{maker.__qualname__}", page.inputs])
            else:
                return None
        except (Unkeyable, TypeError, ValueError):
            return None
        if self._number is not None and -1 not in used:
            self._last = (page, array(DEPS, sorted(set(used))).tobytes())
        return self.salt + _digest16(text) + (NAMES_ONLY if names else MEMBERS)

    def settled(self, page: Page, key: bytes | None, names: bool) -> bytes | None:
        """The key of a page just rendered, as its rendering calls for (``names``: it read only the
        names of the groups it shows): ``key`` (made before rendering, or None) when it was made
        so, else one made now (its deps then this one's)."""
        if key is not None and names_only(key) == names:
            return key
        return self.key(page, names and page.produce is None)

    def deps(self, page: Page) -> bytes | None:
        """What the key ``key`` just gave ``page`` was made of (None: it cannot be taken again unread)."""
        return self._last[1] if self._last[0] is page else None

    def _dep(self, value: Any, kind: int) -> int:
        """The dep of an article: 2n for its whole digest, 2n + 1 for its related list and story
        (n: its place in the index), -1 when it is not in the index (the page is then always
        keyed). A story's is 2N + k (N articles, k: its place)."""
        number = self._number.get(getattr(value, "path", None)) if self._number is not None else None
        return -1 if number is None or type(value) is not Article else 2 * number + kind

    def text(self, value: Any) -> bytes:
        """``value`` written out as JSON (UTF-8, by orjson), with what ``plain`` turns into plain
        data in place of what JSON has no form for (dataclasses, dates, articles, named tuples).
        orjson's own forms of dataclasses and dates are passed to ``plain`` instead, so that links
        and articles are keyed as that says. Raises TypeError (orjson.JSONEncodeError) for what
        cannot be keyed: an unknown kind, a string that is not Unicode text (a lone surrogate
        from an undecodable file name), an integer beyond 64 bits."""
        return orjson.dumps(value, default=self.plain, option=_JSON_OPTIONS)

    def plain(self, value: Any) -> Any:
        """Plain data standing for a value JSON cannot write itself (called by the encoder)."""
        kind = type(value)
        # Articles first (most values, with links, related links and pagers); a term keyed by
        # its members unless the page is keyed by the names of its groups.
        if kind is Article or kind is Story or (kind is Term and not self._names):
            known = self._shared.get(id(value))
            if known is None:
                return self._shared_digest(value)
            if known[2] != NO_DEP:
                self._used.append(known[2])
            return known[1]
        if kind is Term:
            return "Term", value.kind, value.slug, value.name
        fields_of = _FIELDS.get(kind)
        if fields_of is not None:  # links, related links, pagers, calendar cells
            return kind.__name__, fields_of(value)
        if isinstance(value, DATES):
            return [kind.__name__, value.isoformat(), str(getattr(value, "tzinfo", ""))]
        if isinstance(value, bytes):
            return ["bytes", value.hex()]
        if kind is frozenset or kind is set:
            return ["set", *sorted(self.text(item).decode("utf-8") for item in value)]
        if isinstance(value, tuple):  # a named tuple (orjson leaves tuple subclasses to ``default``): as json wrote it
            return list(value)
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
        if isinstance(value, Article):  # every field (kept digests), its body's digest, and where it is linked to
            digest = _digest16(planned_digest(value) + digest_of(value) + value.reading_time.to_bytes(8, "little", signed=True)
                               + repr(self.urls.get(value.path)).encode("utf-8", "surrogateescape")).hex()
            dep = self._dep(value, 0)
        else:  # a term or a story: its names and its members as listings show them
            term = (value.kind, value.slug) if isinstance(value, Term) else None
            terms = self.record.terms if self.record is not None else {}
            digest = terms.get(term) if term else None
            if digest is None:
                names = (value.kind, value.slug, value.name) if term else (value.slug, value.title)
                h = hashlib.blake2b(repr((type(value).__name__, names)).encode("utf-8"), digest_size=16)
                h.update(b"".join(map(self._member, value.articles)))
                digest = h.hexdigest()
                if term:
                    terms[term] = digest
            dep = self._stories.get(value.slug, -1) if isinstance(value, Story) and self._number is not None else NO_DEP
        if dep != NO_DEP:
            self._used.append(dep)
        if len(self._shared) >= SHARED_KEPT:
            self._shared.clear()
        self._shared[id(value)] = (value, digest, dep)
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


def names_only(key: bytes) -> bool:
    """Whether ``key`` was made with the groups its page shows by their names alone."""
    return key.endswith(NAMES_ONLY)


def kept_keys(entries: dict[str, Any], record: Any, prepared: Prepared) -> dict[str, tuple[bytes, bytes]] | None:
    """output -> (key, deps) of the last build's ``entries`` none of whose deps differ between
    its ``record`` and this build's: the keys that stand if this build's basis turns out to be
    that build's. None when it cannot be: no record, one of other shape or size, or other
    articles (``Prepared.articles``: a title, a date, a tag changed; an article added)."""
    if not isinstance(record, tuple) or len(record) != len(KeyRecord._fields):
        return None
    old = KeyRecord(*record)
    if old.articles != prepared.articles or any(not isinstance(o, bytes) or len(o) != len(new)
                                                for o, new in zip(old[1:4], prepared[1:])):
        return None
    _, bodies, lists, stories = prepared
    first_story = 2 * (len(bodies) // 16)  # 2N: the first story's dep
    changed = {*_differing(old.bodies, bodies, 2, 0), *_differing(old.lists, lists, 2, 1),
               *(first_story + k for k in _differing(old.stories, stories, 1, 0))}
    return _unchanged(entries, changed)


def _unchanged(entries: dict[str, Any], changed: set[int]) -> dict[str, tuple[bytes, bytes]]:
    """output -> (key, deps) of the ``entries`` that have both and none of whose deps is ``changed``:
    their deps joined and looked up at once (an array per entry was 0.05 s at 10,000 articles)."""
    keyed = [(rel, entry.key, entry.deps) for rel, entry in entries.items()
             if entry.deps is not None and entry.key is not None]
    size = array(DEPS).itemsize
    deps = np.frombuffer(b"".join(deps for _, _, deps in keyed), dtype=np.dtype(DEPS))
    owner = np.repeat(np.arange(len(keyed)), [len(deps) // size for _, _, deps in keyed])
    stale = np.zeros(len(keyed), dtype=bool)
    stale[owner[within(deps, np.fromiter(changed, dtype=np.int64, count=len(changed)))]] = True
    return {rel: (key, deps) for (rel, key, deps), old in zip(keyed, stale.tolist()) if not old}


def _basis(plan: Plan, salt: bytes, articles: bytes) -> bytes:
    """A KeyRecord's basis: what decides every page's context besides the articles' bodies,
    related lists and stories: the salt (templates, settings, build time, the plan's navigation,
    the copied files), the articles (``Prepared.articles``) and their URLs."""
    h = hashlib.blake2b(salt + articles, digest_size=16)
    urls = list(plan.urls.items())
    for start in range(0, len(urls), RECORD_PART):
        h.update("\0".join(text for pair in urls[start:start + RECORD_PART] for text in pair).encode(
            "utf-8", "surrogateescape") + b"\0")
    return h.digest()


def prepare(indexes: Indexes) -> Prepared:
    """What a KeyRecord is made of besides the plan (see ``Prepared``): the articles' part joins the
    digests kept with each article (digests.py; repr() of every article's fields was 0.1 s at
    10,000 articles)."""
    articles = indexes.articles
    h = hashlib.blake2b(b"".join(map(planned_digest, articles)), digest_size=16)
    h.update(repr(sorted((path, [(i.article.path if i.article else None, i.text) for i in items])
                         for path, items in indexes.related.items())).encode("utf-8", "surrogateescape"))
    h.update(repr([s.slug for s in indexes.stories]).encode("utf-8", "surrogateescape"))
    bodies = b"".join(_digest16(digest_of(a) + a.reading_time.to_bytes(8, "little")) for a in articles)
    lists = indexes.similar.row_digests(articles)
    if indexes.story_of:  # an article's page shows its story: a list and a story are read together
        story_of = indexes.story_of
        lists = b"".join(_digest16(lists[16 * i:16 * i + 16] + (
            story_of[a.path].slug.encode("utf-8", "surrogateescape") if a.path in story_of else b"\0"))
            for i, a in enumerate(articles))
    stories = b"".join(_digest16(repr((s.slug, s.title, [a.path for a in s.articles])).encode(
        "utf-8", "surrogateescape")) for s in indexes.stories)
    return Prepared(h.digest(), bodies, lists, stories)


def _digest16(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _differing(old: bytes, new: bytes, times: int, plus: int) -> Iterable[int]:
    """times * n + plus for each n where the 16 bytes of two records' columns differ."""
    if old == new:
        return ()
    return (times * (i // 16) + plus for i in range(0, len(new), 16) if old[i:i + 16] != new[i:i + 16])


def _digest(text: str) -> bytes:
    return _digest16(text.encode("utf-8"))
