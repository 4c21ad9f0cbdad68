"""A persistent cache of parsed articles, keyed by each file's path and bytes.

``build`` and ``serve`` both rerun the whole pipeline; this cache only lets ``load``
skip reading work whose inputs did not change. The key of the whole cache covers the
sitegen version, the source of the modules that parse (so a code change never serves a
stale parse) and the settings that parsing depends on; a mismatch starts it empty.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

from sitegen.bodies import BODIES_FILE, NO_BODIES, BodyStore
from sitegen.config import Config
from sitegen.errors import Diagnostic
from sitegen.model import Article


def write_atomically(path: Path, write: Callable[[BinaryIO], None], prefix: str) -> None:
    """``write`` a file into a temporary one beside ``path`` (named ``prefix``...``.tmp``), renamed
    over ``path`` once whole: a reader finds the last file or the new one, never a part of one. The
    temporary file goes when ``write`` fails."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

CACHE_DIR = ".sitegen-cache"
_PACKAGE = Path(__file__).parent
_PARSING_SOURCES = ("model.py", "markdown.py", "formats/__init__.py", "formats/frontmatter.py",
                    "formats/scrape.py", "cache.py", "bodies.py", "digests.py")  # (the memos of cached articles)

Entry = tuple[Article | None, list[Diagnostic]]
SHARDS = 64  # files of the article cache: an edit rewrites two of them
Stamp = tuple[int, int, int, int]  # a file's size, modification and change times (ns), inode
SETTLED_NS = 2_000_000_000  # a file's stamp is trusted only when its times are this much older than the build


def stamp_of(st: os.stat_result) -> Stamp:
    """What a file's stat says of it for ``ArticleCache.key_of``."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def file_key(rel: str, data: bytes) -> bytes:
    return hashlib.blake2b(rel.encode() + b"\0" + data, digest_size=16).digest()


def cache_key(config: Config) -> str:
    """What every cached parse depends on besides its own file."""
    from sitegen import __version__

    h = hashlib.blake2b(digest_size=16)
    h.update(__version__.encode())
    for name in _PARSING_SOURCES:
        h.update((_PACKAGE / name).read_bytes())
    h.update(repr((config.markdown, config.timezone, config.words_per_minute, config.content_dir)).encode())
    return h.hexdigest()


class ArticleCache:
    """file key -> (article, diagnostics), and each file's stamp with its key. The articles' bodies
    are in ``bodies`` (see bodies.py), not in the entries.

    Kept in SHARDS files by the first byte of the file key (a file's stamp goes with its key), each
    written atomically, and only those whose part changed: an edit rewrites two (the old key's and
    the new one's), not the whole cache (54 MB at 100,000 articles, on every edit). Any mix of
    shards is sound: an entry is filed under the digest of its file's bytes, and a stamp is trusted
    only while the file still has it."""

    def __init__(self, site: Path, config: Config, enabled: bool = True, writable: bool = True):
        self.folder = site / CACHE_DIR
        self.path = self.folder / f"articles-{cache_key(config)}"  # a folder of shards
        self.enabled = enabled
        self.entries: dict[bytes, Entry] = {}
        self.used: dict[bytes, Entry] = {}
        self.stamps: dict[str, tuple[Stamp, bytes]] = {}  # site-relative path -> (stamp, key), last build's
        self.seen: dict[str, tuple[Stamp, bytes]] = {}    # and this build's
        self.started_ns = time.time_ns()
        self.bodies = BodyStore(self.folder / BODIES_FILE, writable) if enabled else NO_BODIES
        self._stale: set[int] = set()  # shards holding entries left out when loaded (their bodies are gone)
        if enabled and self.path.is_dir() and self.bodies.usable():
            try:
                for shard in sorted(self.path.glob("*.pickle")):
                    with shard.open("rb") as f:
                        self.entries.update(_load_parts(f))
                        self.stamps.update(_load_parts(f))
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
                self.entries, self.stamps = {}, {}  # a damaged or foreign cache is only a slower build,
                self._stale = set(range(SHARDS))    # and is written anew
            else:
                kept = _with_bodies(self.entries, self.bodies)
                self._stale = {_shard(key) for key in self.entries.keys() - kept.keys()}
                self.entries = kept

    def key_of(self, path: Path | str, rel: str, stamp: Stamp | None = None) -> bytes | None:
        """The key of a file's bytes. Read and digested, unless the last build saw the file with
        the same size, times and inode (as make and git do: at 10,000 articles reading every file
        took 0.4 s of each build). The change time cannot be set back by hand, and a stamp is kept
        only when the file's times were settled (older than the build by SETTLED_NS), so a
        rewrite within one tick of the file system's clock is never missed. None when the cache is
        empty: nothing can be found under the key, so the parse worker reads and keys the file (a
        cold build read every file twice; ``keyed`` then gives the stamp its key). ``stamp``: the
        file's, when the caller has it (``stamp_of``, made by a child process: see load.look)."""
        if stamp is None:
            stamp = stamp_of(os.stat(path))
        known = self.stamps.get(rel)
        if known is not None and known[0] == stamp:
            key: bytes | None = known[1]
        else:
            key = file_key(rel, Path(path).read_bytes()) if self.entries else None
        if max(stamp[1], stamp[2]) < self.started_ns - SETTLED_NS:
            self.seen[rel] = (stamp, key)  # type: ignore[assignment]  # a None key is given by keyed()
        return key

    def keyed(self, rel: str, key: bytes) -> None:
        """The key of the bytes parsed for ``rel``: its stamp, when settled, is kept with it. A
        file changed after it was stamped has a new stamp by then, so it is read again next time."""
        known = self.seen.get(rel)
        if known is not None:
            self.seen[rel] = (known[0], key)

    def get(self, key: bytes) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used[key] = entry
        return entry

    def put(self, key: bytes, entry: Entry) -> None:
        self.used[key] = entry

    def save(self) -> None:
        """Keep exactly the entries and stamps this build used (deleted files drop out), rewriting
        only the shards whose part changed; other keys' caches go."""
        self.seen = {rel: known for rel, known in self.seen.items() if known[1] is not None}
        if not self.enabled:
            return
        dirty = self._dirty()
        if not dirty:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob("articles-*"):  # another version's or settings' cache (or a one-file one)
            if stale == self.path:
                continue
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        parts: dict[int, tuple[dict, dict]] = {shard: ({}, {}) for shard in dirty}
        for key, entry in self.used.items():
            part = parts.get(_shard(key))
            if part is not None:
                part[0][key] = entry
        for rel, known in self.seen.items():
            part = parts.get(_shard(known[1]))
            if part is not None:
                part[1][rel] = known
        for shard, (entries, stamps) in sorted(parts.items()):
            path = self.path / f"{shard:02x}.pickle"
            if not entries and not stamps:
                path.unlink(missing_ok=True)
                continue
            write_atomically(path, lambda f: (_dump_parts(entries, f), _dump_parts(stamps, f)), ".part-")
        self._stale = set()
        # Bodies go only once no saved cache names them: those of the entries dropped.
        gone = {key: self.entries[key] for key in self.entries.keys() - self.used.keys()}
        self.bodies.keep_only(_digests(self.used), _digests(gone))

    def _dirty(self) -> set[int]:
        """The shards whose entries or stamps this build changed: entries added or dropped, stamps
        new, changed or gone (both the old key's shard and the new one's)."""
        if not self.path.is_dir():
            return set(range(SHARDS)) if self.used or self.seen else set()
        dirty = set(self._stale)
        dirty.update(map(_shard, self.used.keys() ^ self.entries.keys()))
        stamps = self.stamps
        for rel, known in self.seen.items():
            old = stamps.get(rel)
            if old != known:
                dirty.add(_shard(known[1]))
                if old is not None:
                    dirty.add(_shard(old[1]))
        dirty.update(_shard(stamps[rel][1]) for rel in stamps.keys() - self.seen.keys())
        return dirty

    def release(self) -> None:
        """Let go of the entries and stamps once saved: the build holds its articles elsewhere, and
        a million articles' entries and stamps take about 0.4 GB. The body store stays open."""
        self.entries, self.used, self.stamps, self.seen = {}, {}, {}, {}


def _shard(key: bytes) -> int:
    """The shard of a file key (a digest: its first byte spreads keys evenly)."""
    return key[0] % SHARDS


def _digests(entries: dict[bytes, Entry]) -> set[bytes]:
    return {article.body_digest for article, _ in entries.values() if article is not None and article.body_digest}


def _with_bodies(entries: dict[bytes, Entry], bodies: BodyStore) -> dict[bytes, Entry]:
    """The entries whose bodies the store holds (the others are parsed again)."""
    missing = bodies.missing(_digests(entries))
    if not missing:
        return entries
    return {key: entry for key, entry in entries.items() if entry[0] is None or entry[0].body_digest not in missing}


PART = 2000  # dict items pickled at a time


def _dump_parts(mapping: dict, f: Any) -> None:
    """A dict as its length, then its items a few thousand at a time: one pickle of everything
    keeps a memo entry for every object in it until the end (about 250 MB at 100,000 articles,
    the peak of the whole build); each part's memo goes when the part is written."""
    items = list(mapping.items())
    pickle.dump(len(items), f, protocol=pickle.HIGHEST_PROTOCOL)
    for start in range(0, len(items), PART):
        pickle.dump(items[start:start + PART], f, protocol=pickle.HIGHEST_PROTOCOL)


def _load_parts(f: Any) -> dict:
    count = pickle.load(f)
    if not isinstance(count, int):
        raise TypeError("not a cache of this sitegen")
    found: dict = {}
    while len(found) < count:
        found.update(pickle.load(f))
    return found


def stats(cache: ArticleCache) -> dict[str, Any]:
    return {"cached": len(cache.entries), "used": len(cache.used)}


class ResultCache:
    """Whole-archive results of the last build (related articles and stories, word counts), each
    kept with a digest of its inputs: the same digest gives the result back instead of computing
    it again. One file per name, written atomically when a result is computed anew (not at the
    end of the build: holding them until then raised the peak memory by a tenth). Not ``writable``
    (``sitegen check``): only read.

    A file holds the key, then the result, as two pickles: a result whose key is not the one
    asked for is never read (after an edit the related lists' key is always another; at a
    million articles their result is half a gigabyte)."""

    def __init__(self, site: Path, enabled: bool = True, writable: bool = True):
        self.folder = site / CACHE_DIR
        self.enabled = enabled
        self.writable = writable

    def get(self, name: str, key: bytes) -> Any | None:
        if not self.enabled:
            return None
        try:
            with (self.folder / f"{name}.pickle").open("rb") as f:
                if pickle.load(f) != key:  # the key, alone (a file of an older sitegen: a tuple, read whole once)
                    return None
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def put(self, name: str, key: bytes, value: Any) -> None:
        if not (self.enabled and self.writable):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.folder / f"{name}.pickle", lambda f: (pickle.dump(key, f, protocol=pickle.HIGHEST_PROTOCOL),
                                                                   pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)),
                         f".{name}-")
