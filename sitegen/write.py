"""Writes the site: only what changed, or into a fresh folder beside the output swapped in whole.

A manifest of the last build (kept in the site's cache) records each output file's page key
and bytes; a rebuild renders only pages whose key changed and writes only files whose bytes
changed. Pages are rendered in parallel across cores. A failed or interrupted build (an error,
Ctrl-C, a kill) leaves the previous output as it was, or at worst (killed while moving changed
files in) each file whole and no manifest, so the next build makes a whole new folder; a stale
work folder from an interrupted build is removed by the next one. A whole new folder's folders
and article files can be made ahead, while the build is still loading and planning (StageAhead).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import pickle
import shutil
import signal
import tempfile
import threading
from array import array
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, NamedTuple, Sequence

from sitegen.cache import stamp_of, write_atomically
from sitegen.errors import BuildError
from sitegen.forked import Forked, Unavailable, check_interrupted, idle_priority, interrupts_held
from sitegen.parts import part_size

WORK_PREFIX = ".sitegen-"
BUNDLE = "pagefind"  # the search bundle's folder in the output
DIGEST_SIZE = 16     # bytes of the digest of a written file's bytes


def check_output(output: Path, site: Path, content: Path) -> None:
    """Refuse an output folder whose replacement would destroy the site or its content."""
    out = output.resolve()
    site, content = site.resolve(), content.resolve()
    for what, protected in (("the site", site), ("the content folder", content)):
        if out == protected or out in protected.parents:
            raise BuildError(f"refusing to build into {output}: it is {what} or contains it")
    if content in out.parents:
        raise BuildError(f"refusing to build into {output}: it is inside the content folder")
    if out == Path(out.anchor) or out == Path.home().resolve():
        raise BuildError(f"refusing to build into {output}")
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").exists():
        raise BuildError(f"refusing to replace {output}: it is not empty and does not look like a built site "
                         "(no index.html); remove it or choose another output folder")
    if out.exists() and not out.is_dir():
        raise BuildError(f"refusing to build into {output}: it is a file")


def recover(output: Path, keep: Path | None = None) -> None:
    """Finish or undo what an interrupted build left beside the output (``keep``: this build's
    own stage, made already: see StageAhead)."""
    parent = output.parent
    if not parent.is_dir():
        return
    for stale in parent.glob(f"{WORK_PREFIX}{output.name}.*"):
        if stale == keep:
            continue
        if stale.name.endswith(".old") and not output.exists():
            stale.rename(output)  # killed between the two renames of a swap: put the old site back
        else:
            shutil.rmtree(stale, ignore_errors=True)


class Entry(NamedTuple):
    """What the manifest knows of one output file: the key it was made from, a digest of its
    bytes, and its size and modification time when written (a file changed since is not trusted);
    for a page, what its key was made of (``deps``, see ``pagekeys``), so that the next build can
    take the key as it was when none of that changed, or None. A tuple: the manifest's entries
    are made from its columns by ``tuple.__new__`` alone (15,000 a rebuild at 10,000 articles)."""
    key: bytes | None
    digest: bytes
    size: int
    mtime_ns: int
    deps: bytes | None = None


@dataclass(slots=True)
class Manifest:
    """The files of one output folder as the last build left them."""
    output: str
    entries: dict[str, Entry] = field(default_factory=dict)
    search: bool = False  # the search bundle in the output was made from these files
    inputs: tuple[bytes, Any] | None = None  # the build's digest of all it read, and what it reported (see build)
    record: Any = None  # what the build's page keys were made of, for the next build's (see pagekeys.KeyRecord)
    ledger: "Ledger | None" = None  # a new folder's files as columns, saved without ``entries`` made of them

    def __reduce__(self) -> tuple:
        """Pickled as columns (paths, keys, digests, sizes, times, deps: a string or array each), not
        an object per file: saving the manifest of 144,000 pages took 0.8 s of each edit at 100,000
        articles, and a list of objects grows the pickler's memo by one each."""
        done = self.ledger if self.ledger is not None else Ledger.of(self.entries.keys(), self.entries.values())
        return _manifest, (self.output, "\0".join(done.rels), done.key_sizes, bytes(done.keys), bytes(done.digests),
                           done.sizes, done.times, self.search, self.inputs, done.deps_sizes, bytes(done.deps),
                           self.record)

    @staticmethod
    def read(path: Path | None, output: Path) -> "Manifest | None":
        """The manifest of ``output``, or None when there is none to trust (then the build
        writes a whole new folder and swaps it in)."""
        found = _manifest_file(path, output, whole=True) if path is not None and output.is_dir() else None
        manifest = found[1] if found else None
        return manifest if isinstance(manifest, Manifest) and manifest.output == str(output) else None

    @staticmethod
    def read_inputs(path: Path | None, output: Path) -> bytes | None:
        """The digest of the inputs of the build that wrote the manifest of ``output``, read
        without the entries: a build that finds its inputs changed reads the whole manifest once,
        where it writes (0.4 s a read at 100,000 articles), not twice."""
        found = _manifest_file(path, output, whole=False) if path is not None else None
        return found[0] if found and isinstance(found[0], bytes) else None

    def save(self, path: Path) -> None:
        """The output folder's path first, on its own, so ``prune_manifests`` reads just that; then
        the inputs' digest, so ``unchanged`` reads just that to find a build with new inputs."""
        path.parent.mkdir(parents=True, exist_ok=True)

        def write(f: BinaryIO) -> None:
            pickle.dump(self.output, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(self.inputs[0] if self.inputs else None, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

        write_atomically(path, write, prefix=path.name)


def previous(output: Path, manifest: Path | None, keep: Path | None = None) -> "Manifest | None":
    """The manifest of the last build into ``output`` (what an interrupted one left finished or
    undone first, but ``keep``: see recover), or None when there is none to trust."""
    recover(output, keep)
    return Manifest.read(manifest, output)


def _manifest_file(path: Path, output: Path, whole: bool) -> tuple[Any, Any] | None:
    """(the inputs' digest, the manifest when ``whole``) of the file at ``path``, when it is the
    manifest of ``output``; None when it is another folder's or cannot be read."""
    try:
        with path.open("rb") as f:
            if pickle.load(f) != str(output):
                return None
            digest = pickle.load(f)
            return digest, (pickle.load(f) if whole else None)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        return None


def _manifest(output: str, rels: str, key_sizes: array, keys: bytes, digests: bytes, sizes: array, times: array,
              search: bool, inputs: tuple[bytes, Any] | None, deps_sizes: array, deps: bytes, record: Any) -> Manifest:
    """A Manifest from its columns (see Manifest.__reduce__)."""
    paths = rels.split("\0") if rels else []
    count = len(paths)
    if len(digests) != DIGEST_SIZE * count or not len(key_sizes) == len(sizes) == len(times) == len(deps_sizes) == count \
            or sum(size for size in deps_sizes if size > 0) != len(deps) \
            or sum(size for size in key_sizes if size > 0) != len(keys):
        raise ValueError("a manifest's columns disagree")
    return Manifest(output, dict(zip(paths, _entries(key_sizes, keys, digests, sizes, times, deps_sizes, deps))),
                    search, inputs, record)


def _entries(key_sizes: array, keys: bytes, digests: bytes, sizes: array, times: array, deps_sizes: array,
             deps: bytes) -> Iterator[Entry]:
    """The entries of these columns, made by ``tuple.__new__`` alone (15,000 a rebuild at 10,000 articles)."""
    found = [digests[i:i + DIGEST_SIZE] for i in range(0, len(digests), DIGEST_SIZE)]  # (lists: faster than generators)
    return map(partial(tuple.__new__, Entry), zip(_cut(keys, key_sizes), found, sizes, times, _cut(deps, deps_sizes)))


def _cut(joined: bytes, sizes: array) -> list[bytes | None]:
    """``joined`` cut into pieces of ``sizes`` (-1: None, taking nothing)."""
    ends = accumulate([size if size > 0 else 0 for size in sizes])
    return [None if size < 0 else joined[end - size:end] for size, end in zip(sizes, ends)]


class Ledger:
    """The files one build handled, as columns: each one's path, manifest entry (see Entry) and
    fate. Not a tuple of an Entry of bytes and ints per file, which took about 520 bytes a page of
    the parent's heap by the end of rendering (0.75 GB at a million articles, beside the render
    worker); here about 110. A render chunk's ledger has no paths: the parent takes them from its
    own pages after rendering."""

    __slots__ = ("rels", "key_sizes", "keys", "digests", "sizes", "times", "deps_sizes", "deps", "fates")

    def __init__(self) -> None:
        self.rels: list[str] = []
        self.key_sizes, self.keys, self.digests = array("i"), bytearray(), bytearray()
        self.sizes, self.times = array("q"), array("q")
        self.deps_sizes, self.deps, self.fates = array("i"), bytearray(), bytearray()

    def __len__(self) -> int:
        return len(self.fates)

    def add(self, entry: Entry, fate: int) -> None:
        """One file's entry and fate (its path goes in ``rels`` apart)."""
        key, deps = entry.key, entry.deps
        if key is None:
            self.key_sizes.append(-1)
        else:
            self.key_sizes.append(len(key))
            self.keys += key
        self.digests += entry.digest
        self.sizes.append(entry.size)
        self.times.append(entry.mtime_ns)
        if deps is None:
            self.deps_sizes.append(-1)
        else:
            self.deps_sizes.append(len(deps))
            self.deps += deps
        self.fates.append(fate)

    def extend(self, other: "Ledger") -> None:
        self.rels += other.rels
        self.key_sizes += other.key_sizes
        self.keys += other.keys
        self.digests += other.digests
        self.sizes += other.sizes
        self.times += other.times
        self.deps_sizes += other.deps_sizes
        self.deps += other.deps
        self.fates += other.fates

    @classmethod
    def of(cls, rels: Iterable[str], entries: Iterable[Entry], fate: int = 0) -> "Ledger":
        """A ledger of these files, all of one fate (column by column: 15,000 kept pages after an edit)."""
        made = cls()
        made.rels = list(rels)
        entries = list(entries)
        keys = [e.key for e in entries]
        deps = [e.deps for e in entries]
        made.key_sizes = array("i", [-1 if key is None else len(key) for key in keys])
        made.keys = bytearray(b"".join([key for key in keys if key]))
        made.digests = bytearray(b"".join([e.digest for e in entries]))
        made.sizes = array("q", [e.size for e in entries])
        made.times = array("q", [e.mtime_ns for e in entries])
        made.deps_sizes = array("i", [-1 if d is None else len(d) for d in deps])
        made.deps = bytearray(b"".join([d for d in deps if d]))
        made.fates = bytearray([fate]) * len(entries)
        return made

    def entries(self) -> list[Entry]:
        return list(_entries(self.key_sizes, bytes(self.keys), bytes(self.digests), self.sizes, self.times,
                             self.deps_sizes, bytes(self.deps)))

    def with_fate(self, fate: int, same: bool = True) -> list[str]:
        """The paths of the files of ``fate`` (of any other fate when not ``same``)."""
        return [rel for rel, f in zip(self.rels, self.fates) if (f == fate) == same]


def prune_manifests(folder: Path, pattern: str) -> int:
    """Delete the manifests (``pattern`` in ``folder``) of output folders that are gone, or that
    cannot be read: a site built once into ``-o /tmp/x`` should not keep megabytes for it."""
    removed = 0
    for path in folder.glob(pattern):
        try:
            with path.open("rb") as f:
                output = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            output = None
        if not isinstance(output, str) or not Path(output).is_dir():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def unchanged(output: Path, manifest: Path | None, inputs: bytes, *, search: bool,
              check: IntactCheck | None = None) -> tuple[Any, int] | None:
    """(what the last build reported, its file count) when it read exactly ``inputs`` and its
    files in ``output`` are all as it wrote them (by size and time, as ``_one`` checks a kept
    page), with its search bundle when there is search: nothing to do but say so again.
    ``check``: what a forked process found of the files (else they are checked here)."""
    if Manifest.read_inputs(manifest, output) != inputs:
        return None
    old = Manifest.read(manifest, output)
    kept = getattr(old, "inputs", None)
    if old is None or kept is None or kept[0] != inputs or old.search != search:
        return None
    if search and not (output / BUNDLE).is_dir():
        return None
    if len(written_as(output, old.entries, old.entries, check, manifest)) != len(old.entries):
        return None
    return kept[1], len(old.entries) + _keep_bundle(output, search)


class IntactCheck:
    """Which files of the last build's manifest are no longer as it wrote them (``_intact``),
    found by a process forked as the build starts, while it loads and indexes: a stat of every
    output file took 0.065 s of a 1 s rebuild at 10,000 articles (15,000 files), one core.
    ``broken`` is None when the check could not be made (no manifest, no fork, a swap left
    half done); the caller then checks the files itself."""

    def __init__(self, output: Path, manifest: Path | None, child: tuple[Forked, int] | None = None):
        """``child``: a child forked already, and the step of its calls that is ``not_intact(output,
        manifest)``; else one is forked here."""
        if child is None and manifest is not None and manifest.is_file():
            child = Forked(not_intact, output, manifest), 0
        self._child = child
        self._finding: tuple[tuple[int, int, int], frozenset[str]] | None = None

    def broken(self, manifest: Path | None) -> frozenset[str] | None:
        """The output paths of the manifest at ``manifest`` whose file is not as written, or None."""
        if self._child is not None:
            (child, step), self._child = self._child, None
            try:
                self._finding = child.result(step)
            except Unavailable:  # (a result cut short, or none, is never taken)
                self._finding = None
        if self._finding is None or manifest is None:
            return None
        identity, broken = self._finding
        try:  # the manifest the child read, not one written since
            return broken if _identity(manifest) == identity else None
        except OSError:
            return None


def not_intact(output: Path, manifest: Path) -> tuple[tuple[int, int, int], frozenset[str]] | None:
    if any(output.parent.glob(f"{WORK_PREFIX}{output.name}.*")):  # ``recover`` has work to do first
        return None
    identity = _identity(manifest)
    old = Manifest.read(manifest, output)
    if old is None:
        return None
    return identity, frozenset(old.entries.keys() - written_as(output, old.entries, old.entries))


def _identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def identity(path: Path | None) -> tuple[int, int, int] | None:
    """A file's inode, size and modification time (a manifest saved again has others), or None."""
    try:
        return _identity(path) if path is not None else None
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class Written:
    files: int        # files of the site: pages, copies and the search bundle's
    rendered: int     # pages rendered (the rest were kept: same key as their file)
    changed: int      # files written because their bytes changed
    removed: int      # files removed because no page makes them any more
    in_place: bool    # updated in place, file by file; else a whole new folder was swapped in


KEPT, SAME, NEW = 0, 1, 2  # a page's fate: key unchanged; rendered to the same bytes; new bytes


@dataclass(frozen=True, slots=True)
class _Job:
    """What a render worker needs; set before forking, so workers inherit it instead of pickling it."""
    pages: Sequence[Any]
    render: Callable[[Any], bytes]
    path_of: Callable[[Any], str]
    key_of: Callable[[Any, bytes | None], bytes | None]
    deps_of: Callable[[Any], bytes | None]
    settle: Callable[[Any, bytes | None], bytes | None]
    old: dict[str, Entry]
    output: Path
    stage: Path
    flat: bool  # stage each file by its flat name (see _staged): the update is in place


_job: _Job | None = None
_made: set[str] = set()  # folders made in the stage by this process (in the part it renders)
PARALLEL_FROM = 300  # fewer pages than this render faster in one process than a pool starts
SERIAL_PART = 100    # pages rendered between reports of progress, in one process
LEAST_PART = 20      # pages in the last, smallest parts handed to render processes (see parts.py)


def write_site(output: Path, pages: Sequence[Any], render: Callable[[Any], bytes], *,
               path_of: Callable[[Any], str], key_of: Callable[[Any, bytes | None], bytes | None] = lambda page, like: None,
               deps_of: Callable[[Any], bytes | None] = lambda page: None,
               settle: Callable[[Any, bytes | None], bytes | None] | None = None,
               copies: Iterable[tuple[Path, str]] = (), manifest: Path | None = None,
               progress: Callable[[int, int], None] | None = None,
               finish: Callable[[Path, Path], int] | None = None, jobs: int = 1,
               inputs: tuple[bytes, Any] | None = None, record: Any = None,
               old: "Manifest | None | bool" = False, carried: dict[str, bytes] | None = None,
               ahead: "StageAhead | None" = None) -> Written:
    """Render every page and copy every (source, relative path) into ``output``.

    With a trusted manifest of the last build, only pages whose key changed are rendered, and
    only files whose bytes changed are written (each by an atomic rename), so a static host's
    sync uploads just those; files no page makes any more are removed. Without one, everything
    goes into a fresh folder that is swapped in whole. Either way nothing in ``output`` changes
    until every page has rendered, so a template error leaves the last good site as it was.
    Later copies of a path win over earlier ones (site static over theme); pages win over copies.
    ``finish(site folder, bundle folder)`` builds the search bundle and returns its file count;
    it runs when any page changed or the bundle is missing, on a whole new folder (unchanged
    files hard-linked into it) that is then swapped in. ``inputs`` (the build's digest of all it
    read, and what it reported) is kept in the manifest for ``unchanged``, and ``record`` for the
    next build's page keys, with each page's ``deps_of`` (asked right after its ``key_of``).
    ``key_of(page, like)``: the page's key, made as ``like`` was (the last build's key of its
    file, or None); ``settle(page, key)``, right after the page is rendered: its key as the
    rendering calls for, ``key`` (made before, or None) or one made now (default: ``key``, or
    ``key_of(page, None)`` when there was none).
    ``old``: the manifest as ``previous`` read it, when the caller read it first. ``carried``:
    pages of ``old`` that are not in ``pages`` (a narrow plan's, see plan_site) and stay as they
    are, each with its deps as this build numbers them (pagekeys.kept_keys): the caller found each
    key unchanged and each file as written (``written_as``). ``ahead``: what the caller sent its
    child to make (see StageAhead); its ``stage``, when it sent one, is this build's, with folders
    and files in it already, and the child has ended.
    """
    global _job
    stage_ahead = ahead.stage if ahead is not None else None
    if old is False:
        old = previous(output, manifest, stage_ahead)
    if settle is None:
        def settle(page: Any, key: bytes | None) -> bytes | None:
            return key if key is not None else key_of(page, None)
    assert old is None or isinstance(old, Manifest)
    stage = stage_ahead or make_stage(output)
    try:
        sources = {rel: source for source, rel in copies}  # a later copy of a path wins
        # Known now to be an update in place (no search bundle to build on a whole folder): files
        # are staged flat, so no folder is made in the stage nor removed with it.
        flat = old is not None and finish is None
        _job = _Job(pages, render, path_of, key_of, deps_of, settle, old.entries if old else {}, output, stage, flat)
        try:
            done = _render_pages(jobs, progress)
        finally:
            _job = None
        done.rels = [path_of(page) for page in pages]  # (not held while rendering: 80 bytes a page)
        if old is not None and carried:
            entries = old.entries
            done.extend(Ledger.of(list(carried), [entry if entry.deps == deps else entry._replace(deps=deps)
                                                  for entry, deps in ((entries[rel], carried[rel]) for rel in carried)],
                                  KEPT))
        for rel in done.rels:  # pages win over copies
            sources.pop(rel, None)
        copied = _copy_files(sources, old.entries if old else {}, output, stage, flat)
        done.extend(copied)
        if ahead is not None and stage_ahead is not None and not flat:
            ahead.drop_unused(done.rels)
        changed = done.with_fate(NEW)
        new = Manifest(str(output), inputs=inputs, record=record, ledger=done)
        gone = sorted(old.entries.keys() - set(done.rels)) if old else []
        bundle_changed = bundle_gone = 0
        search_again = finish is not None and (old is None or bool(changed or gone) or not old.search
                                               or not (output / BUNDLE).is_dir())
        in_place = old is not None and not search_again  # (so ``flat`` when any changed)
        if not in_place:
            # A whole folder: the search index must read the complete new site before anything
            # is swapped in. Files kept from the last build are hard links, not copies.
            if old is not None:
                _link_kept(output, stage, done.with_fate(NEW, same=False))
            bundle = finish(stage, stage / BUNDLE) if finish else 0
            if finish and old is not None:
                bundle_changed, bundle_gone = _relink_same(stage / BUNDLE, output / BUNDLE)
            elif finish:
                bundle_changed = bundle
            os.chmod(stage, 0o755)  # (links keep the times of the files)
            check_interrupted()  # (the last moment to leave the output as it was: see forked.interrupts_remembered)
            _distrust(manifest)
            swap(stage, output)
        else:  # in place: each changed file by an atomic rename, nothing else touched
            check_interrupted()  # (as before a swap)
            if changed or gone:
                _distrust(manifest)
                _apply(stage, output, changed, gone)
            bundle = _keep_bundle(output, finish is not None)  # (renames keep the times of the files)
        new.search = finish is not None
        removed = len(gone)
        if manifest is not None and not (in_place and new.inputs == old.inputs and new.record == old.record
                                         and manifest.exists() and len(done) == len(old.entries)
                                         and all(old.entries.get(rel) == entry
                                                 for rel, entry in zip(done.rels, done.entries()))):
            new.save(manifest)
        return Written(len(done) + bundle, len(done) - done.fates.count(KEPT), len(changed) + bundle_changed,
                       removed + bundle_gone, in_place)
    finally:  # what is left of the stage: after a failure, or the staged files of an in-place update
        shutil.rmtree(stage, ignore_errors=True)


def make_stage(output: Path) -> Path:
    """A new folder beside ``output`` for a build to write into (its name found by ``recover``)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{output.name}.", suffix=".new", dir=output.parent))


class StageAhead:
    """A whole new output's folders and article files (empty), made in its stage ahead of the
    pages, by the build's child (build.py) at the lowest priority: in time the build leaves a
    core idle (making the indexes, planning) instead of in the render processes, which keep both
    cores busy.

    Making a file or folder costs the kernel much on some disks: on this machine's ext4, 35 to
    50 µs each, and a cold build at 10,000 articles makes 19,000 folders (one per article, day,
    month and year) and 15,000 files. Made ahead, each page's ``_parent`` finds its folder, and
    an article's page is written into the file there (see WRITE_FLAGS). The pages stage of that
    build on this disk took 2.37 s instead of 3.0 to 3.4 (2.24 s with the output in memory).

    The child is forked as the build starts, while the process is small (see forked.py); the
    articles' paths are known only once they are loaded, so they are sent down a pipe (by a
    thread: the list is more than a pipe holds, and the child reads it only once idle). The
    build ends the child before it renders, done or not; what no page took is removed
    (``drop_unused``) before the stage is swapped in."""

    LENGTH = 8  # bytes before the list: its length (the pipe's write end may be open in other children)

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        self.stage: Path | None = None
        # What is sent, kept for drop_unused: each folder ("/"-ended) before what is in it, each
        # name ended by a NUL byte (a name may come again). One bytes object, not a string per
        # name: 60 MB at a million articles, where a list of the names took 250.
        self._names = b""

    def make(self) -> int:
        """In the child: wait for the stage and its folders and files, then make them (the files
        empty); how many were made."""
        os.close(self._write)
        with os.fdopen(self._read, "rb") as pipe:
            head = pipe.read(self.LENGTH)
            size = int.from_bytes(head, "little") if len(head) == self.LENGTH else 0
            data = pipe.read(size) if size else b""
        if not size or len(data) != size:
            return 0
        end = data.index(b"\0")
        stage = data[:end] + b"/"
        idle_priority()
        made = 0
        try:
            for name in _names(data, end + 1):
                try:
                    if name.endswith(b"/"):
                        os.mkdir(stage + name)
                    else:
                        os.close(os.open(stage + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                    made += 1
                except FileExistsError:
                    pass
        except OSError:  # the stage is gone: the build has ended
            pass
        return made

    def forked(self) -> None:
        """In the parent, once the child is forked: its end of the pipe is the child's."""
        os.close(self._read)

    def send(self, stage: Path, paths: Iterable[str]) -> None:
        """In the parent: make the files ``paths`` (output paths, relative, "/"-separated) and
        their folders in ``stage``. A path with an empty, "." or ".." part is left out.

        Each folder is sent when a path is not in the last path's (a folder made already is
        passed over by the child). Articles come newest first, and their folders under the
        default permalink are their days': each sent once. Paths are taken one by one, with no
        list or set of them all: at a million articles a list of the paths kept the largest
        process 100 MB bigger after it was let go."""
        names = bytearray()
        last: list[str] = []
        for path in paths:
            parts = path.split("/")
            if "" in parts or "." in parts or ".." in parts or "\0" in path:
                continue
            folders = parts[:-1]
            same = 0
            while same < len(last) and same < len(folders) and last[same] == folders[same]:
                same += 1
            for depth in range(same + 1, len(folders) + 1):
                names += os.fsencode("/".join(folders[:depth]) + "/\0")
            names += os.fsencode(path + "\0")
            last = folders
        self.stage, self._names = stage, bytes(names)
        del names
        # Started with Ctrl-C blocked, which it keeps: a SIGINT is then always the main thread's,
        # held back while that forks (interrupts_held). One this thread took while the main
        # thread forked was raised there among Python's after-fork handlers, and dropped.
        with interrupts_held():
            threading.Thread(target=self._send, args=(os.fsencode(f"{stage}\0"),), daemon=True).start()

    def cancel(self) -> None:
        """In the parent: nothing to make (the child's wait ends)."""
        self._names = b""
        self._send(b"", empty=True)

    def _send(self, head: bytes, empty: bool = False) -> None:
        try:
            if empty:
                os.write(self._write, bytes(self.LENGTH))
            else:
                size = len(head) + len(self._names)
                for data in (size.to_bytes(self.LENGTH, "little") + head, self._names):
                    view = memoryview(data)
                    while view:
                        view = view[os.write(self._write, view):]
        except OSError:  # the child has ended (the build rendered before it read)
            pass
        finally:
            os.close(self._write)

    def drop_unused(self, rels: Iterable[str]) -> None:
        """Remove the files made ahead that are not among ``rels`` (what the build wrote: an
        article its plan left out, were there one), then their folders that hold nothing else,
        innermost first. Every folder made ahead holds a file made ahead, so only those of a file
        removed can be empty."""
        written = set(rels)
        unused = [file for file in map(os.fsdecode, _names(self._names, 0))
                  if not file.endswith("/") and file not in written]
        del written
        folders: set[str] = set()
        for file in unused:
            try:
                os.unlink(f"{self.stage}/{file}")
            except OSError:
                pass
            folder = file.rpartition("/")[0]
            while folder and folder not in folders:
                folders.add(folder)
                folder = folder.rpartition("/")[0]
        for folder in sorted(folders, reverse=True):  # (inside ones first)
            try:
                os.rmdir(f"{self.stage}/{folder}")
            except OSError:  # it holds something (or was never made)
                pass


def _names(data: bytes, start: int) -> Iterator[bytes]:
    """The NUL-ended names in ``data`` from ``start`` on, one by one (no list of them all)."""
    while start < len(data):
        end = data.index(b"\0", start)
        yield data[start:end]
        start = end + 1


def _render_pages(jobs: int, progress: Callable[[int, int], None] | None) -> Ledger:
    """Render (or keep) every page of ``_job``, in ``jobs`` processes when there are many: the
    parent and ``jobs - 1`` forked workers. Returns what came of each page, in order (its path
    left for the caller to fill in).

    The parent renders its share itself instead of waiting: a forked worker ends up with a
    private copy of much of the parent's heap (reading an object writes its reference count,
    and copy-on-write then copies its page), so each worker fewer is one such copy less. At
    100,000 articles the build's processes held 1.63 GB (PSS) with two workers, 1.40 GB with one."""
    assert _job is not None
    total = len(_job.pages)
    if jobs < 2 or total < PARALLEL_FROM:
        done = Ledger()
        for start in range(0, total, SERIAL_PART):
            check_interrupted()
            done.extend(_part(range(start, min(start + SERIAL_PART, total))))
            if progress:
                progress(min(start + SERIAL_PART, total), total)
        if progress and not total:
            progress(0, 0)
        return done
    most = max(50, total // (jobs * 16))
    parts: dict[int, Ledger] = {}  # by the first page of each
    rendered = 0

    def finished(k: int, part: Ledger | BaseException) -> None:
        nonlocal rendered
        if isinstance(part, BaseException):
            raise part
        parts[k] = part
        rendered += len(part)
        if progress:
            progress(rendered, total)

    import multiprocessing.pool  # (only here: a rebuild renders a few pages in line)

    workers = jobs - 1
    # The pages not yet handed out are [front, back): the parent takes its parts from the front (the
    # article pages), the workers theirs from the back (the listings), so each article's listing row
    # is rendered in one process, not in each (at 10,000 articles 17,600 of 47,600 row renders were
    # a second process's, 0.35 CPU seconds). Parts taper as the pages run out (see parts.py).
    front, back = 0, total
    with interrupts_held():  # (the pool forks its workers as it starts)
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_sigint)
    with pool:
        queued: dict[int, multiprocessing.pool.AsyncResult] = {}
        while front < back or queued:
            check_interrupted()
            while front < back and len(queued) < 2 * workers:  # each worker a part in hand and one queued
                size = part_size(back - front, jobs, most, LEAST_PART)
                back -= size
                queued[back] = pool.apply_async(_chunk, (range(back, back + size),))
            if front < back:  # the parent's share: the next part from the front
                size = part_size(back - front, jobs, most, LEAST_PART)
                finished(front, _part(range(front, front + size)))
                front += size
            else:
                queued[max(queued)].wait()  # (the one queued first)
            for k in [k for k, result in queued.items() if result.ready()]:
                finished(k, queued.pop(k).get())
    done = Ledger()
    for k in sorted(parts):
        done.extend(parts.pop(k))  # (let go as it is copied)
    return done


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool


def _chunk(indices: range) -> Ledger | BaseException:
    try:
        return _part(indices)
    except Exception as exc:  # sent back to the parent, which raises it (a template error, a full disk)
        return exc


def _part(indices: range) -> Ledger:
    """What came of each page of ``indices``, without their paths. The folders this process made
    are remembered for one part only: the pages of a part are neighbours in the render order (an
    article part's share folders; a listing part's are of several lists, which share fewer), and a set
    of every folder made held about 400 bytes a page as Paths (0.6 GB at a million articles)."""
    done = Ledger()
    _made.clear()
    for i in indices:
        done.add(*_one(i))
    _made.clear()
    return done


def _one(i: int) -> tuple[Entry, int]:
    """Keep, or render and compare, or render and stage one page: its entry and fate. A page with
    a file of the last build is keyed as that one was (``key_of(page, its key)``) and kept when
    the keys are the same; a page rendered is keyed as its rendering calls for (``settle``: the
    key made before, or one made now)."""
    job = _job
    assert job is not None
    page = job.pages[i]
    rel = job.path_of(page)
    entry = job.old.get(rel)
    key = deps = None
    if entry is not None and entry.key is not None:
        key = job.key_of(page, entry.key)
        deps = job.deps_of(page)
        if entry.key == key and _intact(f"{job.output}/{rel}", entry):  # (a string path: a Path per page cost more than the stat)
            return entry if entry.deps == deps else Entry(key, entry.digest, entry.size, entry.mtime_ns, deps), KEPT
    data = job.render(page)
    settled = job.settle(page, key)
    if settled is not key:
        key, deps = settled, job.deps_of(page)
    return _compare_or_stage(rel, key, data, entry, job.output, job.stage, _made, deps, job.flat)


def _compare_or_stage(rel: str, key: bytes | None, data: bytes, entry: Entry | None, output: Path, stage: Path,
                      made: set[str], deps: bytes | None = None, flat: bool = False) -> tuple[Entry, int]:
    """The file's manifest entry, and SAME when ``output`` holds these bytes already, else NEW after
    writing them into ``stage``. The entry is made here, from the stat of the file at hand: the
    parent stats no output file after rendering (1.4 million of them at a million articles)."""
    digest = hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()
    if entry is not None:
        current = f"{output}/{rel}"
        if not _intact(current, entry):  # changed since: read it to compare
            st = _holding(current, data)
            if st is not None:
                return Entry(key, digest, st.st_size, st.st_mtime_ns, deps), SAME
        elif entry.digest == digest:  # (as written, with other bytes: changed, unread)
            return Entry(key, digest, entry.size, entry.mtime_ns, deps), SAME
    if flat:
        target = _staged(stage, rel)
    else:
        target = f"{stage}/{rel}"
        _parent(target, made)
    st = _write_new(target, data)
    return Entry(key, digest, st.st_size, st.st_mtime_ns, deps), NEW


# Without O_TRUNC: a staged file is new, or made empty ahead (StageAhead), and ext4 takes a
# truncation to nothing followed by a write for a file being replaced in place (its
# "auto_da_alloc"), allocating the file's blocks and starting to write them out when it is
# closed: a cold build at 10,000 articles took 0.6 s longer in its pages stage so.
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _write_new(target: str, data: bytes) -> os.stat_result:
    """Write ``data`` as the file ``target``; its stat after the write (the time of the last write:
    renames and hard links keep it). By the file descriptor, unbuffered: Python's file object
    asked the kernel for the file's block size, whether it is a terminal and where it stands
    (fstat, ioctl, lseek) before each write, 45,000 calls in a cold build at 10,000 articles.
    A longer file there already is cut to ``data`` after the write (see WRITE_FLAGS)."""
    fd = os.open(target, WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            if not written:  # (a regular file takes every byte, or fails with the reason)
                raise OSError(f"could not write {target}")
            view = view[written:]
        st = os.fstat(fd)
        if st.st_size > len(data):
            os.ftruncate(fd, len(data))
            st = os.fstat(fd)
        return st
    finally:
        os.close(fd)


def _copy_files(sources: dict[str, Path], old: dict[str, Entry], output: Path, stage: Path, flat: bool) -> Ledger:
    """Copy the static and content files whose source changed into ``stage``: by path and stamp
    (size, modification and change times, inode: a file put back with its old size and
    modification time, as ``cp -p`` or ``rsync -t`` do, has a new change time)."""
    done = Ledger()
    made: set[str] = set()
    for rel, source in sources.items():
        st = source.stat()
        key = f"{source}\0{stamp_of(st)}".encode("utf-8", "surrogateescape")
        entry = old.get(rel)
        done.rels.append(rel)
        if entry is not None and entry.key == key and _intact(output / rel, entry):
            done.add(entry, KEPT)
        else:
            done.add(*_compare_or_stage(rel, key, source.read_bytes(), entry, output, stage, made, flat=flat))
    return done


def written_as(output: Path, entries: dict[str, Entry], rels: Iterable[str],
               check: IntactCheck | None = None, manifest: Path | None = None) -> list[str]:
    """Those of ``rels`` whose file in ``output`` is still as ``entries`` (read from ``manifest``)
    says it was written: as ``check`` found, or by a stat of each."""
    broken = check.broken(manifest) if check is not None else None
    if broken is not None:
        return [rel for rel in rels if rel not in broken]
    base = f"{output}/"
    return [rel for rel in rels if _intact(base + rel, entries[rel])]


def _intact(path: Path | str, entry: Entry) -> bool:
    """Whether the file is still as the last build wrote it (else it is made again)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


def _holding(path: str, data: bytes) -> os.stat_result | None:
    """The file's stat when it has exactly these bytes (when the manifest cannot vouch for it)."""
    try:
        st = os.stat(path)
        if st.st_size != len(data):
            return None
        with open(path, "rb") as file:
            return st if file.read() == data else None
    except OSError:
        return None


def _staged(stage: Path, rel: str) -> str:
    """Where the file ``rel`` of an update in place waits in ``stage``: one flat name per path
    ("/" and "%" escaped; a digest when that is too long for a name). Staged as a tree, each
    changed page's folder was made in the stage and removed with it: 0.2 ms each on a disk that
    has just freed many inodes, a seventh of a rebuild after an article is added at 10,000."""
    name = rel.replace("%", "%25").replace("/", "%2F")
    if len(name.encode("utf-8", "surrogateescape")) > 200:
        name = "%H" + hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=24).hexdigest()
    return f"{stage}/{name}"


def _apply(stage: Path, output: Path, changed: list[str], gone: list[str]) -> None:
    """Move each changed file (staged flat) into ``output`` (an atomic rename each), making its
    folder only when the rename finds none, and remove the files no page makes any more, with
    the folders they leave empty."""
    for rel in changed:
        target = f"{output}/{rel}"
        staged = _staged(stage, rel)
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(staged, target)
    for rel in gone:
        target = output / rel
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != output and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _distrust(manifest: Path | None) -> None:
    """Drop the manifest while the output changes: if the build dies midway, the next one
    trusts nothing and makes a whole new folder."""
    if manifest is not None:
        manifest.unlink(missing_ok=True)


def _link_kept(output: Path, stage: Path, rels: list[str]) -> None:
    made: set[str] = set()
    for rel in rels:
        target = f"{stage}/{rel}"
        _parent(target, made)
        os.link(f"{output}/{rel}", target)


def _relink_same(new: Path, current: Path) -> tuple[int, int]:
    """Files of the new search bundle with the same bytes as the current one's become links to
    those, so they keep their times and a sync does not upload them again. Returns the number of
    files that changed and of those that went."""
    fresh = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    changed = 0
    for rel in fresh:
        path, old = new / rel, current / rel
        if old.is_file() and old.stat().st_size == path.stat().st_size and old.read_bytes() == path.read_bytes():
            path.unlink()
            os.link(old, path)
        else:
            changed += 1
    gone = sum(1 for p in current.rglob("*") if p.is_file() and p.relative_to(current) not in fresh)
    return changed, gone


def _keep_bundle(output: Path, search: bool) -> int:
    """The search bundle's file count when pages are unchanged; removed when search is off."""
    current = output / BUNDLE
    if not search:
        if current.is_dir():
            shutil.rmtree(current)
        return 0
    return sum(1 for p in current.rglob("*") if p.is_file())


def _parent(target: str, made: set[str]) -> None:
    """Make the folder of the file ``target`` unless it is in ``made`` (folders this process made)."""
    parent = os.path.dirname(target)
    if parent not in made:
        try:
            os.mkdir(parent)  # (most often only the last folder is new: one call)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
        made.add(parent)


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 with RENAME_EXCHANGE), so a web
    server reading the output never finds it missing; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap(new: Path, output: Path) -> None:
    """Put ``new`` in the place of ``output``; the old one is removed only after."""
    if not output.exists():
        new.rename(output)
        return
    if exchange(new, output):
        shutil.rmtree(new, ignore_errors=True)  # it now holds the previous site
        return
    old = output.parent / f"{WORK_PREFIX}{output.name}.old"
    if old.exists():
        shutil.rmtree(old)
    output.rename(old)  # elsewhere: two renames, with a moment between them without an output
    new.rename(output)
    shutil.rmtree(old, ignore_errors=True)
