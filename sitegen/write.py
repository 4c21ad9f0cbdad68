"""Writes the site: into a fresh folder beside the output, then swapped in whole.

A failed or interrupted build (an error, Ctrl-C, a kill) leaves the previous output
as it was; a stale work folder from an interrupted build is removed by the next one.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from sitegen.errors import BuildError

WORK_PREFIX = ".sitegen-"


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


def recover(output: Path) -> None:
    """Finish or undo what an interrupted build left beside the output."""
    parent = output.parent
    if not parent.is_dir():
        return
    for stale in parent.glob(f"{WORK_PREFIX}{output.name}.*"):
        if stale.name.endswith(".old") and not output.exists():
            stale.rename(output)  # killed between the two renames of a swap: put the old site back
        else:
            shutil.rmtree(stale, ignore_errors=True)


def write_site(output: Path, files: Iterable[tuple[str, bytes]], copies: Iterable[tuple[Path, str]],
               progress: Callable[[int], None] | None = None, finish: Callable[[Path], int] | None = None) -> int:
    """Write every (relative path, bytes) and copy every (source, relative path), then swap in.

    Returns the number of files written. Later copies of the same path win over earlier
    ones (site static over theme static); rendered pages win over copies. ``finish`` runs on
    the complete new folder before the swap (the search index) and returns the files it
    added; if it raises, nothing is swapped in.
    """
    recover(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{output.name}.", suffix=".new", dir=output.parent))
    try:
        count = 0
        made: set[Path] = set()
        for source, rel in copies:
            target = work / rel
            _parent(target, made)
            shutil.copyfile(source, target)
            count += 1
        for rel, data in files:
            target = work / rel
            _parent(target, made)
            target.write_bytes(data)
            count += 1
            if progress:
                progress(count)
        if finish is not None:
            count += finish(work)
        os.chmod(work, 0o755)
        swap(work, output)
        return count
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _parent(target: Path, made: set[Path]) -> None:
    parent = target.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
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
