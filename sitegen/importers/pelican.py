"""Pelican content: Markdown with a `Key: value` header, reStructuredText with a field list.

    Title: Drought forces Panama Canal to cut transits     My super title
    Date: 2019-05-04 10:20                                 ##############
    Category: World                                        :date: 2019-05-04 10:20
    Tags: climate, shipping                                :tags: climate, shipping
                                                           :category: World
    Body in Markdown …                                     Body in reStructuredText …

Header keys are read case-insensitively, as Pelican does; a value may go on over lines indented
by four spaces (Markdown) or any indent (reStructuredText). Without `Category`, the article's
folder is its category, as with Pelican's USE_FOLDER_AS_CATEGORY. reStructuredText bodies are
kept as they are, with a warning to review them. Files in `pages/` are Pelican's static pages,
not articles: they are left out, with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from sitegen.importers.common import (Entry, Outcome, Source, date_problem, files_below, iso_date,
                                      name_list, one_line, unique, url_path)

MARKDOWN = (".md", ".markdown", ".mkd", ".mdown")
RST = (".rst",)
UNSUPPORTED = (".html", ".htm")
META = re.compile(r"^ {0,3}([A-Za-z0-9_-]+):\s*(.*?)\s*$")   # Python-Markdown's meta extension
MORE = re.compile(r"^ {4,}(\S.*?)\s*$")
FIELD = re.compile(r"^:([^:\s][^:]*):(?:\s+(.*?))?\s*$")
ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")  # a line of one punctuation character repeated
KNOWN = ("title", "date", "modified", "category", "tags", "author", "authors", "slug", "summary", "status",
         "save_as", "url", "source", "image")


def sources(src: Path) -> list[Path]:
    return files_below(src, MARKDOWN + RST + UNSUPPORTED)


def convert(source: Source) -> Outcome:
    out = Outcome()
    where = source.shown
    parts = source.rel.split("/")
    suffix = source.path.suffix.lower()
    if len(parts) > 1 and parts[0] == "pages":
        out.warn(where, 1, "a Pelican page, not an article: left out")
        return out
    if suffix in UNSUPPORTED:
        return out.fail(where, 1, f"Pelican's {suffix} articles are not supported: convert it to Markdown by hand")
    lines = source.text.split("\n")
    if suffix in RST:
        meta, title, body_start = _rst_header(lines)
    else:
        meta, body_start = _markdown_header(lines)
        title = None
    if not meta and not title:
        return out.fail(where, 1, "no Pelican header: expected 'Title:' and 'Date:' lines at the top")

    for key, (_, line, written) in meta.items():
        if key not in KNOWN:
            out.warn(where, line, f"header '{written}' has no sitegen equivalent: left out")

    def value(key: str) -> str:
        return meta[key][0] if key in meta else ""

    def line(key: str) -> int:
        return meta[key][1] if key in meta else 1

    title = one_line(value("title")) or title
    if not title:
        return out.fail(where, 1, "missing the Title header")
    if "date" not in meta:
        return out.fail(where, 1, "missing the Date header")
    dates = {}
    for key in ("date", "modified"):
        if key in meta:
            try:
                dates[key] = iso_date(value(key))
            except ValueError:
                out.fail(where, line(key), date_problem(meta[key][2], value(key)))
                return out
    status = value("status").lower()
    if status not in ("", "published", "draft"):
        out.warn(where, line("status"), f"Status '{value('status')}' has no sitegen equivalent: imported as published")
    aliases = unique([url_path(value("url"))], [url_path(value("save_as"))])
    if len(aliases) == 2 and aliases[0].endswith("/") and aliases[1] == aliases[0] + "index.html":
        aliases = aliases[:1]  # URL and Save_as name the same page
    body = "\n".join(lines[body_start:])
    if suffix in RST and body.strip():
        out.warn(where, body_start + 1, "body is reStructuredText, kept as-is; review it")
    folder = parts[-2] if len(parts) > 1 else ""
    out.entries.append(Entry(
        origin=where, line=1, title=title, date=dates["date"], body=body,
        slug=one_line(value("slug")),
        updated=dates.get("modified", "") if dates.get("modified") != dates["date"] else "",
        section=one_line(value("category")) or folder,
        tags=_list(value("tags")),
        authors=_list(value("authors") or value("author")),
        source=one_line(value("source")),
        summary=one_line(value("summary")),
        image=one_line(value("image")),
        draft=status == "draft",
        aliases=aliases,
    ))
    return out


def _list(text: str) -> tuple[str, ...]:
    """Pelican's lists: separated by ';' when there is one, else by ','."""
    return name_list(text, ";" if ";" in text else ",")


Meta = dict[str, tuple[str, int, str]]  # key (lower case) -> (value, line, key as written)


def _markdown_header(lines: list[str]) -> tuple[Meta, int]:
    """Python-Markdown's meta block: `Key: value` lines up to the first blank or other line."""
    meta: Meta = {}
    i, last = 0, None
    if lines and lines[0].strip() == "---":  # the meta extension's optional YAML-style fences
        i = 1
    while i < len(lines):
        text = lines[i]
        if not text.strip():
            i += 1
            break
        if text.strip() in ("---", "...") and i > 0:
            i += 1
            break
        m, more = META.match(text), MORE.match(text)
        if more and last:
            meta[last] = ((meta[last][0] + " " + more.group(1)).strip(), *meta[last][1:])
        elif m:
            last = m.group(1).lower()
            meta.setdefault(last, (m.group(2), i + 1, m.group(1)))
        else:
            break
        i += 1
    return meta, i


def _rst_header(lines: list[str]) -> tuple[Meta, str | None, int]:
    """The document title (a line with an underline, or over- and underline), then the field list."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    title = None
    if i + 2 < len(lines) and ADORNMENT.match(lines[i]) and lines[i + 2].strip() == lines[i].strip():
        title, i = lines[i + 1].strip(), i + 3
    elif i + 1 < len(lines) and lines[i].strip() and ADORNMENT.match(lines[i + 1]) \
            and len(lines[i + 1].strip()) >= len(lines[i].strip()):
        title, i = lines[i].strip(), i + 2
    while i < len(lines) and not lines[i].strip():
        i += 1
    meta: Meta = {}
    last = None
    while i < len(lines):
        m = FIELD.match(lines[i])
        if m:
            last = m.group(1).strip().lower()
            meta.setdefault(last, (m.group(2) or "", i + 1, m.group(1).strip()))
        elif last and lines[i][:1] in (" ", "\t") and lines[i].strip():
            meta[last] = ((meta[last][0] + " " + lines[i].strip()).strip(), *meta[last][1:])
        else:
            break
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return meta, title, i
