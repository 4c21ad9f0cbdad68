"""Finds content files and reads each with the reader for its format.

This is the only stage that reads content: it returns articles, the other files of
content/ (images and such, copied as they are), and every diagnostic met on the way.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from sitegen.bodies import body_digest
from sitegen.cache import ArticleCache, Stamp, file_key, stamp_of
from sitegen.config import Config
from sitegen.digests import planned_digest
from sitegen.errors import Diagnostic, error
from sitegen.forked import interrupts_held, release_interrupts
from sitegen.formats import ReadContext, frontmatter, scrape
from sitegen.model import Article, Image
from sitegen.parts import tapered

READERS = {".md": frontmatter.read, ".markdown": frontmatter.read, ".txt": scrape.read}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".svg")
TEMP_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload", ".kate-swp")
FINGERPRINTED = (".css", ".js")  # static files whose names carry a hash of their content


@dataclass(frozen=True, slots=True)
class Asset:
    """A non-article file of content/, copied to the same path in the output."""

    source: Path
    site_path: str  # '/images/x.svg'


@dataclass(frozen=True, slots=True)
class Loaded:
    articles: tuple[Article, ...]
    assets: tuple[Asset, ...]
    diagnostics: tuple[Diagnostic, ...]
    drafts_skipped: int
    files: int
    digest: bytes = b""  # of every file read: path and bytes of each article file, path of each asset


def is_ignored(name: str) -> bool:
    """Hidden files, editor swap and backup files, and partial downloads are never content."""
    return name.startswith((".", "#", "~$")) or name.endswith(TEMP_SUFFIXES) or name == "4913"


def content_files(content: Path) -> list[Path]:
    """Every content file below ``content``, sorted by path parts, skipping ignored names and folders
    (an ignored folder is not entered)."""
    return [Path(path) for _, path in _listing(content)]


def _listing(content: Path) -> list[tuple[tuple[str, ...], str]]:
    """(path parts below ``content``, path) of each content file, as ``content_files``, the paths as
    strings: making 10,000 Path objects was a sixth of an edit's load stage."""
    return sorted(_walk(content))


def _walk(content: Path) -> Iterator[tuple[tuple[str, ...], str]]:
    """``_listing``'s files in the order met. ``os.scandir``: pathlib's ``rglob`` took a third of a
    second at 10,000 files on every build, and a directory entry tells a file from a folder
    without a stat (only a symlink is followed to see what it points to). Symlinked folders are
    not followed; symlinked files are read."""
    folders: list[tuple[str, tuple[str, ...]]] = [(str(content), ())]
    while folders:
        folder, base = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # gone or unreadable since it was listed: as os.walk, skipped
            continue
        for entry in entries:
            if is_ignored(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, base + (entry.name,)))
                elif entry.is_file():
                    yield base + (entry.name,), entry.path
            except OSError:  # a broken symlink, or gone since the listing
                continue


def holds_articles(content: Path, at_least: int) -> bool:
    """Whether ``content`` holds ``at_least`` article files, counted only until it does."""
    found = 0
    for parts, _ in _walk(content) if content.is_dir() else ():
        found += _suffix(parts[-1]) in READERS
        if found >= at_least:
            return True
    return found >= at_least


def static_files(base: Path) -> list[tuple[Path, str]]:
    """(file, path relative to ``base``) for a static folder, copied as they are."""
    return [(path, path.relative_to(base).as_posix()) for path in content_files(base)]


def static_copies(bases: list[Path]) -> list[tuple[Path, str]]:
    """(file, output path) of the static folders; a later folder's file replaces an earlier one's
    of the same path (the site's ``static/`` over the theme's)."""
    chosen: dict[str, Path] = {}
    for base in bases:
        if base.is_dir():
            for path, rel in static_files(base):
                chosen[rel] = path
    return [(path, rel) for rel, path in sorted(chosen.items())]


def text_named(copies: list[tuple[Path, str]], site: Path) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """The copies whose output path is Unicode text, and an error for each other one (see NOT_TEXT)."""
    kept: list[tuple[Path, str]] = []
    problems: list[Diagnostic] = []
    for path, rel in copies:
        if rel.isascii() or _is_text(rel):
            kept.append((path, rel))
        else:
            shown = path.relative_to(site).as_posix() if path.is_relative_to(site) else path.as_posix()
            problems.append(error(shown_name(shown), 1, NOT_TEXT))
    return kept, problems


def fingerprint(copies: list[tuple[Path, str]]) -> tuple[list[tuple[Path, str]], dict[str, str]]:
    """Give each .css and .js file a name with a hash of its content ('css/site.css' ->
    'css/site.3f2a9c1b.css'), so hosts can let browsers cache it forever. Returns the copies
    under their new names and the site paths renamed ('/css/site.css' -> '/css/site.3f2a9c1b.css')."""
    renamed: dict[str, str] = {}
    result = []
    for path, rel in copies:
        if rel.lower().endswith(FINGERPRINTED):
            stem, dot, suffix = rel.rpartition(".")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
            renamed["/" + rel] = f"/{stem}.{digest}{dot}{suffix}"
            rel = f"{stem}.{digest}{dot}{suffix}"
        result.append((path, rel))
    return result, renamed


def decode(data: bytes, rel: str) -> tuple[str | None, Diagnostic | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, error(rel, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)")
    if not text.strip():
        return None, error(rel, 1, "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def read_text(text: str, path: Path, rel: str, content: Path, config: Config) -> tuple[Article | None, list[Diagnostic]]:
    """Parse one file's text with the reader for its format: pure, so it can run in a worker and be cached."""
    ctx = ReadContext(config=config, rel=rel, content_rel=path.relative_to(content).as_posix())
    return READERS[path.suffix.lower()](text, ctx)


def parse_bytes(data: bytes, path: Path, rel: str, content: Path, config: Config) -> tuple[Article | None, list[Diagnostic]]:
    article, diagnostics = _read_bytes(data, path, rel, content, config)
    return (settled(article) if article else None), diagnostics


def _read_bytes(data: bytes, path: Path, rel: str, content: Path, config: Config) -> tuple[Article | None, list[Diagnostic]]:
    text, problem = decode(data, rel)
    if problem:
        return None, [problem]
    return read_text(text, path, rel, content, config)


def settled(article: Article, keep_body: bool = True) -> Article:
    """The article as the build keeps it: with its body's digest, and its section, tags, authors
    and source as one shared string each (``sys.intern``). Names repeat across thousands of
    articles; a worker's parts (and the cache's) are pickled with each string once, so they
    arrive shared too: 0.3 KB less per article. Without ``keep_body`` the body is left out (the
    caller has it, for the body store)."""
    intern = sys.intern
    return replace(article, body_digest=body_digest(article.body_html), section=intern(article.section),
                   tags=tuple(map(intern, article.tags)), authors=tuple(map(intern, article.authors)),
                   source=intern(article.source), body_html=article.body_html if keep_body else "")


def with_sibling_photo(article: Article, path: Path | str, content: Path) -> Article:
    """A scrape names its photo only by caption; an image file beside it with the same name is that photo.
    Looked up on every build (never cached), since the image may come and go on its own."""
    if article.image is None or article.image.src:
        return article
    path = Path(path)
    for suffix in IMAGE_SUFFIXES:
        sibling = path.with_suffix(suffix)
        if sibling.exists():
            src = "/" + sibling.relative_to(content).as_posix()
            return replace(article, image=Image(src, article.image.caption, article.image.credit))
    return article


def read_article(path: Path, site: Path, content: Path, config: Config) -> tuple[Article | None, list[Diagnostic]]:
    rel = site_rel(path, site)
    article, diagnostics = parse_bytes(path.read_bytes(), path, rel, content, config)
    return (with_sibling_photo(article, path, content) if article else None), diagnostics


def _suffix(name: str) -> str:
    """A file name's extension in lower case, as ``os.path.splitext`` finds it (leading dots are
    not one), without its call per file."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 and name[:dot].strip(".") else ""


def site_rel(path: Path | str, site: Path) -> str:
    """``path`` relative to ``site`` (as it is when outside it); a string path as os.scandir gives it."""
    return _below(path if isinstance(path, str) else path.as_posix(), _prefix(site))


def _prefix(site: Path) -> str:
    return site.as_posix().rstrip("/") + "/"


def _below(path: str, prefix: str) -> str:
    return path[len(prefix):] if path.startswith(prefix) else path


PARALLEL_FROM = 400  # fewer files than this parse faster in one process than a pool starts
CHUNK_MOST = 2000    # files per parse job at most: bounds the parsed bodies in flight to the parent
CHUNK_LEAST = 25     # files in the last, smallest parse jobs (see parts.py)
BODIES_AT_ONCE = 500  # bodies put in the body store in one statement
Job = tuple[bytes | None, Path, str]        # a file to parse: (its key when listed, path, site-relative path)
Parsed = tuple[bytes | None, bytes, tuple, str]  # (that key, the key of the bytes parsed, the cache entry, its body)


def _parse_chunk(jobs: list[Job], content: Path, config: Config, detach: bool = False) -> list[Parsed]:
    """Read and parse each file: (the key it was listed with, the key of the bytes read, the entry,
    the body). Workers read the files themselves, so the parent never holds every file's bytes at
    once (nor pipes them); a file changed since it was listed is parsed as it is now, under its new
    key. A file listed without a key (a cold cache: nothing to look up) is keyed here, by the
    worker. ``detach``: the entry's article is without its body, which comes beside it (for the
    body store), so the parent makes no copy of each article (a tenth of its load time)."""
    done = []
    for key, path, rel in jobs:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem = error(rel, 1, f"cannot read the file: {exc.strerror or exc}")
            done.append((key, key or file_key(rel, b""), (None, [problem]), ""))
            continue
        article, found = _read_bytes(data, path, rel, content, config)
        body = article.body_html if article and detach else ""
        if article is not None:
            article = settled(article, not detach)
            planned_digest(article)  # its digests made here, on every core, and pickled with it (digests.py)
        done.append((key, file_key(rel, data), (article, found), body))
    return done


def parse_all(jobs: list[Job], content: Path, config: Config, detach: bool = False) -> Iterator[Parsed]:
    """Parse files not in the cache, across all cores when there are many (a cold build); each
    chunk is handed on as it comes, so the caller can store its bodies before the next."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        yield from _parse_chunk(jobs, content, config, detach)
        return
    parts = tapered(len(jobs), workers, min(CHUNK_MOST, max(50, len(jobs) // (workers * 8))), CHUNK_LEAST)
    chunks = [jobs[part.start:part.stop] for part in parts]
    import multiprocessing  # (only here: a rebuild parses a few files)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=release_interrupts) as pool:
        with interrupts_held():  # (the pool forks its workers as the first part is handed out)
            parts = pool.map(partial(_parse_chunk, content=content, config=config, detach=detach), chunks)
        for part in parts:
            yield from part


Look = tuple[list[tuple[tuple[str, ...], str]], list[Stamp | None]]  # the content's listing, each file's stamp


def look(content: Path) -> Look:
    """What ``load`` first finds of the content folder: its files (``_listing``) and each file's
    stamp (None for one gone since it was listed; ``load`` reads the articles', nochange.seen
    all). Made by a process forked as the build starts (see build.build), beside the parent's
    reading of the article cache: 0.07 s of a 1 s rebuild at 10,000 articles, on the other core."""
    files = _listing(content) if content.is_dir() else []
    stamps: list[Stamp | None] = []
    for _, path in files:
        try:
            stamps.append(stamp_of(os.stat(path)))
        except OSError:  # load stats it again, and says what is wrong
            stamps.append(None)
    return files, stamps


def load(site: Path, config: Config, include_drafts: bool = False, cache: ArticleCache | None = None,
         looked: Look | None = None) -> Loaded:
    """``looked``: what ``look`` found of the content folder, when a child process found it."""
    content = site / config.content_dir
    cache = cache or ArticleCache(site, config, enabled=False)
    assets: list[Asset] = []
    diagnostics: list[Diagnostic] = []
    drafts = 0
    files, stamps = looked if looked is not None else (_listing(content) if content.is_dir() else [], None)
    keyed: list[tuple[str, str, bytes | None]] = []
    jobs: list[Job] = []
    prefix = _prefix(site)  # (site_rel's, made once: 10,000 files)
    for i, (parts, path) in enumerate(files):
        if not path.isascii() and not all(map(_is_text, parts)):  # (its own name and folders in content/)
            diagnostics.append(error(shown_name(_below(path, prefix)), 1, NOT_TEXT))
            continue
        if _suffix(parts[-1]) not in READERS:
            assets.append(Asset(Path(path), "/" + "/".join(parts)))
            continue
        rel = _below(path, prefix)
        key = cache.key_of(path, rel, stamps[i] if stamps is not None else None)
        keyed.append((path, rel, key))
        if key is None or cache.get(key) is None:
            jobs.append((key, Path(path), rel))
    parsed_as: dict[str, bytes] = {}  # the key of what was parsed, where it is not the key listed
    detach = cache.bodies.takes_bodies()
    bodies: list[tuple[bytes, str]] = []
    for (_, _, rel), (key, actual, entry, body) in zip(jobs, parse_all(jobs, content, config, detach)):
        cache.put(actual, entry)
        if body:
            bodies.append((entry[0].body_digest, body))
            if len(bodies) >= BODIES_AT_ONCE:
                cache.bodies.add(bodies)
                bodies = []
        if actual != key:
            parsed_as[rel] = actual
            cache.keyed(rel, actual)
    cache.bodies.add(bodies)
    cache.bodies.commit()  # before any worker reads a body
    articles: list[Article] = []
    for path, rel, key in keyed:
        article, found = cache.used[parsed_as.get(rel) or key]
        diagnostics.extend(found)
        if article is None:
            continue
        article = with_sibling_photo(article, path, content)
        if article.draft and not include_drafts:
            drafts += 1
            continue
        articles.append(article)
    unique, slug_problems = unique_slugs(articles)
    diagnostics.extend(slug_problems)
    return Loaded(tuple(unique), tuple(assets), tuple(diagnostics), drafts, len(files),
                  _digest(keyed, parsed_as, assets))


NOT_TEXT = ("its name is not UTF-8 text, so no URL or link can be written for it; left out "
            "(rename it, e.g. with convmv)")


def _is_text(name: str) -> bool:
    """Whether a file name (as Python decodes it, bytes it cannot decode as lone surrogates) is
    Unicode text: a URL, a page key and a link can then be made of it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(name: str) -> str:
    """A file name that may hold undecodable bytes, printable: those bytes as ``\\xe9``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _digest(keyed: list[tuple[str, str, bytes | None]], parsed_as: dict[str, bytes], assets: list[Asset]) -> bytes:
    """What the articles are made of, for ``build``'s check that nothing changed: each article
    file's path and key (of its bytes, as the cache trusts them), and each asset's path (whether
    an image sits beside an article; the copies are checked by their own stamps)."""
    h = hashlib.blake2b(digest_size=16)
    for _, rel, key in keyed:
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + (parsed_as.get(rel) or key or b""))
    for asset in assets:
        h.update(b"\1" + asset.site_path.encode("utf-8", "surrogateescape"))
    return h.digest()


def unique_slugs(articles: list[Article]) -> tuple[list[Article], list[Diagnostic]]:
    """Make every slug unique across the site.

    A slug set in the file is the author's choice: a second file claiming it is an error
    naming both. A slug made from a title yields: the older article keeps it, later ones
    get '-2', '-3' (stable as the archive grows, since new articles come last).
    """
    taken: dict[str, Article] = {}
    diagnostics: list[Diagnostic] = []
    # Each instant once (the order of datetimes and of timestamps is the same): sorting by
    # datetimes and then by sort_key took 0.9 s at 100,000 articles.
    instant = {a.path: a.date.timestamp() for a in articles}
    oldest_first = sorted(articles, key=lambda a: (instant[a.path], a.path))
    given = [a for a in oldest_first if a.slug_given]
    derived = [a for a in oldest_first if not a.slug_given]
    result = []
    for article in given:
        other = taken.get(article.slug)
        if other is not None:
            diagnostics.append(error(article.path, article.line,
                                     f"duplicate slug '{article.slug}': also used by {other.path}"))
            continue
        taken[article.slug] = article
        result.append(article)
    for article in derived:
        slug, n = article.slug, 2
        while slug in taken:
            slug, n = f"{article.slug}-{n}", n + 1
        if slug != article.slug:
            article = replace(article, slug=slug)
        taken[slug] = article
        result.append(article)
    return sorted(result, key=lambda a: (-instant[a.path], a.path)), diagnostics  # as sort_key orders
