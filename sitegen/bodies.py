"""Article bodies kept on disk between builds, so the build's own process never holds them all.

Bodies are most of an article's memory (4.5 of 6.6 MB per thousand bench articles), yet only
three places read them: the word counts of new or edited articles, the page of the article
itself, and the feeds that carry full content. So with the article cache on, ``load`` puts each
parsed body in a ``BodyStore`` (an SQLite file beside the cache) and keeps the article with an
empty ``body_html`` and its ``body_digest``; readers ask the store, by that digest, when they
need the text. SQLite because it is in the standard library, is safe to read from the forked
render workers (each opens its own connection) and adds and removes single rows in place: a
file of our own with offsets would need its own compaction and crash safety.

The store is addressed by content (the digest of the body), so it does not depend on the code
or settings that made a body: the article cache's key covers those.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sitegen.errors import BuildError
from sitegen.model import Article

BODIES_FILE = "bodies.sqlite"


def body_digest(body_html: str) -> bytes:
    """What the store files a body under, and what page keys and related articles compare: b"" for no body."""
    return hashlib.blake2b(body_html.encode("utf-8"), digest_size=16).digest() if body_html else b""


def digest_of(article: Article) -> bytes:
    """The digest of the article's body, whether the article holds the body or the store does."""
    return article.body_digest or body_digest(article.body_html)


# This process's id without a system call (html() asks it for every body a page reads): kept,
# and made anew in a forked child; where there is no fork hook, asked each time.
_process = [os.getpid()]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _process.__setitem__(0, os.getpid()))

    def _pid() -> int:
        return _process[0]
else:
    _pid = os.getpid  # type: ignore[assignment]


class BodyStore:
    """Bodies by digest. ``BodyStore(None)`` holds nothing: articles keep their bodies (no cache);
    a store not ``writable`` (``sitegen check``) is only read: newly parsed articles keep theirs."""

    def __init__(self, path: Path | None, writable: bool = True):
        self.path = path
        self.writable = writable
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._pending = False
        self._reading = False  # a read transaction is open (see html)

    def _db(self) -> sqlite3.Connection:
        """This process's connection: one opened before a fork must not be used after it."""
        if self._conn is None or self._pid != _pid():
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._pid = _pid()
            self._pending = self._reading = False
            self._conn.execute("CREATE TABLE IF NOT EXISTS bodies (digest BLOB PRIMARY KEY, html TEXT NOT NULL)")
        return self._conn

    def usable(self) -> bool:
        """Whether the file opens as a store (a damaged one is removed, to start again empty)."""
        if self.path is None:
            return False
        try:
            self._db().execute("SELECT count(*) FROM bodies").fetchone()
            return True
        except sqlite3.DatabaseError:
            self.close()
            self.path.unlink(missing_ok=True)
            return False

    def takes_bodies(self) -> bool:
        """Whether newly parsed articles give their bodies to this store (see ``add``), or keep them."""
        return self.path is not None and self.writable

    def add(self, bodies: list[tuple[bytes, str]]) -> None:
        """Put bodies, as (digest, html), in the store (not yet committed); their articles are kept
        without them (``body_html`` empty, ``body_digest`` set)."""
        if not bodies:
            return
        db = self._db()
        if not self._pending:
            self.done_reading()
            db.execute("BEGIN")
            self._pending = True
        db.executemany("INSERT OR IGNORE INTO bodies VALUES (?, ?)", bodies)

    def commit(self) -> None:
        if self._pending:
            self._db().execute("COMMIT")
            self._pending = False

    def html(self, article: Article) -> str:
        """The article's body, from the article or else from the store."""
        if article.body_html or not article.body_digest or self.path is None:
            return article.body_html
        db = self._db()
        if not self._pending and not self._reading:
            # One read transaction for every body this process reads, until it writes or is done
            # (done_reading): a statement on its own took the file's lock and looked for a hot
            # journal each time (two stats, four fcntl calls): 0.17 s for 10,000 bodies, 0.08 s so.
            db.execute("BEGIN")
            self._reading = True
        row = db.execute("SELECT html FROM bodies WHERE digest = ?", (article.body_digest,)).fetchone()
        if row is None:
            raise BuildError(f"{article.path}:{article.line}: its body is missing from {self.path}; "
                             "delete that file (or build with --no-cache) to parse every article again")
        return row[0]

    def missing(self, digests: Iterable[bytes]) -> set[bytes]:
        """Which of ``digests`` the store does not hold. Trusted whole when it holds at least as
        many bodies (rows are removed only after the article cache that names them is saved), else
        looked up one by one."""
        wanted = set(digests)
        if self.path is None or not wanted:
            return wanted
        db = self._db()
        if db.execute("SELECT count(*) FROM bodies").fetchone()[0] >= len(wanted):
            return set()
        return {d for d in wanted if db.execute("SELECT 1 FROM bodies WHERE digest = ?", (d,)).fetchone() is None}

    def keep_only(self, digests: set[bytes], dropped: Iterable[bytes] = ()) -> None:
        """Remove the bodies ``dropped`` that are not in ``digests`` (those the saved cache names);
        every other one too when the store still holds more than ``digests`` (a cold cache's leftovers)."""
        if self.path is None or not self.writable:
            return
        db = self._db()
        stale = {d for d in dropped if d not in digests}
        self.done_reading()
        db.execute("BEGIN")
        db.executemany("DELETE FROM bodies WHERE digest = ?", ((d,) for d in stale))
        if db.execute("SELECT count(*) FROM bodies").fetchone()[0] > len(digests):
            db.executemany("DELETE FROM bodies WHERE digest = ?",
                           [(row[0],) for row in db.execute("SELECT digest FROM bodies") if row[0] not in digests])
        db.execute("COMMIT")

    def done_reading(self) -> None:
        """End the read transaction ``html`` holds: before this process writes, and when a build is
        done with the bodies (another process may then write: a held read lock would keep it waiting)."""
        if self._reading and self._conn is not None and self._pid == _pid():
            self._conn.execute("COMMIT")
        self._reading = False

    def close(self) -> None:
        if self._conn is not None and self._pid == _pid():
            self._conn.close()
        self._conn = None


NO_BODIES = BodyStore(None)
