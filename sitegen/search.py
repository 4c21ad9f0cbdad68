"""Full-text search: Pagefind indexes the complete new site before it is swapped in.

Pagefind (the ``pagefind-bin`` package ships its binary) reads the built HTML: article
pages mark their text with ``data-pagefind-body`` and their section and year with
``data-pagefind-filter``. It writes the index and its search UI into ``pagefind/`` of the
new folder, so the search is part of the atomic build: if it fails, the build fails and
the previous site stays as it was.

Pagefind writes the values of each filter in hash-map order, which changes from run to run;
``canonical_filters`` sorts them (and renames the files that name each other), so the same
input still gives byte-identical output.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from sitegen.errors import BuildError
from sitegen.write import BUNDLE

SIGNATURE = b"pagefind_dcd"  # the start of each decompressed Pagefind index file


def pagefind_binary() -> Path:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise BuildError("search is on, but Pagefind is not installed: pip install pagefind-bin "
                         "(or set 'search: false' in sitegen.yaml)") from None
    try:
        return get_executable()
    except FileNotFoundError as exc:
        raise BuildError(f"search is on, but the pagefind-bin package has no binary: {exc}") from None


def article_glob(permalink: str) -> str:
    """The files Pagefind needs to read: article pages only ('/{year}/{month}/{day}/{slug}/' ->
    '*/*/*/*/index.html'). Listing, related and date pages carry no ``data-pagefind-body``;
    not reading them makes indexing several times faster on a large archive."""
    return re.sub(r"\{\w+\}", "*", permalink.strip("/")) + "/index.html"


def index_site(folder: Path, bundle: Path | None = None, binary: Path | None = None, glob: str = "**/*.html") -> int:
    """Run Pagefind over the built site in ``folder``, reading the files that match ``glob``, writing
    its bundle into ``bundle`` (default: ``pagefind/`` in ``folder``); returns the number of files
    it wrote. Raises BuildError with Pagefind's own message when it fails."""
    binary = binary or pagefind_binary()
    bundle = bundle or folder / BUNDLE
    command = [str(binary), "--site", str(folder), "--output-path", str(bundle), "--glob", glob, "--quiet"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise BuildError(f"search index: cannot run Pagefind ({binary}): {exc.strerror or exc}") from None
    if run.returncode != 0:
        told = "\n".join((run.stderr + run.stdout).strip().splitlines()[-12:]) or "no message"
        raise BuildError(f"search index: Pagefind failed (exit status {run.returncode}); "
                         f"the previous output is unchanged:\n{told}")
    if not (bundle / "pagefind-ui.js").is_file():
        raise BuildError(f"search index: Pagefind wrote no search UI into {BUNDLE}/ ({(run.stderr + run.stdout).strip()})")
    canonical_filters(bundle)
    return sum(1 for path in bundle.rglob("*") if path.is_file())


def canonical_filters(bundle: Path) -> bool:
    """Sort the filters of a Pagefind bundle, and the values of each, renaming the files that
    change (in the language's ``.pf_meta`` file and in ``pagefind-entry.json`` too).

    Touches nothing unless every file reads back exactly as the known format (a newer Pagefind
    may write another): the search then still works, only not byte for byte the same.
    Returns whether it rewrote the bundle."""
    entry_path = bundle / "pagefind-entry.json"
    try:
        entry_text = entry_path.read_text(encoding="utf-8")
        plans = []
        for language in json.loads(entry_text)["languages"].values():
            meta_path = bundle / f"pagefind.{language['hash']}.pf_meta"
            meta_body = _unpack(meta_path.read_bytes())
            meta = _decode(meta_body)
            # [version, pages, index chunks, [[filter name, file stem]…], sorts, meta fields]
            if not (isinstance(meta, list) and len(meta) == 6 and _encode(meta) == meta_body
                    and all(isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in meta[3])):
                return False
            filters = []
            for name, stem in meta[3]:
                path = bundle / "filter" / f"{stem}.pf_filter"
                body = _unpack(path.read_bytes())
                values = _decode(body)
                if not (isinstance(values, list) and len(values) == 2 and values[0] == name and _encode(values) == body):
                    return False
                filters.append((path, name, values[1]))
            plans.append((language, meta_path, meta, filters))
    except (OSError, ValueError, KeyError, TypeError, IndexError, gzip.BadGzipFile):
        return False
    for language, meta_path, meta, filters in plans:
        stems = {}
        for path, name, values in filters:
            body = _encode([name, sorted(values, key=_encode)])
            stem = path.stem
            stems[name] = _renamed(stem, body)
            path.unlink()
            (path.parent / f"{stems[name]}.pf_filter").write_bytes(_pack(body))
        meta[3] = sorted([name, stems[name]] for name, _ in meta[3])
        if isinstance(meta[5], list) and all(isinstance(field, str) for field in meta[5]):
            meta[5] = sorted(meta[5])
        body = _encode(meta)
        old = language["hash"]
        new = _renamed(old, body)
        meta_path.unlink()
        (bundle / f"pagefind.{new}.pf_meta").write_bytes(_pack(body))
        entry_text = re.sub(rf'("hash"\s*:\s*"){re.escape(old)}"', lambda m: f'{m.group(1)}{new}"', entry_text)
    entry_path.write_text(entry_text, encoding="utf-8")
    return True


def _renamed(stem: str, body: bytes) -> str:
    """'en_756c1ca' -> 'en_' and as many hex digits of the new content's hash."""
    language, _, digest = stem.partition("_")
    return f"{language}_{hashlib.sha256(body).hexdigest()[:len(digest)]}"


def _unpack(data: bytes) -> bytes:
    body = gzip.decompress(data)
    if not body.startswith(SIGNATURE):
        raise ValueError("not a Pagefind index file")
    return body[len(SIGNATURE):]


def _pack(body: bytes) -> bytes:
    return gzip.compress(SIGNATURE + body, compresslevel=9, mtime=0)


# The part of CBOR (RFC 8949) that Pagefind's filter files use: integers, strings, arrays.

def _decode(data: bytes) -> Any:
    value, end = _item(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes")
    return value


def _item(data: bytes, at: int) -> tuple[Any, int]:
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if info < 24:
        number = info
    elif info <= 27:
        size = 1 << (info - 24)
        number, at = int.from_bytes(data[at:at + size], "big"), at + size
    else:
        raise ValueError(f"unsupported CBOR item {data[at - 1]:#x}")
    if major == 0:
        return number, at
    if major == 1:
        return -1 - number, at
    if major in (2, 3):
        raw = data[at:at + number]
        return (raw if major == 2 else raw.decode("utf-8")), at + number
    if major == 4:
        items = []
        for _ in range(number):
            item, at = _item(data, at)
            items.append(item)
        return items, at
    raise ValueError(f"unsupported CBOR major type {major}")


def _encode(value: Any) -> bytes:
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(_encode(item) for item in value)
    raise ValueError(f"cannot encode {type(value).__name__}")


def _head(major: int, number: int) -> bytes:
    if number < 24:
        return bytes([major << 5 | number])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if number < 1 << (8 * size):
            return bytes([major << 5 | info]) + number.to_bytes(size, "big")
    raise ValueError("integer too large")
