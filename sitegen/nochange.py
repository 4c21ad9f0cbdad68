"""Knowing that nothing changed before loading the articles.

A rebuild whose inputs are all the last build's (``build.inputs_digest``) only checks the output
and reports the last build again. But that digest is made of the articles: every one taken from
the article cache, scheduled and digested, which at 100,000 articles was more than half of the
2.2 s such a build took. This record keeps, beside the last build's manifest, a digest of the
same inputs with the content taken by the stamps of its files (size, modification and change
times, inode: the trust ``ArticleCache.key_of`` gives a stamp, so only when every stamp was
settled) and what that build reported. A build that finds the same digest, the same manifest
and its files intact reports it again without loading an article.

The schedule needs no articles either: with "now" the clock, what is on the site stays as it
was from the recorded build's moment until its next publication or expiry.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sitegen import cache
from sitegen.load import Look

RECORD = "nochange-{}.pickle"  # in the cache folder, one per output folder (named as its manifest)


@dataclass(frozen=True, slots=True)
class Seen:
    """The content folder as a build found it at its start: a digest of every file's path and
    stamp, and whether every stamp was settled (older than the build by SETTLED_NS)."""

    digest: bytes
    settled: bool


def seen(looked: Look, started_ns: int) -> Seen:
    """``looked`` (see load.look) as a Seen: made in the build's child, beside the parent's work."""
    files, stamps = looked
    h = hashlib.blake2b(digest_size=16)
    settled = True
    limit = started_ns - cache.SETTLED_NS
    for (_, path), stamp in zip(files, stamps):
        h.update(f"{path}\0{stamp}\0".encode("utf-8", "surrogateescape"))
        settled = settled and stamp is not None and max(stamp[1], stamp[2]) < limit
    return Seen(h.digest(), settled)


@dataclass(frozen=True, slots=True)
class NoChange:
    """The last build into an output folder: the digest of what it read (see ``build._quick_digest``),
    the identity of the manifest it left (inode, size, modification time), the span of moments
    its schedule holds for (``since``, ``until``: None when "now" was not the clock, or no
    change is coming), and what it reported (its BuildResult, without the files written)."""

    digest: bytes
    manifest: tuple[int, int, int]
    since: datetime | None
    until: datetime | None
    report: Any

    def holds_at(self, now: datetime | None) -> bool:
        """Whether what was on the site at its moment is on it at ``now`` (None: "now" is not the
        clock, but a moment set, which the digest covers)."""
        if now is None:
            return self.since is None
        return self.since is not None and self.since <= now and (self.until is None or now < self.until)


def path_of(folder: Path, manifest: Path) -> Path:
    """The record of the output folder whose manifest is ``manifest``, in the cache ``folder``."""
    return folder / RECORD.format(manifest.stem.rsplit("-", 1)[-1])


def read(path: Path) -> NoChange | None:
    """The record at ``path``, or None when there is none, or it is damaged or of another shape
    (only a slower build: the whole way finds what changed)."""
    try:
        with path.open("rb") as f:
            found = pickle.load(f)
    except Exception:  # (a damaged pickle can raise nearly anything: MemoryError, OverflowError...)
        return None
    if not isinstance(found, NoChange):
        return None
    moments_ok = all(m is None or isinstance(m, datetime) and m.tzinfo is not None for m in (found.since, found.until))
    manifest_ok = isinstance(found.manifest, tuple) and len(found.manifest) == 3 and all(
        type(n) is int for n in found.manifest)
    return found if isinstance(found.digest, bytes) and manifest_ok and moments_ok else None


def save(path: Path, record: NoChange) -> None:
    """Written whole or not at all (see cache.write_atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.write_atomically(path, lambda f: pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL), path.name)


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)


def prune(folder: Path, manifests: str) -> int:
    """Delete the records in ``folder`` whose manifest (named by the glob ``manifests``, as
    ``output-*.pickle``) is gone: see write.prune_manifests."""
    removed = 0
    for path in folder.glob(RECORD.format("*")):
        if not (folder / manifests.replace("*", path.stem.rsplit("-", 1)[-1])).is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
