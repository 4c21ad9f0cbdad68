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
import tempfile
from pathlib import Path
from typing import Any

from sitegen.config import Config
from sitegen.errors import Diagnostic
from sitegen.model import Article

CACHE_DIR = ".sitegen-cache"
_PACKAGE = Path(__file__).parent
_PARSING_SOURCES = ("model.py", "markdown.py", "formats/__init__.py", "formats/frontmatter.py",
                    "formats/scrape.py", "cache.py")

Entry = tuple[Article | None, list[Diagnostic]]


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
    """file key -> (article, diagnostics). Loaded whole, saved whole, atomically."""

    def __init__(self, site: Path, config: Config, enabled: bool = True):
        self.folder = site / CACHE_DIR
        self.path = self.folder / f"articles-{cache_key(config)}.pickle"
        self.enabled = enabled
        self.entries: dict[bytes, Entry] = {}
        self.used: dict[bytes, Entry] = {}
        if enabled and self.path.exists():
            try:
                with self.path.open("rb") as f:
                    self.entries = pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
                self.entries = {}  # a damaged or foreign cache is only a slower build

    def get(self, key: bytes) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used[key] = entry
        return entry

    def put(self, key: bytes, entry: Entry) -> None:
        self.used[key] = entry

    def save(self) -> None:
        """Keep exactly the entries this build used (deleted files drop out); other keys' files go."""
        if not self.enabled or self.used.keys() == self.entries.keys():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob("articles-*.pickle"):
            if stale != self.path:
                stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".articles-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self.used, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def stats(cache: ArticleCache) -> dict[str, Any]:
    return {"cached": len(cache.entries), "used": len(cache.used)}


class ResultCache:
    """Whole-archive results of the last build (related articles and stories), each kept with a
    digest of its inputs: the same digest gives the result back instead of computing it again.
    One file per name; saved atomically, only when a result was computed anew."""

    def __init__(self, site: Path, enabled: bool = True):
        self.folder = site / CACHE_DIR
        self.enabled = enabled
        self.pending: dict[str, tuple[bytes, Any]] = {}

    def get(self, name: str, key: bytes) -> Any | None:
        if not self.enabled:
            return None
        try:
            with (self.folder / f"{name}.pickle").open("rb") as f:
                stored_key, value = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return None
        return value if stored_key == key else None

    def put(self, name: str, key: bytes, value: Any) -> None:
        self.pending[name] = (key, value)

    def save(self) -> None:
        if not self.enabled:
            return
        for name, entry in self.pending.items():
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.folder / f"{name}.pickle")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        self.pending.clear()
