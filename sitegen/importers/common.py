"""What every importer shares: the article to write, dates, names and HTML to Markdown."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sitegen.config import YamlLoader
from sitegen.errors import Diagnostic, error, warning
from sitegen.formats import DATE_HELP
from sitegen.load import is_ignored


@dataclass(frozen=True, slots=True)
class Source:
    """One file of the archive being imported."""

    path: Path    # the file
    rel: str      # its path inside the archive's content ('posts/2019/a.md'), which some formats read
    shown: str    # its path as shown in diagnostics (SRC as typed, plus the rest)
    text: str     # UTF-8 text, newlines normalised


@dataclass(frozen=True, slots=True)
class Entry:
    """One article to write as Markdown with front matter; the fields are front matter keys."""

    origin: str   # where it came from, for diagnostics ('old/posts/a.md')
    line: int
    title: str
    date: str     # as the front matter will have it: '2019-05-04' or '2019-05-04T10:00:00+02:00'
    body: str = ""
    slug: str = ""
    updated: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    source: str = ""
    summary: str = ""
    image: str = ""
    image_caption: str = ""
    image_credit: str = ""
    related: tuple[str, ...] = ()
    draft: bool = False
    aliases: tuple[str, ...] = ()
    image_file: Path | None = None  # a local photo to copy beside the article (its `image`)


@dataclass(slots=True)
class Outcome:
    """What converting one file gave: articles, diagnostics, and how many articles failed."""

    entries: list[Entry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: int = 0

    def fail(self, path: str, line: int, message: str) -> Outcome:
        self.diagnostics.append(error(path, line, message))
        self.failed += 1
        return self

    def warn(self, path: str, line: int, message: str) -> None:
        self.diagnostics.append(warning(path, line, message))


def files_below(src: Path, suffixes: tuple[str, ...]) -> list[tuple[Path, str]]:
    """(file, its path inside SRC) for SRC itself when it is a file, else for every file below
    it with one of ``suffixes``, sorted; hidden files and folders and editor backups are left
    out, as sitegen's loader does."""
    if src.is_file():
        return [(src, src.name)]
    return [(p, p.relative_to(src).as_posix()) for p in sorted(src.rglob("*"))
            if p.suffix.lower() in suffixes and p.is_file()
            and not any(is_ignored(part) for part in p.relative_to(src).parts)]


# --- dates ------------------------------------------------------------------------------------

DATE_TEXT = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?$", re.I)


def iso_date(value: Any) -> str:
    """A date as sitegen's front matter writes it, keeping its zone offset when it has one:
    '2019-05-04', '2019-05-04T10:20:00' (the site's zone), '2019-05-04T10:20:00+02:00'.
    Reads ISO 8601 and the forms Pelican, Hugo and Jekyll write ('2019/05/04 10:20',
    '2019-05-04 10:20:00 +0200') and TOML's date values. Raises ValueError."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(value)
    m = DATE_TEXT.match(value.strip())
    if not m:
        raise ValueError(value)
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    day_part = Date(int(year), int(month), int(day))  # a real calendar day, or ValueError
    if hour is None:
        return day_part.isoformat()
    clock = time(int(hour), int(minute), int(second or 0))
    text = f"{day_part.isoformat()}T{clock.isoformat()}{fraction or ''}"
    if zone:
        zone = zone.upper()
        if zone in ("Z", "UTC", "GMT"):
            zone = "+00:00"
        elif ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        text += zone
    datetime.fromisoformat(text)  # the offset is in range, or ValueError
    return text


def date_problem(key: str, value: Any) -> str:
    return f"cannot read {key} {str(value)!r}: {DATE_HELP}"


# --- text values ------------------------------------------------------------------------------

def one_line(value: Any) -> str:
    """Text on one line with single spaces; numbers as written."""
    if value is None or isinstance(value, bool):
        return ""
    return " ".join(str(value).split())


def name_list(values: Any, separators: str = ",") -> tuple[str, ...]:
    """Names from a list, or from one string split at ``separators``; each once, in order."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = re.split(f"[{re.escape(separators)}]", values) if separators else [values]
    elif not isinstance(values, (list, tuple)):
        values = [values]
    names = []
    for value in values:
        if isinstance(value, dict):  # {name: …} as Jekyll and ninjs write people
            value = value.get("name") or value.get("display_name") or ""
        names.append(one_line(value))
    return tuple(dict.fromkeys(n for n in names if n))


def url_path(url: str) -> str:
    """An old URL, absolute or relative to the old site's root, as a site path: '/2019/05/a.html'."""
    url = url.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        url = urlsplit(url).path
    url = url.split("#", 1)[0].split("?", 1)[0]
    return "/" + url.lstrip("/") if url else ""


def unique(*groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group if item))


# --- YAML as sitegen's front matter reader sees it ---------------------------------------------

class TextLoader(YamlLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps dates and numbers as written, as sitegen's front matter reader does."""


_TEXT_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
    for first, resolvers in YamlLoader.yaml_implicit_resolvers.items()
}


# --- HTML to Markdown ---------------------------------------------------------------------------
# markdownify and Beautiful Soup are imported on first use: only the ninjs and scrape importers
# need them, and the command line (which names the importers) should start fast for `sitegen build`.

DROPPED = ("head", "script", "style", "noscript", "template", "iframe", "object", "embed", "form", "svg")


@functools.cache
def _converter() -> Any:
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):  # type: ignore[misc]
        """markdownify, escaping only what would turn plain text into Markdown: its `escape_misc`
        escapes every '#', '+' and '1.' anywhere in a line, which makes the files hard to edit."""

        # at a line's start: headings, list items (not '*', which markdownify escapes everywhere),
        # quotes, setext underlines, and ordered list items ('1.' becomes '1\.')
        MARKER = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[-+](?=\s|$)|>|=+\s*$|-+\s*$)")
        ORDERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")
        INLINE = re.compile(r"([\\`\[\]]|~~|<(?=[A-Za-z/!?])|&(?=#?\w+;))")

        def escape(self, text: str, parent_tags: set) -> str:
            if not text:
                return ""
            text = self.INLINE.sub(lambda m: "".join("\\" + c for c in m.group(1)), text)
            text = self.MARKER.sub(r"\1\\\2", text)
            text = self.ORDERED.sub(r"\1\\\2", text)
            return super().escape(text, parent_tags)

    return Converter(heading_style="ATX", bullets="-", escape_misc=False, strong_em_symbol="*")


def _soup(markup: str) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "html.parser")


def html_to_markdown(markup: str, title: str = "") -> str:
    """An article body in HTML as Markdown: the text, headings, lists, links, quotes, tables and
    images kept; scripts, styles, embeds and forms dropped with their content, and so is an
    <h1> repeating the ``title``. Whatever markup is left over becomes text, so no raw HTML
    reaches the Markdown file."""
    soup = _soup(markup)
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    for tag in soup.find_all("h1"):
        if title and one_line(tag.get_text(" ")) == title:
            tag.decompose()
    text = _converter().convert_soup(soup)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def html_to_text(markup: str) -> str:
    """HTML as one line of plain text (summaries, captions)."""
    return one_line(_soup(markup).get_text(" "))


def text_to_markdown(text: str) -> str:
    """Plain text, paragraphs separated by blank lines, as Markdown that shows it as typed."""
    paragraphs = [one_line(p) for p in re.split(r"\n\s*\n", text)]
    return html_to_markdown("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p))
