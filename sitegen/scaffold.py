"""`sitegen init` and `sitegen new`: the files an author starts from.

Both only ever create files: a path that exists is never overwritten, so running either
twice, or in a folder that already holds a site, cannot lose work. The commented
``sitegen.yaml`` is generated from the config schema, so its defaults and its lines of
documentation cannot drift from what sitegen actually does.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sitegen.config import CONFIG_FILE, Config, base_url_problem
from sitegen.errors import SitegenError
from sitegen.model import slugify
from sitegen.themes import theme_dir

# The keys `sitegen init` writes, in this order; the rest keep their defaults (README table).
INIT_KEYS = ("title", "description", "base_url", "language", "timezone", "page_size", "search", "permalinks")
WRAP = 88


class ScaffoldError(SitegenError):
    """Nothing was written: the paths are taken, or an argument is unusable."""


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What `sitegen new` writes: front matter values, and where (relative to the site)."""

    title: str
    date: datetime
    section: str
    tags: tuple[str, ...]
    slug: str
    draft: bool = True

    def path(self, content_dir: str) -> str:
        """content/<section-slug>/<YYYY>/<slug>.md, or content/<YYYY>/<slug>.md without a section."""
        folder = f"{slugify(self.section)}/" if self.section else ""
        return f"{content_dir.strip('/')}/{folder}{self.date.year:04d}/{self.slug}.md"

    def text(self, body: str = "") -> str:
        lines = ["---", f"title: {_yaml(self.title)}", f"date: {self.date.isoformat()}"]
        if self.section:
            lines.append(f"section: {_yaml(self.section)}")
        lines.append(f"tags: [{', '.join(_yaml(tag) for tag in self.tags)}]")
        lines.append(f"slug: {self.slug}")
        if self.draft:
            lines.append("draft: true")
        return "\n".join([*lines, "---", "", body.rstrip("\n")]) + "\n"


def new_article(title: str, now: datetime, section: str = "", tags: tuple[str, ...] = (),
                draft: bool = True) -> NewArticle:
    """A new article dated ``now`` (to the second, keeping its zone offset)."""
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError("the headline is empty")
    tags = tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    return NewArticle(title, now.replace(microsecond=0), section.strip(), tags, slugify(title), draft)


def write_new(site: Path, config: Config, article: NewArticle) -> Path:
    """Write the article's file; raise ScaffoldError if its path is taken. Returns the path."""
    rel = article.path(config.content_dir)
    path = site / rel
    if path.exists() or path.is_symlink():
        raise ScaffoldError(f"{rel} already exists; nothing written (choose another headline, or edit that file)")
    _create(path, article.text())
    return path


def config_text(title: str | None = None, base_url: str | None = None) -> str:
    """A commented ``sitegen.yaml``: the keys of INIT_KEYS with their defaults (or the given
    title and base_url) and each key's documentation from the schema."""
    values = Config()
    if title is not None:
        values = dataclasses.replace(values, title=title)
    if base_url is not None:
        values = dataclasses.replace(values, base_url=base_url)
    out = ["# Settings of this site. Every key is optional: a key left out keeps its default.",
           "# All keys, with their defaults, are listed in sitegen's README (Configuration).", ""]
    fields = {f.name: f for f in dataclasses.fields(Config)}
    for name in INIT_KEYS:
        out += _entry(fields[name], getattr(values, name), "")
    return "\n".join(out).rstrip("\n") + "\n"


def _entry(f: dataclasses.Field, value: Any, indent: str) -> list[str]:
    lines = [indent + "# " + line for line in textwrap.wrap(f.metadata["doc"], WRAP - len(indent) - 2)]
    if dataclasses.is_dataclass(value):
        lines.append(f"{indent}{f.name}:")
        for sub in dataclasses.fields(value):
            lines += _entry(sub, getattr(value, sub.name), indent + "  ")
        return [*lines, *([""] if not indent else [])]
    return [*lines, f"{indent}{f.name}: {_yaml(value)}", *([""] if not indent else [])]


def _yaml(value: Any) -> str:
    """A YAML scalar: JSON strings are valid YAML double-quoted strings, and never a date or a number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


TEMPLATES_README = """\
Jinja2 templates of this site. Each file here replaces the default theme's file of the
same name, one by one; every template not here still comes from the theme. To change
one, start from a copy of the theme's file. The theme's templates:

{names}

Templates get `site`, `page`, `nav` and `url_for()`; a misspelt variable is an error
(StrictUndefined), reported as templates/NAME:LINE. sitegen reads only the templates it
asks for, so this file is never used.
"""

STATIC_README = """\

static/ (beside this folder) holds files copied as they are to the root of the built site: static/css/site.css becomes
/css/site.css. A file here replaces the default theme's file of the same path; the
theme's static files:

{names}

.css and .js files are written with a hash of their content in their names; templates
keep referring to them by their plain names with url_for('/css/site.css').
Images of articles usually go beside the articles in content/ instead.
"""

WELCOME = """\
This article was written by `sitegen init`. Each article is one file in `content/`:
Markdown with YAML front matter (the block between the `---` lines) for the title, the
date, the section, tags, authors and more.

Write the next one with `sitegen new "Headline" --section News`, see the site with
`sitegen serve`, and check the archive with `sitegen check`.
"""


def init_files(title: str | None, base_url: str | None, now: datetime) -> dict[str, str]:
    """{path relative to the site: text} of a new site."""
    if base_url is not None and (problem := base_url_problem(base_url)):
        raise ScaffoldError(problem)
    config = Config()
    welcome = new_article("Welcome to your news archive", now.astimezone(config.zone), section="News",
                          tags=("sitegen",), draft=False)
    return {
        CONFIG_FILE: config_text(title, base_url),
        welcome.path(config.content_dir): welcome.text(WELCOME),
        # static/ gets no README of its own: every file there is copied into the built site.
        "templates/README.txt": TEMPLATES_README.format(names=_listing(theme_dir("templates")))
        + STATIC_README.format(names=_listing(theme_dir("static"))),
    }


def _listing(folder: Path) -> str:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return "\n".join(textwrap.wrap(", ".join(names), WRAP - 2, initial_indent="  ", subsequent_indent="  "))


def clashes(site: Path, rels: list[str]) -> list[str]:
    """The paths (and parent folders that are files) in the way of writing ``rels``, sorted."""
    taken = set()
    for rel in rels:
        path = site / rel
        if path.exists() or path.is_symlink():
            taken.add(rel)
        for parent in Path(rel).parents:
            if str(parent) != "." and (site / parent).exists() and not (site / parent).is_dir():
                taken.add(parent.as_posix())
    return sorted(taken)


def init_site(site: Path, title: str | None = None, base_url: str | None = None,
              now: datetime | None = None) -> list[str]:
    """Write a new site into ``site`` (made if missing). Writes nothing if any path is taken.
    Returns the paths written, relative to the site."""
    if site.exists() and not site.is_dir():
        raise ScaffoldError(f"{site} is a file, not a folder")
    files = init_files(title, base_url, now or datetime.now().astimezone())
    taken = clashes(site, list(files))
    if (site / "static").exists() and not (site / "static").is_dir():
        taken = sorted([*taken, "static"])
    if taken:
        raise ScaffoldError("refusing to overwrite existing files; nothing written:\n"
                            + "\n".join(f"  {site / rel}" for rel in taken))
    for rel, text in files.items():
        _create(site / rel, text)
    (site / "static").mkdir(exist_ok=True)
    return list(files)


def _create(path: Path, text: str) -> None:
    """Create a new file (mode 'x': never replaces one made meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:
        f.write(text)
