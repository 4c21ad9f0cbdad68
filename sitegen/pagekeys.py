"""Page keys: a digest of everything a page's bytes depend on, so a rebuild can skip a page
whose key is the one its file was written with.

A page's bytes come from its template (and the templates it includes), the globals every
template sees (config, build time, messages, navigation, asset names) and its own context:
the salt covers the first two, ``PageKeys.key`` the third. Articles, terms and stories are
digested once per build and stand for themselves in every page that shows them, with the
article's URL (a page links to it). Where the plan makes part of a context only where it is
used (an article page's links and structured data), the key stands for what that part is made
of (``Page.more_inputs``: the article's terms, related list and story) and the planner's code,
in the salt, for the rest. A term or story stands for its names and its members' fields (their
URLs follow from them), not their bodies (``prepare``): templates show a group's count and dates and list its
members, and take bodies from the page's own articles.
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
digests whole, the articles whose related lists and neighbours it reads, the stories it shows,
and the lists it shows a window of or counts from: ``Page.lists``), and the build's
``KeyRecord`` (the salt, and per article, story and list a digest, each named by its identity)
goes with the manifest. When the next build's salt is the same, a page none of whose deps
changed takes its key as it was, unread, and is not even planned (see build.Narrowing): an
edited body plans the pages that show that article; an added article those of the lists it
joins and of its neighbours, though it moves every older article a place down.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from array import array
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import orjson

from sitegen import __version__
from sitegen.bodies import digest_of
from sitegen.digests import planned_digest, row_id
from sitegen.indexes import Indexes, Story, Term
from sitegen.indexes.lazy import np
from sitegen.model import Article
from sitegen.plan import Page, Plan
from sitegen.plan.pages import kind_list, name_list, period_list, term_list

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
NO_DEP = -2  # the dep of a term or story when pages are keyed without a record: none
SHARED_KEPT = 200_000  # digests of articles, terms and stories kept (then all dropped): bounds each process's share
_FIELDS: dict[type, Callable[[Any], tuple]] = {}  # a dataclass's field values, by a getter made once


class KeyRecord(NamedTuple):
    """What one build's page keys were made of besides each page's own deps, kept with its manifest
    (as a plain tuple: a build that finds nothing changed reads the manifest without this module).
    Articles, stories and lists are named by identity (``ids``, ``story_slugs``, ``groups``' keys),
    so the next build can match its own to them wherever they moved (an article added at the head
    moves every other one place down)."""
    basis: bytes    # the salt: templates, settings, build time, navigation, feed links, copied files
    ids: bytes      # 8 bytes per article (the index's order): its identity (digests.row_id)
    fields: bytes   # 16 bytes per article: every field but the body (digests.planned_digest; its URL follows)
    bodies: bytes   # 16 bytes per article: its body and reading time
    lists: bytes    # 16 bytes per article: what its page shows besides its fields (Prepared.lists)
    story_slugs: tuple[str, ...]
    stories: bytes  # 16 bytes per story: its title and articles
    groups: dict[str, bytes]  # a list pages show a window of or a count from (see ``prepare``) -> its digest


class Prepared(NamedTuple):
    """What a KeyRecord is made of besides the salt, made from the indexes alone before planning
    (``prepare``): the last build's record tells from it which of its pages a narrow plan must
    make again (see build.Narrowing)."""
    ids: bytes
    fields: bytes
    bodies: bytes
    lists: bytes    # 16 bytes per article: its related list as pages show it, its explicit references, its story, its neighbours
    story_slugs: tuple[str, ...]
    stories: bytes
    groups: dict[str, bytes]


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
        self._groups: dict[str, bytes] = {}  # a list's id -> its digest (see ``prepare``)
        self._group_dep: dict[str, int] = {}  # and its dep
        # ``provided``: the output paths of copied files, which decide whether some pages are made
        if indexes is not None:
            made = prepared or prepare(indexes)
            self.record: KeyRecord | None = KeyRecord(
                _digest16(self.salt + repr(sorted(provided)).encode("utf-8", "surrogateescape")), *made)
            self._groups = made.groups
            first = 2 * len(indexes.articles) + len(indexes.stories)
            self._group_dep = {name: first + j for j, name in enumerate(made.groups)}
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
            kept = kept_keys(entries, record, Prepared(*mine[1:]))
            if kept is None:
                return 0
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
        used.extend(self._group_dep.get(name, -1) for name in page.lists)  # it shows a window of these, or counts
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
        if kind is Term:  # by its names: they change with the spelling most of its articles use
            if self._number is not None:
                self._used.append(self._group_dep.get(name_list(value.kind, value.slug), -1))
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
            term = term_list(value.kind, value.slug) if isinstance(value, Term) else None
            digest = self._groups[term].hex() if term in self._groups else None
            if digest is None:
                names = (value.kind, value.slug, value.name) if term else (value.slug, value.title)
                h = hashlib.blake2b(repr((type(value).__name__, names)).encode("utf-8"), digest_size=16)
                h.update(b"".join(map(self._member, value.articles)))
                digest = h.hexdigest()
            if term:
                dep = self._group_dep.get(term, -1) if self._number is not None else NO_DEP
            else:
                dep = self._stories.get(value.slug, -1) if self._number is not None else NO_DEP
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
    its ``record`` and this build's ``prepared``, with their deps numbered as this build numbers
    them: the keys that stand if this build's basis turns out to be that build's. Articles,
    stories and lists are matched by identity, so an article added or deleted changes only the
    pages that show it, its neighbours or a list it is in. None when it cannot be: no record,
    or one of another shape."""
    old = _record(record)
    if old is None:
        return None
    n_old, n_new = len(old.ids) // 8, len(prepared.ids) // 8
    ranked = np.sort(np.frombuffer(prepared.ids, dtype=np.uint64))  # (not np.unique: it imports numpy.ma, 15 ms)
    if (ranked[1:] == ranked[:-1]).any():  # two articles of one identity (8 bytes alike): no matching
        return None
    row = _rows(old.ids, prepared.ids)  # each old article's row in this build (-1: gone)
    gone = row < 0
    mapped = np.where(gone, 0, row)

    def moved(old_column: bytes, new_column: bytes) -> np.ndarray:  # per old article: its 16 bytes differ
        if not n_new:
            return np.ones(n_old, dtype=bool)
        before = np.frombuffer(old_column, dtype=np.uint64).reshape(-1, 2)
        after = np.frombuffer(new_column, dtype=np.uint64).reshape(-1, 2)[mapped]
        return (before != after).any(axis=1) | gone

    whole = moved(old.fields, prepared.fields) | moved(old.bodies, prepared.bodies)
    listed = moved(old.lists, prepared.lists)
    story_at = {slug: k for k, slug in enumerate(prepared.story_slugs)}
    group_at = {name: j for j, name in enumerate(prepared.groups)}
    s_new = len(prepared.story_slugs)
    stories = [story_at.get(slug, -1) for slug in old.story_slugs]
    story_stale = [k < 0 or old.stories[16 * i:16 * i + 16] != prepared.stories[16 * k:16 * k + 16]
                   for i, k in enumerate(stories)]
    groups = [group_at.get(name, -1) for name in old.groups]
    group_stale = [j < 0 or digest != prepared.groups[name] for (name, digest), j in zip(old.groups.items(), groups)]
    # per old dep: stale or not, and its number in this build
    stale = np.concatenate([np.repeat(whole, 2), np.asarray(story_stale, dtype=bool), np.asarray(group_stale, dtype=bool)])
    stale[1:2 * n_old:2] = listed
    number = np.concatenate([np.stack([2 * mapped, 2 * mapped + 1], axis=1).reshape(-1),
                             2 * n_new + np.asarray(stories, dtype=np.int64),
                             2 * n_new + s_new + np.asarray(groups, dtype=np.int64)]).astype(np.int64)
    same = n_old == n_new and s_new == len(old.story_slugs) and np.array_equal(number, np.arange(len(number)))
    return _unchanged(entries, stale, None if same else number)


def changed_articles(record: Any, prepared: Prepared) -> np.ndarray | None:
    """The rows (in this build's index) of the articles the last build's ``record`` had not, or
    had with other fields than ``prepared`` (their body aside): those a narrow plan must check
    (see build.Narrowing). None: no record of this shape."""
    old = _record(record)
    if old is None:
        return None
    if old.ids == prepared.ids and old.fields == prepared.fields:
        return np.empty(0, dtype=np.int64)
    row = _rows(prepared.ids, old.ids)  # per new article: its old row (-1: none)
    mapped = np.where(row < 0, 0, row)
    before = np.frombuffer(old.fields, dtype=np.uint64).reshape(-1, 2)
    after = np.frombuffer(prepared.fields, dtype=np.uint64).reshape(-1, 2)
    if not len(before):
        return np.arange(len(after), dtype=np.int64)
    return np.flatnonzero((row < 0) | (before[mapped] != after).any(axis=1))


def _record(record: Any) -> KeyRecord | None:
    """The last build's record as a KeyRecord, or None when it is not one of this shape (an older
    sitegen's, or a damaged manifest): its columns bytes of one size per article or story."""
    if not isinstance(record, tuple) or len(record) != len(KeyRecord._fields):
        return None
    old = KeyRecord(*record)
    if not all(isinstance(column, bytes) for column in (old.ids, old.fields, old.bodies, old.lists, old.stories)) \
            or not isinstance(old.groups, dict) or not isinstance(old.story_slugs, tuple):
        return None
    count = len(old.ids) // 8
    if len(old.ids) != 8 * count or any(len(column) != 16 * count for column in (old.fields, old.bodies, old.lists)) \
            or len(old.stories) != 16 * len(old.story_slugs):
        return None
    return old


def _rows(ids: bytes, among: bytes) -> np.ndarray:
    """For each 8-byte identity in ``ids``, its place in ``among`` (-1: not there)."""
    wanted, known = np.frombuffer(ids, dtype=np.uint64), np.frombuffer(among, dtype=np.uint64)
    if not len(known):
        return np.full(len(wanted), -1, dtype=np.int64)
    order = np.argsort(known, kind="stable")
    ranked = known[order]
    at = np.minimum(np.searchsorted(ranked, wanted), len(known) - 1)
    return np.where(ranked[at] == wanted, order[at], -1)


def _unchanged(entries: dict[str, Any], stale: np.ndarray, number: np.ndarray | None) -> dict[str, tuple[bytes, bytes]]:
    """output -> (key, deps) of the ``entries`` that have both and none of whose deps is ``stale``
    (indexed by the last build's deps), with their deps as this build numbers them (``number``:
    the last build's dep -> this one's; None: the same): their deps joined and looked up at once
    (an array per entry was 0.05 s at 10,000 articles)."""
    keyed = [(rel, entry.key, entry.deps) for rel, entry in entries.items()
             if entry.deps is not None and entry.key is not None]
    size = array(DEPS).itemsize
    deps = np.frombuffer(b"".join(deps for _, _, deps in keyed), dtype=np.dtype(DEPS)).astype(np.int64)
    sizes = np.fromiter((len(deps) // size for _, _, deps in keyed), dtype=np.int64, count=len(keyed))
    owner = np.repeat(np.arange(len(keyed)), sizes)
    unknown = deps >= len(stale)
    known = np.where(unknown, 0, deps)
    bad = np.zeros(len(keyed), dtype=bool)
    bad[owner[unknown | stale[known]]] = True
    if number is None:
        return {rel: (key, deps) for (rel, key, deps), old in zip(keyed, bad.tolist()) if not old}
    renumbered = number[known].astype(np.dtype(DEPS)).tobytes()
    ends = (np.cumsum(sizes) * size).tolist()
    kept = {}
    for (rel, key, _), old, end, length in zip(keyed, bad.tolist(), ends, sizes.tolist()):
        if not old:
            kept[rel] = (key, renumbered[end - length * size:end])
    return kept


def prepare(indexes: Indexes) -> Prepared:
    """What a KeyRecord is made of besides the salt (see ``Prepared``), from the indexes. The
    lists (``groups``, named as plan.pages names them): "home" (every article, by identity and
    order), "dates" (the years, months and days and their counts), "stories" (each story, in
    order), "all" (every article's fields: the sitemaps), per term its names and members' fields
    (which also stand for the term in page keys) and its name alone (for pages that show it by
    name), per kind its terms in order, and per year, month and day its members' fields and the
    periods before and after it (which its pages link to)."""
    articles = indexes.articles
    ids = b"".join(map(row_id, articles))
    # (an article's URL follows from its fields and the settings, which the salt covers)
    fields = b"".join(map(planned_digest, articles))
    bodies = b"".join([_digest16(digest_of(a) + a.reading_time.to_bytes(8, "little")) for a in articles])
    related = indexes.similar.row_digests(articles)
    row = {a.path: i for i, a in enumerate(articles)}
    n = len(articles)
    # per article, as 8-byte numbers: its related list (two), the articles before and after it
    # overall and in its section (an article page links to them), its story, its explicit references
    table = np.zeros((n, 8), dtype=np.uint64)
    table[:, 0:2] = np.frombuffer(related, dtype=np.uint64).reshape(-1, 2)
    number = np.frombuffer(ids, dtype=np.uint64)
    table[1:, 2], table[:-1, 3] = number[:-1], number[1:]
    for term in indexes.terms.get("section", {}).values():
        places = np.fromiter((row[a.path] for a in term.articles), dtype=np.int64, count=len(term.articles))
        table[places[1:], 4], table[places[:-1], 5] = number[places[:-1]], number[places[1:]]
    for story in indexes.stories:
        table[[row[a.path] for a in story.articles], 6] = _number(story.slug)
    for path, items in indexes.related.items():
        if path in row:
            table[row[path], 7] = _number(repr([(i.article.path if i.article else None, i.text) for i in items]))
    flat = table.tobytes()
    lists = b"".join([_digest16(flat[64 * i:64 * i + 64]) for i in range(n)])

    def members(items: Sequence[Article]) -> bytes:
        if not items:
            return b""
        first = row[items[0].path]  # a period's articles are a run of the index (both newest first)
        if row[items[-1].path] == first + len(items) - 1 and all(map(operator.is_, items, articles[first:first + len(items)])):
            return fields[16 * first:16 * (first + len(items))]
        return b"".join(map(planned_digest, items))

    stories = b"".join(_digest16(repr((s.slug, s.title)).encode("utf-8", "surrogateescape") + members(s.articles))
                       for s in indexes.stories)
    dates = indexes.dates
    groups = {"home": _digest16(ids), "all": _digest16(fields),
              "dates": _digest16(repr([[(key, len(items)) for key, items in period.items()]
                                       for period in (dates.years, dates.months, dates.days)]).encode()),
              "stories": _digest16(repr([s.slug for s in indexes.stories]).encode("utf-8", "surrogateescape") + stories)}
    for kind, terms in indexes.terms.items():
        groups[kind_list(kind)] = _digest16(repr([(t.slug, t.name) for t in terms.values()]).encode(
            "utf-8", "surrogateescape"))
        for term in terms.values():
            groups[name_list(kind, term.slug)] = _digest16(term.name.encode("utf-8", "surrogateescape"))
            groups[term_list(kind, term.slug)] = _digest16(repr(("Term", (kind, term.slug, term.name))).encode(
                "utf-8", "surrogateescape") + members(term.articles))
    for name, period in (("year", dates.years), ("month", dates.months), ("day", dates.days)):
        keys = list(period)
        for k, key in enumerate(keys):
            beside = (keys[k - 1] if k else None, keys[k + 1] if k + 1 < len(keys) else None)
            groups[period_list(name, key)] = _digest16(repr(beside).encode() + members(period[key]))
    return Prepared(ids, fields, bodies, lists, tuple(s.slug for s in indexes.stories), stories, groups)


def _number(text: str) -> int:
    """8 bytes standing for ``text``, as a number."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "little")


def _digest16(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _digest(text: str) -> bytes:
    return _digest16(text.encode("utf-8"))
