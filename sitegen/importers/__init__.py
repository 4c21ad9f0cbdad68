"""`sitegen import`: turns another system's archive into sitegen content.

Each format is a module with ``sources(src)``, the files it converts, and ``convert(source)``,
which gives Entries (articles as front matter fields and a Markdown body) and diagnostics.
This module runs them and writes each Entry as ``INTO/<section-slug>/<YYYY>/<slug>.md``; it
never overwrites a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import yaml

from sitegen.errors import Diagnostic, error, sorted_unique
from sitegen.importers import hugo, ninjs, pelican, scrape
from sitegen.importers.common import Entry, Outcome, Source
from sitegen.load import decode
from sitegen.model import slugify


@dataclass(frozen=True, slots=True)
class Format:
    sources: Callable[[Path], list[tuple[Path, str]]]  # SRC -> (file, its path inside the content)
    convert: Callable[[Source], Outcome]


FORMATS = {
    "pelican": Format(pelican.sources, pelican.convert),
    "hugo": Format(hugo.hugo_sources, hugo.convert_hugo),
    "jekyll": Format(hugo.jekyll_sources, hugo.convert_jekyll),
    "ninjs": Format(ninjs.sources, ninjs.convert),
    "scrape": Format(scrape.sources, scrape.convert),
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    written: tuple[Path, ...]  # the new articles' files
    skipped: int  # articles not converted, or not written since their file exists
    diagnostics: tuple[Diagnostic, ...]

    @property
    def imported(self) -> int:
        return len(self.written)


def import_archive(name: str, src: Path, into: Path) -> ImportResult:
    """Convert the archive at ``src`` (a folder, or one file) in format ``name`` into ``into``.
    Paths in diagnostics are shown as ``src`` and ``into`` are given. Files already in ``into``
    are not read (an archive may hold the new content folder)."""
    fmt = FORMATS[name]
    entries: list[Entry] = []
    diagnostics: list[Diagnostic] = []
    failed = 0
    new_content = into.resolve()
    for path, rel in fmt.sources(src):
        if path.resolve().is_relative_to(new_content):
            continue
        shown = src.as_posix() if path == src else (src / path.relative_to(src)).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            diagnostics.append(error(shown, 1, f"cannot read it: {exc.strerror or exc}"))
            failed += 1
            continue
        text, problem = decode(data, shown)
        if problem:
            diagnostics.append(problem)
            failed += 1
            continue
        outcome = fmt.convert(Source(path, rel, shown, text))
        entries += outcome.entries
        diagnostics += outcome.diagnostics
        failed += outcome.failed
    written, problems = write(entries, into)
    return ImportResult(tuple(written), failed + len(problems), tuple(sorted_unique(diagnostics + problems)))


# --- writing -------------------------------------------------------------------------------------

KEY_ORDER = ("title", "slug", "date", "updated", "section", "tags", "authors", "source", "summary",
             "image", "image_caption", "image_credit", "related", "draft", "aliases")
QUOTED = ("title", "summary", "image_caption", "image_credit")


def write(entries: list[Entry], into: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Write each entry to its own new file; an existing file is left as it is (a diagnostic).
    Two entries that would share a file name get '-2', '-3' (the first keeps the plain one)."""
    taken: set[Path] = set()
    written: list[Path] = []
    problems: list[Diagnostic] = []
    for entry in entries:
        target = target_path(entry, into, taken)
        copies = [(target, None)]
        if entry.image_file is not None:  # a photo beside the scrape, copied beside the article
            photo = target.with_name(target.stem + entry.image_file.suffix.lower())
            copies.insert(0, (photo, entry.image_file))
            entry = replace(entry, image=photo.name)
        existing = next((path for path, _ in copies if path.exists()), None)
        if existing is not None:
            problems.append(error(entry.origin, entry.line,
                                  f"{existing.as_posix()} exists already: left as it is, this article is not imported"))
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            for path, original in copies:
                data = original.read_bytes() if original else markdown_file(entry).encode("utf-8")
                with path.open("xb") as out:  # "x": never replace a file, even one made meanwhile
                    out.write(data)
        except OSError as exc:
            problems.append(error(entry.origin, entry.line, f"cannot write {Path(exc.filename or target).as_posix()}: "
                                                            f"{exc.strerror or exc}"))
            continue
        written.append(target)
    return written, problems


def target_path(entry: Entry, into: Path, taken: set[Path]) -> Path:
    folder = into / slugify(entry.section) if entry.section else into
    folder = folder / entry.date[:4]
    name = slugify(entry.slug or entry.title)
    target, n = folder / f"{name}.md", 1
    while target in taken:
        n += 1
        target = folder / f"{name}-{n}.md"
    taken.add(target)
    return target


def markdown_file(entry: Entry) -> str:
    """The article as sitegen's front matter and Markdown body, keys in the sample content's order."""
    lines = ["---"]
    for key in KEY_ORDER:
        value = getattr(entry, key)
        if not value or (key == "aliases" and entry.draft):  # a draft had no public URL to keep
            continue
        if key == "draft":
            text = "true"
        elif key in ("date", "updated"):
            text = value
        elif isinstance(value, tuple):
            text = "[" + ", ".join(_scalar(v, flow=True) for v in value) + "]"
        else:
            text = _quoted(value) if key in QUOTED else _scalar(value)
        lines.append(f"{key}: {text}")
    lines.append("---")
    body = entry.body.strip("\n")
    return "\n".join(lines) + "\n" + (body + "\n" if body else "")


# YAML's line breaks and the characters it does not allow unescaped inside quotes
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _quoted(text: str) -> str:
    """A YAML double-quoted string (JSON's escapes are YAML's too)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _scalar(text: str, flow: bool = False) -> str:
    """Plain when YAML reads it back as the same text (World, Mei Lin, /images/a.jpg), else quoted."""
    try:
        plain = yaml.safe_load(f"[{text}]" if flow else f"k: {text}")
        same = plain == [text] if flow else plain == {"k": text}
    except yaml.YAMLError:
        same = False
    return text if same and text == text.strip() and "\n" not in text else _quoted(text)
