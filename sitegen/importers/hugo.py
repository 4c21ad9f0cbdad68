"""Hugo and Jekyll content: Markdown with YAML (`---`), TOML (`+++`) or JSON (`{`) front matter.

Hugo: SRC is the content folder (or the site, when it has `content/` and a Hugo config). Each
`.md` file is an article but `_index.md` (a list page); a page bundle's `index.md` takes its
folder's name. Its old URL is Hugo's default, `/<folders>/<slug or file name>/`, or its `url`.

Jekyll: SRC is the site (or a `_posts` folder). The articles are the files in `_posts/` (and
`_drafts/`, imported as drafts), named `YYYY-MM-DD-title.md`: the name gives the date when the
front matter has none, and the slug. Folders above `_posts` are categories, as in Jekyll. Its old
URL is Jekyll's default permalink, `/:categories/:year/:month/:day/:title.html`, or its `permalink`.

Both: `categories` (the first one) becomes the section and the others tags; `tags`,
`author`/`authors`, `slug`, `description`/`summary`, `draft`, `date`/`lastmod`, and
`url`/`aliases` as aliases. Other keys are reported and left out.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from sitegen.config import yaml_problem
from sitegen.importers.common import (Entry, Outcome, Source, TextLoader, date_problem, files_below, iso_date,
                                      name_list, one_line, unique, url_path)

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
HUGO_OTHER = (".html", ".htm", ".adoc", ".asciidoc", ".org", ".pandoc", ".pdc", ".rst")
HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.json", "config.toml", "config.yaml", "config.json")
JEKYLL_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
KEY_LINE = re.compile(r"""^["']?([A-Za-z0-9_.-]+)["']?\s*[:=]""")  # a top-level key, in any of the three
# Keys about a page's rendering in the old theme, which mean nothing to sitegen: left out quietly.
THEME_KEYS = {"layout", "type", "weight", "comments", "toc", "menu", "share", "sharing", "linktitle"}
MAPPED = {"title", "date", "publishdate", "pubdate", "published", "lastmod", "modified", "last_modified_at",
          "categories", "category", "tags", "author", "authors", "slug", "url", "permalink", "aliases",
          "description", "summary", "excerpt", "draft", "image", "images", "featured_image", "source",
          "redirect_from"}


# --- Hugo ----------------------------------------------------------------------------------------

def hugo_root(src: Path) -> Path:
    """The content folder: SRC, or SRC/content when SRC is a Hugo site."""
    if (src / "content").is_dir() and any((src / name).is_file() for name in HUGO_CONFIGS):
        return src / "content"
    return src


def hugo_sources(src: Path) -> list[tuple[Path, str]]:
    return files_below(hugo_root(src), MARKDOWN + HUGO_OTHER)


def convert_hugo(source: Source) -> Outcome:
    out = Outcome()
    where, path = source.shown, source.path
    if path.suffix.lower() not in MARKDOWN:
        return out.fail(where, 1, f"Hugo content in {path.suffix} is not supported: convert it to Markdown by hand")
    if path.stem == "_index":
        out.warn(where, 1, "a Hugo list page (_index.md), not an article: left out")
        return out
    parsed = _front_matter(source, out)
    if parsed is None:
        return out
    data, lines, body = parsed
    folders = source.rel.split("/")[:-1]
    name = folders.pop() if path.stem == "index" and folders else path.stem
    fields = _fields(data, lines, where, out, split_words=False, default_slug=name)
    if fields is None:
        return out
    url = _text(data.get("url"))
    default_url = "/" + "/".join([*folders, fields["slug"]]) + "/"
    section_url = "/" + "".join(f + "/" for f in folders)
    aliases = [url_path(url) if url else _hugo_path(default_url)]
    aliases += [url_path(a) if a.startswith("/") or "://" in a else url_path(section_url + a)
                for a in name_list(data.get("aliases"), "")]
    out.entries.append(Entry(origin=where, line=1, body=body, aliases=unique(aliases), **fields))
    return out


def _hugo_path(path: str) -> str:
    """Hugo's default URL as it writes it: lower case, spaces as hyphens."""
    return path.lower().replace(" ", "-")


# --- Jekyll --------------------------------------------------------------------------------------

def jekyll_sources(src: Path) -> list[tuple[Path, str]]:
    found = files_below(src, MARKDOWN)
    if src.is_file() or src.name in ("_posts", "_drafts"):
        return found
    return [(path, rel) for path, rel in found if {"_posts", "_drafts"} & set(rel.split("/")[:-1])]


def convert_jekyll(source: Source) -> Outcome:
    out = Outcome()
    where, path = source.shown, source.path
    folders = source.rel.split("/")[:-1]
    in_drafts = "_drafts" in folders or path.parent.name == "_drafts"
    # categories from the folders above _posts ('news/_posts/…' is in category 'news')
    marker = next((i for i, f in enumerate(folders) if f in ("_posts", "_drafts")), len(folders))
    folder_categories = tuple(f for f in folders[:marker] if f)
    named = JEKYLL_NAME.match(path.stem)
    parsed = _front_matter(source, out)
    if parsed is None:
        return out
    data, lines, body = parsed
    file_date, name = (named.group(1), named.group(2)) if named else (None, path.stem)
    if file_date and "date" not in data:
        data = {**data, "date": file_date}
        lines = {**lines, "date": 1}
    if "title" not in data and name:
        title = " ".join(w.capitalize() for w in re.split(r"[-_\s]+", name) if w)
        out.warn(where, 1, f"no title: made {title!r} from the file name")
        data = {**data, "title": title}
    if "date" not in data:
        return out.fail(where, 1, "missing date: neither the front matter nor the file name "
                                  "(YYYY-MM-DD-title.md) gives one")
    fields = _fields(data, lines, where, out, split_words=True, default_slug=name,
                     section_default=folder_categories[0] if folder_categories else "")
    if fields is None:
        return out
    permalink = _text(data.get("permalink")) or _text(data.get("url"))
    if permalink:
        aliases = [url_path(permalink)]
    else:
        categories = unique(folder_categories, name_list(data.get("categories"), " "),
                            name_list(data.get("category"), ""))
        day = fields["date"][:10].replace("-", "/")
        title_part = re.sub(r"[^\w.~!$&'()+,;=@]+|_+", "-", fields["slug"]).strip("-")  # Jekyll's "pretty" slug
        parts = [*dict.fromkeys(c.lower() for c in categories), day, f"{title_part}.html"]
        aliases = [re.sub(r"/{2,}", "/", "/" + "/".join(parts))]
    aliases += [url_path(a) for a in name_list(data.get("aliases"), "") + name_list(data.get("redirect_from"), "")]
    if in_drafts:
        fields["draft"] = True
    out.entries.append(Entry(origin=where, line=1, body=body, aliases=unique(aliases), **fields))
    return out


# --- shared ----------------------------------------------------------------------------------------

def _front_matter(source: Source, out: Outcome) -> tuple[dict[str, Any], dict[str, int], str] | None:
    """(keys in lower case, the line of each key, body) of a file with YAML, TOML or JSON front matter."""
    where, text = source.shown, source.text
    lines = text.split("\n")
    first = lines[0].strip()
    if first in ("---", "+++"):
        closing = ("---", "...") if first == "---" else ("+++",)
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in closing), None)
        if end is None:
            out.fail(where, 1, f"front matter is not closed by a '{first}' line")
            return None
        block = "\n".join(lines[1:end])
        body = "\n".join(lines[end + 1:])
        try:
            data = yaml.load(block, Loader=TextLoader) if first == "---" else tomllib.loads(block)
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc, block)
            out.fail(where, line + 1, f"invalid YAML in front matter: {problem}")
            return None
        except tomllib.TOMLDecodeError as exc:
            m = re.match(r"^(.*?)\s*\(at line (\d+), column \d+\)$", str(exc))
            line, problem = (int(m.group(2)), m.group(1)) if m else (end, str(exc))
            out.fail(where, line + 1, f"invalid TOML in front matter: {problem}")
            return None
        block_lines, offset = lines[1:end], 2
    elif first.startswith("{"):
        try:
            data, stop = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            out.fail(where, exc.lineno, f"invalid JSON in front matter: {exc.msg}")
            return None
        body = text[stop:].lstrip("\n")
        block_lines, offset = [line.strip() for line in text[:stop].split("\n")], 1
    else:
        out.fail(where, 1, "no front matter: expected a '---' (YAML) or '+++' (TOML) line at the top")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        out.fail(where, offset, "front matter must be a mapping of keys to values")
        return None
    key_lines: dict[str, int] = {}
    for i, line_text in enumerate(block_lines):
        m = KEY_LINE.match(line_text)
        if m:
            key_lines.setdefault(m.group(1).lower(), i + offset)
    return {str(k).lower(): v for k, v in data.items()}, key_lines, body


def _text(value: Any) -> str:
    return one_line(value) if isinstance(value, (str, int, float)) else ""


def _fields(data: dict[str, Any], lines: dict[str, int], where: str, out: Outcome, *, split_words: bool,
            default_slug: str, section_default: str = "") -> dict[str, Any] | None:
    """The front matter fields of the Entry, or None when the article cannot be converted."""
    for key in data:
        if key not in MAPPED and key not in THEME_KEYS:
            out.warn(where, lines.get(key, 1), f"front matter key '{key}' has no sitegen equivalent: left out")
    for key in ("title", "slug", "summary", "description", "source"):
        if key in data and data[key] is not None and not isinstance(data[key], (str, int, float)):
            out.fail(where, lines.get(key, 1), f"'{key}' must be text, not {data[key]!r}")
            return None
    title = _text(data.get("title"))
    if not title:
        out.fail(where, lines.get("title", 1), "missing title")
        return None
    date_key = next((k for k in ("date", "publishdate", "pubdate", "published")
                     if k in data and not isinstance(data[k], bool)), None)
    if date_key is None:
        out.fail(where, 1, "missing date")
        return None
    updated_key = next((k for k in ("lastmod", "modified", "last_modified_at") if k in data), None)
    dates = {}
    for field, key in (("date", date_key), ("updated", updated_key)):
        if key is None:
            continue
        try:
            dates[field] = iso_date(data[key])
        except ValueError:
            out.fail(where, lines.get(key, 1), date_problem(key, data[key]))
            return None
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        out.fail(where, lines.get("draft", 1), f"'draft' must be true or false, not {draft!r}")
        return None
    if data.get("published") is False:  # Jekyll's way of keeping a post out
        draft = True
    separators = " " if split_words else ""  # Jekyll lists may be one string of words
    categories = unique(name_list(data.get("categories"), separators), name_list(data.get("category"), ""))
    slug = _text(data.get("slug"))  # the old URL's name too, so it is kept even when not given
    return {
        "title": title,
        "date": dates["date"],
        "updated": dates.get("updated", "") if dates.get("updated") != dates["date"] else "",
        "slug": slug or default_slug,
        "section": categories[0] if categories else section_default,
        "tags": unique(name_list(data.get("tags"), separators), categories[1:]),
        "authors": unique(name_list(data.get("authors"), ""), name_list(data.get("author"), "")),
        "source": _text(data.get("source")),
        "summary": _text(data.get("summary")) or _text(data.get("description")) or _text(data.get("excerpt")),
        "image": _image(data),
        "draft": draft,
    }


def _image(data: dict[str, Any]) -> str:
    """`image` (text, or {path|src|url: …} as jekyll-seo-tag writes it), else the first of `images`."""
    for value in (data.get("image"), data.get("featured_image"), (data.get("images") or [None])):
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("path") or value.get("src") or value.get("url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
