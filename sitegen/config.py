"""The typed, documented site settings, read from ``sitegen.yaml``.

The schema is declared once, below, with a default and a line of documentation for
every key; the README's config reference mirrors it (a test keeps them in step).
Unknown keys and wrong types are errors naming the file and line.
"""

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import babel
import yaml

from sitegen.errors import ConfigError, Diagnostic, error

CONFIG_FILE = "sitegen.yaml"
PERMALINK_FIELDS = ("year", "month", "day", "slug", "section")

try:  # libyaml is several times faster; fall back to pure Python where it is missing
    YamlLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    YamlLoader = yaml.SafeLoader


def constructed(node: yaml.Node) -> Any:
    """The Python value of a composed node, as loading its text alone would give it: without
    writing the node out and parsing it again, which took 6 ms of every build for the messages."""
    loader = YamlLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with its documentation attached (shown in the README reference)."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True, slots=True)
class MarkdownConfig:
    unsafe_html: bool = doc("Pass raw HTML in article bodies through. Off: it is shown as text (scraped text is untrusted).", False)
    typographer: bool = doc("Smart quotes and dashes.", False)
    heading_anchors: bool = doc("Give body headings an `id` and a `#` link.", True)


@dataclass(frozen=True, slots=True)
class RelatedConfig:
    count: int = doc("Related articles shown on an article page (explicit references first).", 5)
    listed: int = doc("Most related articles listed on an article's related page.", 20)
    min_score: float = doc("Lowest similarity (0 to 1, cosine of TF-IDF vectors) that counts as related.", 0.12)
    title_weight: float = doc("Weight of title words in similarity.", 3.0)
    summary_weight: float = doc("Weight of summary (standfirst) words.", 2.0)
    body_weight: float = doc("Weight of body words.", 1.0)
    tags_weight: float = doc("Weight of tags.", 3.0)
    date_halflife_days: int = doc("Prefer articles near in time: a score halves at this many days apart (0: off).", 0)
    story_min_score: float = doc("Similarity that links two articles into one story.", 0.35)
    story_min_size: int = doc("Fewest articles that make a story.", 3)
    story_max_size: int = doc("Largest story; bigger groups are split by raising the link score.", 40)


@dataclass(frozen=True, slots=True)
class FeedsConfig:
    entries: int = doc("Latest articles in each feed (Atom, RSS 2.0 and JSON Feed).", 20)
    full_content: bool = doc("Put each article's whole body in feeds; off: its summary only.", False)
    sections: bool = doc("A feed for each section, besides the site's (at the section's URL plus feed.xml, rss.xml, feed.json).", True)
    tags: bool = doc("A feed for each tag.", False)
    authors: bool = doc("A feed for each author.", False)


@dataclass(frozen=True, slots=True)
class PagesConfig:
    """Page kinds a site can do without (like Hugo's disableKinds): a very large archive may not want
    a page per day or per article's related list. Links to a switched-off kind are left out."""

    days: bool = doc("A page per day with articles (month calendars and article dates link to it).", True)
    related: bool = doc("A related-articles page per article (its full list, with why each is related).", True)
    stories: bool = doc("Story pages (running stories as timelines) and their index.", True)
    sources: bool = doc("A page per source and their index.", True)


@dataclass(frozen=True, slots=True)
class PermalinkConfig:
    article: str = doc(
        "URL pattern of article pages; fields {year} {month} {day} {slug} {section}. "
        "The output file is the same path plus index.html.",
        "/{year}/{month}/{day}/{slug}/",
    )
    section: str = doc("URL pattern of section pages; the index of all sections is the part before {slug}.", "/sections/{slug}/")
    tag: str = doc("URL pattern of tag pages (index: the part before {slug}).", "/tags/{slug}/")
    author: str = doc("URL pattern of author pages (index: the part before {slug}).", "/authors/{slug}/")
    source: str = doc("URL pattern of source pages (index: the part before {slug}).", "/sources/{slug}/")


@lru_cache(maxsize=16)
def _base_path(base_url: str) -> str:
    path = re.sub(r"^[a-z]+://[^/]+", "", base_url)
    return path if path.endswith("/") else path + "/"


@lru_cache(maxsize=16)
def _root_url(base_url: str) -> str:
    """Cached: the plan asks for it for every absolute URL of every page."""
    return re.sub(r"^([a-z]+://[^/]+).*$", r"\1", base_url, flags=re.S) + _base_path(base_url)


@dataclass(frozen=True, slots=True)
class Config:
    title: str = doc("Site title, shown in the masthead and page titles.", "News archive")
    description: str = doc("One-line description of the site (meta description of the home page).", "")
    base_url: str = doc(
        "Absolute URL the site is published at; may carry a sub-path (https://example.org/archive/).",
        "http://localhost:8000/",
    )
    language: str = doc(
        "Language of the site (BCP 47 tag, used in <html lang>): its interface strings (see Languages), "
        "month and day names, date formats and first day of the week (from CLDR).", "en")
    timezone: str = doc("IANA time zone for dates written without one, and for showing dates.", "UTC")
    content_dir: str = doc("Folder of articles, relative to the site.", "content")
    output_dir: str = doc("Folder the site is built into, relative to the site.", "public")
    page_size: int = doc("Articles per listing page (the home page shows this many of the latest).", 20)
    words_per_minute: int = doc("Reading speed for computed reading times.", 220)
    build_time: str = doc(
        "Build time (ISO 8601 with offset), shown as the archive's last update and the \"now\" that scheduled "
        "and expiring articles are judged by; else SOURCE_DATE_EPOCH; else the clock judges the schedule while the "
        "shown time is the newest shown article's date, so the same input and schedule give the same output.", ""
    )
    search: bool = doc(
        "Full-text search with Pagefind (the pagefind-bin package): a search page, a search box in every "
        "page's header, filters by section and year. The index is built into the new output before it is swapped in.",
        True,
    )
    sitemaps: bool = doc(
        "Write sitemap.xml (an index of one sitemap per month, sitemaps/YYYY-MM.xml, plus sitemaps/pages.xml) "
        "and robots.txt naming it.", True,
    )
    news_sitemap: bool = doc("Write news-sitemap.xml (Google News): the articles of the two days before the build time.", True)
    permalinks: PermalinkConfig = doc("URL patterns.", factory=PermalinkConfig)
    markdown: MarkdownConfig = doc("Markdown options.", factory=MarkdownConfig)
    related: RelatedConfig = doc("Related articles and stories.", factory=RelatedConfig)
    feeds: FeedsConfig = doc("Atom, RSS and JSON feeds.", factory=FeedsConfig)
    pages: PagesConfig = doc("Page kinds to make.", factory=PagesConfig)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def root_url(self) -> str:
        """The absolute URL of the site's root, ending in '/': 'https://example.org/archive/'."""
        return _root_url(self.base_url)

    def absolute_url(self, path: str) -> str:
        """A site path ('/2024/07/04/slug/') as an absolute URL under ``base_url``; URLs stay."""
        return path if "://" in path else self.root_url + path.lstrip("/")

    @property
    def base_path(self) -> str:
        """The sub-path the site lives under: '/' or '/archive/'."""
        return _base_path(self.base_url)

    def resolved_build_time(self, fallback: datetime) -> datetime:
        """The build's moment: set, or from the environment, or ``fallback`` (from the input)."""
        if self.build_time:
            return datetime.fromisoformat(self.build_time).astimezone(timezone.utc)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        return fallback.astimezone(timezone.utc)


def schema_rows(cls: type = Config, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, doc) for every key, nested sections dotted: the README reference."""
    rows = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            rows.extend(schema_rows(kind, f"{prefix}{f.name}."))
            continue
        default = f.default
        rows.append((prefix + f.name, kind.__name__, repr(default), f.metadata["doc"]))
    return rows


def load_config(site: Path) -> Config:
    """Read ``sitegen.yaml`` (optional) and return a validated Config, or raise ConfigError."""
    path = site / CONFIG_FILE
    if not path.exists():
        return Config()
    rel = CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([error(rel, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    try:
        node = yaml.compose(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        raise ConfigError([error(rel, line, f"invalid YAML: {problem}")]) from None
    if node is None or node.tag == "tag:yaml.org,2002:null":
        return Config()
    diagnostics: list[Diagnostic] = []
    config = _build(Config, node, rel, "", diagnostics)
    if config is not None:
        diagnostics.extend(_check(config, node, rel))
    if diagnostics:
        raise ConfigError(diagnostics)
    return config


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """(1-based line, description) of any YAML error: parse errors carry a mark, reader
    errors (control characters, bad encodings) only a character position."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (mark.line + 1 if mark else 1), str(exc.problem or exc.context)
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, exc.position) + 1, f"character {exc.character!r} is not allowed"
    return 1, str(exc)


def _build(cls: type, node: yaml.Node, rel: str, prefix: str, out: list[Diagnostic]) -> Any:
    if not isinstance(node, yaml.MappingNode):
        out.append(error(rel, node.start_mark.line + 1, f"{prefix.rstrip('.') or 'the config'} must be a mapping"))
        return None
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key, line = key_node.value, key_node.start_mark.line + 1
        if key in seen:
            out.append(error(rel, line, f"'{prefix}{key}' is set twice"))
            continue
        seen.add(key)
        if key not in hints:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            out.append(error(rel, line, f"unknown key '{prefix}{key}'{hint}"))
            continue
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            sub = _build(kind, value_node, rel, f"{prefix}{key}.", out)
            if sub is not None:
                values[key] = sub
            continue
        value = constructed(value_node) if value_node.tag != "tag:yaml.org,2002:null" else None
        if isinstance(value, (datetime, date)) or (kind is str and isinstance(value, (int, float)) and not isinstance(value, bool)):
            value = value_node.value  # dates and numbers written where text is expected stay as written
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            out.append(error(rel, value_node.start_mark.line + 1,
                             f"'{prefix}{key}' must be {_kind_name(kind)}, not {_kind_name(type(value))}"))
            continue
        values[key] = value
    return cls(**values)


def _kind_name(kind: type) -> str:
    return {str: "text", int: "a whole number", bool: "true or false", type(None): "empty",
            list: "a list", dict: "a mapping", float: "a number"}.get(kind, kind.__name__)


def _line_of(node: yaml.MappingNode, dotted: str) -> int:
    """The line of a (possibly nested) key in the config, for checks made after parsing."""
    for part in dotted.split("."):
        for key_node, value_node in node.value:
            if key_node.value == part:
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            return 1
    return line


def _check(config: Config, node: yaml.MappingNode, rel: str) -> list[Diagnostic]:
    """Checks of values (not just types) that the schema alone cannot express."""
    problems: list[tuple[str, str]] = []
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(("timezone", f"unknown time zone '{config.timezone}' (use an IANA name like 'Europe/Paris')"))
    if problem := base_url_problem(config.base_url):
        problems.append(("base_url", problem))
    if problem := language_problem(config.language):
        problems.append(("language", problem))
    for key in ("page_size", "words_per_minute", "feeds.entries"):
        section, _, name = key.rpartition(".")
        if getattr(getattr(config, section) if section else config, name) < 1:
            problems.append((key, f"'{key}' must be at least 1"))
    if config.build_time:
        try:
            if datetime.fromisoformat(config.build_time).tzinfo is None:
                problems.append(("build_time", "build_time needs a time zone offset (e.g. 2024-07-04T12:00:00+00:00)"))
        except ValueError:
            problems.append(("build_time", f"build_time is not an ISO 8601 date and time: '{config.build_time}'"))
    pattern = config.permalinks.article
    bad = [name for name in re.findall(r"\{([^}]*)\}", pattern) if name not in PERMALINK_FIELDS]
    if bad:
        problems.append(("permalinks.article", f"unknown permalink field {{{bad[0]}}} (known: {', '.join(PERMALINK_FIELDS)})"))
    elif "{slug}" not in pattern or not pattern.startswith("/") or not pattern.endswith("/"):
        problems.append(("permalinks.article", "permalinks.article must start and end with '/' and contain {slug}"))
    for kind in ("section", "tag", "author", "source"):
        value = getattr(config.permalinks, kind)
        if not re.fullmatch(r"/([\w.-]+/)+\{slug\}/", value):
            problems.append((f"permalinks.{kind}", f"permalinks.{kind} must look like '/name/{{slug}}/', not '{value}'"))
    for key in ("content_dir", "output_dir"):
        value = getattr(config, key)
        if not value or Path(value).is_absolute() and key == "content_dir":
            problems.append((key, f"'{key}' must be a folder path relative to the site"))
    return [error(rel, _line_of(node, key), message) for key, message in problems]


def base_url_problem(value: str) -> str | None:
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
        return f"base_url must be an absolute http(s) URL, not '{value}'"
    return None


def language_problem(value: str) -> str | None:
    """A language must be one CLDR (through Babel) has data for: its dates and plurals come from there."""
    try:
        babel.Locale.parse(value.replace("_", "-"), sep="-")
    except (ValueError, babel.UnknownLocaleError):
        return f"unknown language '{value}' (use a BCP 47 tag like 'en', 'en-GB', 'de' or 'pt-BR')"
    return None


def key_line(site: Path, dotted: str) -> int:
    """The line of a key in the site's config file (for warnings made after loading), or 0."""
    try:
        node = yaml.compose((site / CONFIG_FILE).read_text(encoding="utf-8"), Loader=YamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 0
    return _line_of(node, dotted) if isinstance(node, yaml.MappingNode) else 0


def with_overrides(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, **changes)


def with_base_url(config: Config, base_url: str) -> Config:
    """The config with ``base_url`` set from the command line (``--base-url``), checked like the file's."""
    if problem := base_url_problem(base_url):
        raise ConfigError([error("--base-url", 0, problem)])
    return dataclasses.replace(config, base_url=base_url)
