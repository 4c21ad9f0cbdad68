"""Stage tests for ``sitegen.config``: real ``sitegen.yaml`` files, exact diagnostics."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sitegen.config import Config, MarkdownConfig, PermalinkConfig, load_config, schema_rows
from sitegen.errors import ConfigError


def write_config(site: Path, text: str | bytes) -> Path:
    path = site / "sitegen.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return site


def config_errors(site: Path, text: str | bytes) -> list[str]:
    write_config(site, text)
    with pytest.raises(ConfigError) as info:
        load_config(site)
    return [str(d) for d in info.value.diagnostics]


# --- defaults -----------------------------------------------------------------------------

def test_defaults_when_file_absent(tmp_path):
    config = load_config(tmp_path)
    assert config == Config()
    assert config.title == "News archive"
    assert config.base_url == "http://localhost:8000/"
    assert config.timezone == "UTC"
    assert config.page_size == 20
    assert config.words_per_minute == 220
    assert config.permalinks.article == "/{year}/{month}/{day}/{slug}/"
    assert config.markdown == MarkdownConfig(unsafe_html=False, typographer=False, heading_anchors=True)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_defaults_when_file_empty(tmp_path, text):
    write_config(tmp_path, text)
    assert load_config(tmp_path) == Config()


def test_defaults_when_file_is_an_empty_document(tmp_path):
    write_config(tmp_path, "---\n# nothing set yet\n")
    assert load_config(tmp_path) == Config()


# --- every key read -----------------------------------------------------------------------

def test_every_key_is_read(tmp_path):
    write_config(tmp_path, """
        title: Daily Chronicle
        description: Thirty years of news
        base_url: https://example.org/archive/
        language: tr
        timezone: Europe/Istanbul
        content_dir: articles
        output_dir: dist
        page_size: 7
        words_per_minute: 180
        build_time: "2024-07-04T12:00:00+03:00"
        permalinks:
          article: /{section}/{year}/{slug}/
        markdown:
          unsafe_html: true
          typographer: true
          heading_anchors: false
    """)
    assert load_config(tmp_path) == Config(
        title="Daily Chronicle",
        description="Thirty years of news",
        base_url="https://example.org/archive/",
        language="tr",
        timezone="Europe/Istanbul",
        content_dir="articles",
        output_dir="dist",
        page_size=7,
        words_per_minute=180,
        build_time="2024-07-04T12:00:00+03:00",
        permalinks=PermalinkConfig(article="/{section}/{year}/{slug}/"),
        markdown=MarkdownConfig(unsafe_html=True, typographer=True, heading_anchors=False),
    )


def test_nested_section_keeps_defaults_for_keys_not_given(tmp_path):
    write_config(tmp_path, """
        markdown:
          typographer: true
    """)
    config = load_config(tmp_path)
    assert config.markdown == MarkdownConfig(unsafe_html=False, typographer=True, heading_anchors=True)
    assert config.permalinks == PermalinkConfig()


def test_unquoted_timestamp_build_time_stays_as_written(tmp_path):
    # YAML would make this a datetime; the schema wants the text as written.
    write_config(tmp_path, "build_time: 2024-07-04T12:00:00+02:00\n")
    assert load_config(tmp_path).build_time == "2024-07-04T12:00:00+02:00"


def test_number_where_text_is_expected_stays_as_written(tmp_path):
    write_config(tmp_path, "title: 1984\ndescription: 3.50\n")
    config = load_config(tmp_path)
    assert config.title == "1984"
    assert config.description == "3.50"


def test_date_where_text_is_expected_stays_as_written(tmp_path):
    write_config(tmp_path, "title: 2024-07-04\n")
    assert load_config(tmp_path).title == "2024-07-04"


# --- unknown keys -------------------------------------------------------------------------

def test_unknown_key_with_did_you_mean_at_its_line(tmp_path):
    errors = config_errors(tmp_path, """
        # The site
        language: en
        titel: My archive
    """)
    assert errors == ["sitegen.yaml:3: error: unknown key 'titel' (did you mean 'title'?)"]


def test_unknown_key_without_close_match(tmp_path):
    errors = config_errors(tmp_path, "title: A\nfrobnicate: 1\n")
    assert errors == ["sitegen.yaml:2: error: unknown key 'frobnicate'"]


def test_unknown_nested_key_is_dotted(tmp_path):
    errors = config_errors(tmp_path, """
        title: A
        markdown:
          unsafe_html: false
          typografer: true
    """)
    assert errors == ["sitegen.yaml:4: error: unknown key 'markdown.typografer' (did you mean 'markdown.typographer'?)"]


def test_all_problems_are_reported_together(tmp_path):
    errors = config_errors(tmp_path, """
        titel: A
        page_size: many
        timezone: Mars/Olympus
    """)
    assert errors == [
        "sitegen.yaml:1: error: unknown key 'titel' (did you mean 'title'?)",
        "sitegen.yaml:2: error: 'page_size' must be a whole number, not text",
        "sitegen.yaml:3: error: unknown time zone 'Mars/Olympus' (use an IANA name like 'Europe/Paris')",
    ]


# --- wrong types, at the value's line ---------------------------------------------------------

def test_list_where_text_is_expected_reported_at_value_line(tmp_path):
    errors = config_errors(tmp_path, """
        title:
          - A
          - B
    """)
    assert errors == ["sitegen.yaml:2: error: 'title' must be text, not a list"]


@pytest.mark.parametrize("text, message", [
    ("page_size: twenty\n", "'page_size' must be a whole number, not text"),
    ("page_size: true\n", "'page_size' must be a whole number, not true or false"),
    ("page_size: 2.5\n", "'page_size' must be a whole number, not a number"),
    ("title:\n", "'title' must be text, not empty"),
    ("title: {a: 1}\n", "'title' must be text, not a mapping"),
])
def test_wrong_type(tmp_path, text, message):
    assert config_errors(tmp_path, text) == [f"sitegen.yaml:1: error: {message}"]


def test_wrong_type_in_nested_section(tmp_path):
    errors = config_errors(tmp_path, """
        title: A
        markdown:
          unsafe_html: "yes"
    """)
    assert errors == ["sitegen.yaml:3: error: 'markdown.unsafe_html' must be true or false, not text"]


def test_section_that_is_not_a_mapping(tmp_path):
    errors = config_errors(tmp_path, "title: A\nmarkdown: true\n")
    assert errors == ["sitegen.yaml:2: error: markdown must be a mapping"]


def test_config_that_is_not_a_mapping(tmp_path):
    assert config_errors(tmp_path, "- title\n- A\n") == ["sitegen.yaml:1: error: the config must be a mapping"]


# --- invalid YAML and text ------------------------------------------------------------------

def test_invalid_yaml_reported_at_its_line(tmp_path):
    errors = config_errors(tmp_path, """
        title: ok
        language: en
        description: a: b
    """)
    assert errors == ["sitegen.yaml:3: error: invalid YAML: mapping values are not allowed in this context"]


def test_not_utf8(tmp_path):
    errors = config_errors(tmp_path, b"title: caf\xe9\n")
    assert errors == ["sitegen.yaml:1: error: not UTF-8 text (invalid continuation byte at byte 10)"]


def test_control_character_is_a_config_error(tmp_path):
    write_config(tmp_path, "title: A\ndescription: bell\x07\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    [diagnostic] = info.value.diagnostics
    assert str(diagnostic).startswith("sitegen.yaml:2: error: invalid YAML")


# --- value checks ---------------------------------------------------------------------------

def test_bad_timezone(tmp_path):
    errors = config_errors(tmp_path, "title: A\ntimezone: Europe/Atlantis\n")
    assert errors == ["sitegen.yaml:2: error: unknown time zone 'Europe/Atlantis' "
                      "(use an IANA name like 'Europe/Paris')"]


@pytest.mark.parametrize("url", ["example.org", "ftp://example.org/", "https://", "/archive/"])
def test_bad_base_url(tmp_path, url):
    errors = config_errors(tmp_path, f"title: A\nbase_url: '{url}'\n")
    assert errors == [f"sitegen.yaml:2: error: base_url must be an absolute http(s) URL, not '{url}'"]


def test_bad_permalink_field_at_nested_line(tmp_path):
    errors = config_errors(tmp_path, """
        title: A
        permalinks:
          article: /{year}/{title}/
    """)
    assert errors == ["sitegen.yaml:3: error: unknown permalink field {title} "
                      "(known: year, month, day, slug, section)"]


@pytest.mark.parametrize("pattern", ["/{year}/{month}/", "{year}/{slug}/", "/{year}/{slug}"])
def test_permalink_shape(tmp_path, pattern):
    errors = config_errors(tmp_path, f"permalinks:\n  article: '{pattern}'\n")
    assert errors == ["sitegen.yaml:2: error: permalinks.article must start and end with '/' and contain {slug}"]


@pytest.mark.parametrize("key", ["page_size", "words_per_minute"])
def test_counts_must_be_positive(tmp_path, key):
    assert config_errors(tmp_path, f"title: A\n{key}: 0\n") == [f"sitegen.yaml:2: error: '{key}' must be at least 1"]


def test_build_time_needs_an_offset(tmp_path):
    errors = config_errors(tmp_path, 'build_time: "2024-07-04T12:00:00"\n')
    assert errors == ["sitegen.yaml:1: error: build_time needs a time zone offset (e.g. 2024-07-04T12:00:00+00:00)"]


def test_build_time_must_be_iso(tmp_path):
    errors = config_errors(tmp_path, "build_time: last tuesday\n")
    assert errors == ["sitegen.yaml:1: error: build_time is not an ISO 8601 date and time: 'last tuesday'"]


def test_content_dir_must_be_relative(tmp_path):
    errors = config_errors(tmp_path, "content_dir: /srv/content\n")
    assert errors == ["sitegen.yaml:1: error: 'content_dir' must be a folder path relative to the site"]


# --- derived values -------------------------------------------------------------------------

@pytest.mark.parametrize("url, path", [
    ("https://example.org/", "/"),
    ("https://example.org", "/"),
    ("https://example.org/archive/", "/archive/"),
    ("https://example.org/archive", "/archive/"),
    ("http://localhost:8000/news/2024/", "/news/2024/"),
])
def test_base_path(tmp_path, url, path):
    write_config(tmp_path, f"base_url: {url}\n")
    assert load_config(tmp_path).base_path == path


def test_zone(tmp_path):
    write_config(tmp_path, "timezone: Europe/Istanbul\n")
    zone = load_config(tmp_path).zone
    assert datetime(2024, 7, 4, tzinfo=zone).utcoffset() == timedelta(hours=3)


FALLBACK = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=5)))


def test_build_time_from_config_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    write_config(tmp_path, 'build_time: "2024-07-04T12:00:00+02:00"\n')
    resolved = load_config(tmp_path).resolved_build_time(FALLBACK)
    assert resolved == datetime(2024, 7, 4, 10, 0, tzinfo=timezone.utc)
    assert resolved.utcoffset() == timedelta(0)


def test_build_time_from_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1720094400")
    resolved = load_config(tmp_path).resolved_build_time(FALLBACK)
    assert resolved == datetime(2024, 7, 4, 12, 0, tzinfo=timezone.utc)
    assert resolved.utcoffset() == timedelta(0)


def test_build_time_falls_back_to_the_given_moment_in_utc(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    resolved = load_config(tmp_path).resolved_build_time(FALLBACK)
    assert resolved == FALLBACK
    assert resolved.utcoffset() == timedelta(0)
    assert (resolved.hour, resolved.minute) == (23, 5)


# --- the schema reference -------------------------------------------------------------------

# Keys that exist today; the schema may grow, so rows are compared with a walk of Config() too.
KNOWN_KEYS = [
    "title", "description", "base_url", "language", "timezone", "content_dir", "output_dir",
    "page_size", "words_per_minute", "build_time", "permalinks.article",
    "markdown.unsafe_html", "markdown.typographer", "markdown.heading_anchors",
]


def _leaf_keys(obj, prefix=""):
    keys = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            keys.update(_leaf_keys(value, f"{prefix}{f.name}."))
        else:
            keys[prefix + f.name] = value
    return keys


def test_schema_rows_cover_every_key():
    keys = [row[0] for row in schema_rows()]
    assert keys == list(_leaf_keys(Config()))
    assert len(keys) == len(set(keys))
    assert [key for key in keys if key in KNOWN_KEYS] == KNOWN_KEYS


def test_schema_rows_types_defaults_and_docs():
    defaults = _leaf_keys(Config())
    for key, kind, default, text in schema_rows():
        assert kind == type(defaults[key]).__name__, key
        assert default == repr(defaults[key]), key
        assert text.strip(), f"{key} has no documentation"
    assert dict((row[0], row[1]) for row in schema_rows())["markdown.unsafe_html"] == "bool"
    assert dict((row[0], row[2]) for row in schema_rows())["page_size"] == "20"


def test_key_set_twice_is_an_error(tmp_path):
    errors = config_errors(tmp_path, "title: A\ndescription: x\ntitle: B\n")
    assert errors == ["sitegen.yaml:3: error: 'title' is set twice"]


def test_term_permalink_must_end_in_slug(tmp_path):
    errors = config_errors(tmp_path, "permalinks:\n  tag: /tags/{slug}/page/\n")
    assert errors == ["sitegen.yaml:2: error: permalinks.tag must look like '/name/{slug}/', not '/tags/{slug}/page/'"]
