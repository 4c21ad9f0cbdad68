"""Markdown files with a YAML front matter block."""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml

from sitegen import markdown
from sitegen.config import YamlLoader, yaml_problem
from sitegen.errors import Diagnostic, error, warning
from sitegen.formats import DATE_HELP, ReadContext, parse_date, site_path
from sitegen.model import Article, Image, RelatedRef, reading_minutes, slugify

KEYS = ("title", "date", "updated", "section", "tags", "authors", "source", "summary",
        "image", "image_caption", "image_credit", "slug", "draft", "related")
FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
KEY_LINE = re.compile(r"^([^\s#:'\"][^:]*?)\s*:(\s|$)")
SUMMARY_CHARS = 280


class _FrontMatterLoader(YamlLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that leaves dates and numbers as written ('10:30' is not 630, '1.10' not 1.1):
    sitegen parses dates (and their zones) itself, and no front matter key is a number."""


_TEXT_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
    for first, resolvers in YamlLoader.yaml_implicit_resolvers.items()
}


def read(text: str, ctx: ReadContext) -> tuple[Article | None, list[Diagnostic]]:
    rel = ctx.rel
    lines = text.split("\n")
    if not lines or not FENCE.match(lines[0]) or lines[0].startswith("..."):
        return None, [error(rel, 1, "no front matter: the file must start with a '---' line")]
    end = next((i for i in range(1, len(lines)) if FENCE.match(lines[i])), None)
    if end is None:
        return None, [error(rel, 1, "front matter is not closed by a '---' line")]
    block = "\n".join(lines[1:end])
    try:
        data = yaml.load(block, Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, block)
        return None, [error(rel, line + 1, f"invalid YAML in front matter: {problem}")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [error(rel, 2, "front matter must be a mapping of keys to values")]
    key_lines = {}
    for i in range(1, end):
        m = KEY_LINE.match(lines[i])
        if m:
            key_lines.setdefault(m.group(1), i + 1)
    reader = _Fields(data, key_lines, rel)
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            reader.diagnostics.append(warning(rel, reader.line(key), f"unknown front matter key '{key}'{hint}"))

    title = reader.text("title")
    zone = ctx.config.zone
    date = reader.date("date", zone)
    if not title:
        reader.diagnostics.append(error(rel, reader.line("title", 1), "missing title"))
    if "date" not in data:
        reader.diagnostics.append(error(rel, 1, "missing date"))
    updated = reader.date("updated", zone) if "updated" in data else None
    section = reader.text("section")
    tags = reader.names("tags")
    authors = reader.names("authors")
    source = reader.text("source")
    summary = reader.text("summary")
    image_src = reader.text("image")
    caption, credit = reader.text("image_caption"), reader.text("image_credit")
    slug_text = reader.text("slug")
    draft = reader.flag("draft")
    related = tuple(RelatedRef(ref, reader.line("related")) for ref in reader.names("related"))
    if not title or date is None:
        return None, reader.diagnostics

    body = "\n".join(lines[end + 1:])
    md = markdown.renderer(ctx.config.markdown)
    # Keep body line numbers equal to file line numbers for any later diagnostics.
    tokens = md.parse("\n" * (end + 1) + body)
    body_html = md.renderer.render(tokens, md.options, {})
    if not summary:
        summary = first_paragraph(tokens)
    if (caption or credit) and not image_src:
        reader.diagnostics.append(warning(rel, reader.line("image_caption" if caption else "image_credit"),
                                          "image caption or credit given without an image"))
    article = Article(
        title=title,
        slug=slugify(slug_text or title),
        slug_given=bool(slug_text),
        date=date,
        updated=updated,
        section=section,
        path=rel,
        line=1,
        tags=tags,
        authors=authors,
        source=source,
        summary=summary,
        image=Image(site_path(image_src, ctx.content_rel), caption, credit) if image_src else None,
        reading_time=reading_minutes(markdown.count_words(body), ctx.config.words_per_minute),
        body_html=body_html,
        related=related,
        draft=draft,
    )
    return article, reader.diagnostics


def first_paragraph(tokens: list) -> str:
    """Plain text of the first body paragraph, cut at a word boundary: the default summary."""
    for i, token in enumerate(tokens):
        if token.type == "paragraph_open" and i + 1 < len(tokens) and tokens[i + 1].type == "inline":
            parts = []
            for child in tokens[i + 1].children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            text = " ".join("".join(parts).split())
            if text:  # a paragraph that is only an image has no text: take the next one
                return shorten(text)
    return ""


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—-")
    return cut + "…"


class _Fields:
    """Typed access to front matter values; a wrong type becomes a diagnostic at the key's line."""

    def __init__(self, data: dict[str, Any], key_lines: dict[str, int], rel: str):
        self.data, self.key_lines, self.rel = data, key_lines, rel
        self.diagnostics: list[Diagnostic] = []

    def line(self, key: str, default: int = 2) -> int:
        return self.key_lines.get(key, default)

    def _bad(self, key: str, expected: str) -> None:
        value = self.data[key]
        self.diagnostics.append(error(self.rel, self.line(key), f"'{key}' must be {expected}, not {value!r}"))

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        self._bad(key, "text")
        return ""

    def names(self, key: str) -> tuple[str, ...]:
        """A list of names; a single string may list them with commas."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            names = [str(v).strip() for v in value]
            return tuple(dict.fromkeys(n for n in names if n))
        self._bad(key, "a list of text")
        return ()

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if isinstance(value, bool):
            return value
        self._bad(key, "true or false")
        return False

    def date(self, key: str, zone):
        if key not in self.data:
            return None
        value = self.data[key]
        try:
            return parse_date(value, zone)
        except ValueError:
            self.diagnostics.append(error(self.rel, self.line(key), f"cannot read {key} {str(value)!r}: {DATE_HELP}"))
            return None
