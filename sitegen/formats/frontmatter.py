"""Markdown files with a YAML front matter block."""

from __future__ import annotations

import difflib
import re
from typing import Any
from urllib.parse import unquote

import yaml

from sitegen import markdown
from sitegen.config import YamlLoader, yaml_problem
from sitegen.errors import Diagnostic, error, warning
from sitegen.formats import DATE_HELP, ReadContext, parse_date, site_path
from sitegen.model import Article, Image, RelatedRef, reading_minutes, slugify

KEYS = ("title", "date", "updated", "section", "tags", "authors", "source", "summary",
        "image", "image_caption", "image_credit", "slug", "draft", "related", "aliases", "expires")
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


# The one-line forms most front matter is written in, which ``simple_yaml`` reads without PyYAML.
_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_DOUBLE = r'"[^"\\]*"'         # no escapes
_SINGLE = r"'(?:[^']|'')*'"
_PLAIN = r"(?:[^\W_]|[/.(+$])(?:[^#:\[\]{},\"\\\s]|:(?=[^\s,\[\]{}])|[ ]+(?=[^\s#]))*"  # no ': ', ' #', flow marks, quotes
_PLAIN_ITEM = r"(?:[^\W_]|[/.(+$])(?:[^#:\[\]{},\"\\\s]|[ ]+(?=[^\s#,\]]))*"  # in a list: no colon either
_ITEM = f"(?:{_DOUBLE}|{_SINGLE}|{_PLAIN_ITEM})"
_SIMPLE_LINE = re.compile(f"({_KEY}):(?:[ ]+({_DOUBLE}|{_SINGLE}|{_PLAIN}|\\[[ ]*(?:{_ITEM}(?:[ ]*,[ ]*{_ITEM})*)?[ ]*\\]))?[ ]*")
_LIST_ITEM = re.compile(f"[ ]*({_ITEM})[ ]*(?:,|$)")
# Plain words YAML reads as booleans or null: left to PyYAML (``draft: yes`` is True there).
_YAML_WORDS = frozenset("y n yes no true false on off null ~".split())


def _scalar(text: str) -> str | None:
    """A quoted or plain one-line scalar as YAML reads it; None: a word YAML reads as a boolean or null."""
    if text[0] == '"':
        return text[1:-1]
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    return None if text.lower() in _YAML_WORDS else text


def simple_yaml(block: str) -> dict[str, Any] | None:
    """The mapping of a front matter written only in one-line ``key: value`` forms (plain, quoted,
    or a ``[list, "of", 'them']``), as PyYAML reads it with dates and numbers left as text; None
    for anything else (comments, block lists, multi-line or escaped strings, booleans, repeated
    keys, characters YAML may refuse), which PyYAML then reads. PyYAML's constructor is Python:
    a fifth of parsing an article."""
    data: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line:
            continue
        m = _SIMPLE_LINE.fullmatch(line)
        if m is None or not line.isprintable():
            return None
        key, value = m.group(1), m.group(2)
        if key in data or key.lower() in _YAML_WORDS:
            return None
        if value is None:
            data[key] = None
        elif value[0] == "[":
            items = [_scalar(item) for item in _LIST_ITEM.findall(value[1:-1])]
            if None in items:
                return None
            data[key] = items
        else:
            data[key] = _scalar(value)
            if data[key] is None:
                return None
    return data


def read(text: str, ctx: ReadContext) -> tuple[Article | None, list[Diagnostic]]:
    rel = ctx.rel
    lines = text.split("\n")
    if not lines or not FENCE.match(lines[0]) or lines[0].startswith("..."):
        return None, [error(rel, 1, "no front matter: the file must start with a '---' line")]
    end = next((i for i in range(1, len(lines)) if FENCE.match(lines[i])), None)
    if end is None:
        return None, [error(rel, 1, "front matter is not closed by a '---' line")]
    block = "\n".join(lines[1:end])
    data = simple_yaml(block)
    if data is None:
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
    aliases = read_aliases(block, data, reader) if "aliases" in data else {}
    expires = reader.date("expires", zone) if "expires" in data else None
    if expires is not None and date is not None and expires <= date:
        reader.diagnostics.append(warning(rel, reader.line("expires"), "expires is not after date: the article is never shown"))
    if not title or date is None:
        return None, reader.diagnostics

    body = "\n".join(lines[end + 1:])
    if summary:
        body_html = markdown.render(body, ctx.config.markdown)
    else:  # the default summary is read from markdown-it-py's tokens, which the fast path does not make
        md = markdown.renderer(ctx.config.markdown)
        # Keep body line numbers equal to file line numbers for any later diagnostics.
        tokens = md.parse("\n" * (end + 1) + body)
        body_html = md.renderer.render(tokens, md.options, {})
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
        aliases=tuple(aliases),
        alias_lines=tuple(aliases.values()),
        expires=expires,
    )
    return article, reader.diagnostics


def read_aliases(block: str, data: dict[str, Any], reader: _Fields) -> dict[str, int]:
    """The ``aliases`` as normalised site paths, each with its own line; bad ones are errors there.

    A path ending in '/' or '.html'/'.htm' stays; any other ('/old/path') is a folder and
    gets a '/'. Percent-escapes are decoded, as hosts decode a URL before finding its file.
    """
    value = data["aliases"]
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reader._bad("aliases", "a site path or a list of them")
        return {}
    lines = _item_lines(block, len(value), reader.line("aliases"))
    found: dict[str, int] = {}
    for text, line in zip(value, lines):
        problem = alias_problem(text.strip())
        if problem:
            reader.diagnostics.append(error(reader.rel, line, problem))
            continue
        path = unquote(text.strip())
        if not path.endswith(("/", ".html", ".htm")):
            path += "/"
        found.setdefault(path, line)
    return found


def alias_problem(text: str) -> str | None:
    """Why ``text`` cannot be an alias, or None: it must be a path of this site."""
    if not text:
        return "empty alias"
    if re.match(r"^([a-z][a-z0-9+.-]*:|//)", text, re.I):
        return f"alias {text!r} is not a site path: give the path only, like '/2019/05/old-slug.html'"
    if not text.startswith("/"):
        return f"alias {text!r} is not a site path: it must start with '/'"
    if any(part in (".", "..") for part in unquote(text).split("/")):
        return f"alias {text!r} is not a site path: '.' and '..' are not allowed"
    if re.search(r"[?#\\\x00-\x1f]", text):
        return f"alias {text!r} is not a site path: '?', '#', '\\' and control characters are not allowed"
    return None


def _item_lines(block: str, count: int, key_line: int) -> list[int]:
    """The file line of each item of the ``aliases`` value (the front matter starts at line 2)."""
    root = yaml.compose(block, Loader=_FrontMatterLoader)
    for key, value in root.value:
        if key.value == "aliases":
            if isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 2 for item in value.value]
            return [value.start_mark.line + 2] * count
    return [key_line] * count  # pragma: no cover - the key was read from this block


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
