"""Interface strings and dates in the site's language.

Fixed words come from a message catalogue: ``sitegen/locales/<lang>.yaml`` (shipped), with the
site's ``i18n/<lang>.yaml`` merged over it; a message missing in the language falls back to
English. Month and day names, date patterns, plural rules, lists and numbers come from CLDR
through Babel, never from hand-written tables. Babel is slow-ish, so every answer is cached
per locale: the plan and the templates ask for the same few hundred strings thousands of times.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml
from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_day_names, get_month_names
from babel.lists import format_list
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from sitegen.config import CONFIG_FILE, Config, YamlLoader, constructed, key_line, yaml_problem
from sitegen.errors import Diagnostic, error, warning

LOCALES = Path(__file__).parent / "locales"
SITE_FOLDER = "i18n"
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")

Text = str | Mapping[str, str]  # a message: plain text, or its plural forms by CLDR category


def babel_locale(language: str) -> Locale:
    """The Babel locale of a BCP 47 tag ('pt-BR'); raises ValueError for a tag Babel does not know."""
    return _locale(language.replace("_", "-"))


@lru_cache(maxsize=None)
def _locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


def shipped_languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.yaml"))


@dataclass(frozen=True, slots=True)
class Messages:
    """The interface strings and date formats of one language. ``texts`` holds every message id
    (English filled in where the language has none); ``locale`` is Babel's identifier ('de_AT')."""

    locale: str
    texts: Mapping[str, Text]

    # -- words ---------------------------------------------------------------------------

    def __call__(self, msgid: str, count: int | None = None, **values: Any) -> str:
        """The message as plain text: ``t("{count} articles", count=3)`` -> '3 articles'."""
        template = self._template(msgid, count)
        if count is not None:
            values["count"] = self.number(count)
        return template.format(**values) if values else template

    def markup(self, msgid: str, count: int | None = None, **values: Any) -> Markup:
        """The message for templates (their ``_``): escaped, values escaped unless already markup,
        so a translation can wrap a link passed in as markup."""
        template = self._template(msgid, count)
        if count is not None:
            values["count"] = self.number(count)
        return Markup(escape(template)).format(**values)

    def _template(self, msgid: str, count: int | None) -> str:
        try:
            text = self.texts[msgid]
        except KeyError:
            raise KeyError(f"no message {msgid!r} in the catalogue (add it to {SITE_FOLDER}/en.yaml)") from None
        if isinstance(text, str):
            return text
        if count is None:
            raise TypeError(f"message {msgid!r} has plural forms and needs count=")
        return text.get(_plural(self.locale, count)) or text["other"]

    def number(self, value: int | float) -> str:
        """A number with the locale's digit grouping: '1,234', '1.234', '1 234'."""
        return _number(self.locale, value)

    def join(self, items: Sequence[str]) -> Markup:
        """Items (text or markup) as the language lists them: 'A, B and C', 'A, B und C'."""
        return Markup(_list(self.locale, tuple(str(escape(item)) for item in items)))

    # -- calendar --------------------------------------------------------------------------

    @property
    def first_weekday(self) -> int:
        """The first day of the week (0 is Monday, as for the calendar module), from CLDR."""
        return _locale_id(self.locale).first_week_day

    def weekdays(self) -> list[str]:
        """Abbreviated weekday names for calendar headers, starting on the first day of the week."""
        return list(_weekdays(self.locale))

    def month_names(self, width: str = "wide", context: str = "stand-alone") -> list[str]:
        """The twelve month names: stand-alone ('lipiec') for a name alone, 'format' ('lipca')
        for one inside a date; width 'wide' or 'abbreviated'."""
        return list(_months(self.locale, width, context))

    def month_year(self, year: int, month: int) -> str:
        """A month as a heading: 'July 2024', 'Juli 2024', 'lipiec 2024'."""
        return _skeleton(self.locale, "yMMMM", date(year, month, 1))

    def date(self, value: date, fmt: str = "medium", zone: Any = None) -> str:
        """A date, or a datetime shown in ``zone``: 'medium' is the locale's long date ('4 July 2024',
        '4. Juli 2024'); 'long' adds the time and UTC offset; 'month' the stand-alone month
        name, 'month_year' the month as a heading, 'day_month' the format month name (as in
        '4 lipca'); a format with '%' is strftime (for numbers only: '%Y-%m-%d')."""
        local = value.astimezone(zone) if zone and isinstance(value, datetime) else value
        if fmt == "medium":
            return _long_date(self.locale, local.date() if isinstance(local, datetime) else local)
        if fmt == "long":
            if not isinstance(local, datetime):
                return _long_date(self.locale, local)
            return _long_datetime(self.locale, local.date(), local.hour, local.minute, local.strftime("%z"))
        if fmt == "month":
            return _months(self.locale, "wide", "stand-alone")[local.month - 1]
        if fmt == "day_month":
            return _months(self.locale, "wide", "format")[local.month - 1]
        if fmt == "month_year":
            return self.month_year(local.year, local.month)
        return local.strftime(fmt)


@lru_cache(maxsize=None)
def _locale_id(identifier: str) -> Locale:
    return Locale.parse(identifier)


@lru_cache(maxsize=4096)
def _plural(locale: str, count: int) -> str:
    return _locale_id(locale).plural_form(count)


@lru_cache(maxsize=8192)
def _number(locale: str, value: int | float) -> str:
    return format_decimal(value, locale=_locale_id(locale))


@lru_cache(maxsize=1024)
def _list(locale: str, items: tuple[str, ...]) -> str:
    return format_list(list(items), locale=_locale_id(locale)) if items else ""


@lru_cache(maxsize=None)
def _weekdays(locale: str) -> tuple[str, ...]:
    names = get_day_names("abbreviated", "stand-alone", locale=_locale_id(locale))
    first = _locale_id(locale).first_week_day
    return tuple(names[(first + i) % 7] for i in range(7))


@lru_cache(maxsize=None)
def _months(locale: str, width: str, context: str) -> tuple[str, ...]:
    names = get_month_names(width, context, locale=_locale_id(locale))
    return tuple(names[m] for m in range(1, 13))


@lru_cache(maxsize=65536)
def _skeleton(locale: str, skeleton: str, day: date) -> str:
    return format_skeleton(skeleton, day, locale=_locale_id(locale))


@lru_cache(maxsize=65536)
def _long_date(locale: str, day: date) -> str:
    return format_date(day, "long", locale=_locale_id(locale))


@lru_cache(maxsize=65536)
def _long_datetime(locale: str, day: date, hour: int, minute: int, offset: str) -> str:
    """'4 July 2024, 14:30 UTC+02:00': the locale's long date and 24-hour time, joined by its
    own date-time pattern; the offset is written the same in every language."""
    return _locale_id(locale).datetime_formats["medium"].replace("{1}", _long_date(locale, day)).replace(
        "{0}", _clock(locale, hour, minute, offset))


@lru_cache(maxsize=8192)
def _clock(locale: str, hour: int, minute: int, offset: str) -> str:
    """The time of ``_long_datetime``: kept apart, as a day's articles are at many times and a
    time is on many days (an article page shows its own, nearly always a new pair)."""
    loc = _locale_id(locale)
    clock = format_time(time(hour, minute), loc.datetime_skeletons["Hm"].pattern, locale=loc)
    return clock + f" UTC{offset[:3]}:{offset[3:]}" if offset else clock


# -- catalogues ----------------------------------------------------------------------------

def load_messages(site: Path | None, config: Config) -> tuple[Messages, list[Diagnostic]]:
    """The site's messages: English, then the language's shipped catalogue, then the site's own
    files (``i18n/en.yaml``, ``i18n/<lang>.yaml``), each merged over the last. A language with
    no catalogue at all gets English and a warning; bad override files are diagnostics."""
    language = config.language.replace("_", "-")
    locale = str(babel_locale(language))
    diagnostics: list[Diagnostic] = []
    english = shipped_catalogue("en")
    texts: dict[str, Text] = dict(english)
    names = _candidates(language)
    found = [name for name in names if (LOCALES / f"{name}.yaml").is_file()]
    site_files = [] if site is None else [n for n in dict.fromkeys(["en", *names]) if (site / SITE_FOLDER / f"{n}.yaml").is_file()]
    if "en" in site_files:
        texts.update(_site_catalogue(site, "en", texts, diagnostics, new_ids=True))  # type: ignore[arg-type]
    for name in found:
        if name != "en":  # English is the base already: again here, it would undo the site's own en.yaml
            texts.update(shipped_catalogue(name))
    for name in site_files:
        if name != "en":
            texts.update(_site_catalogue(site, name, texts, diagnostics, new_ids=False))  # type: ignore[arg-type]
    if not found and not any(n != "en" for n in site_files) and names[-1] != "en":
        line = key_line(site, "language") if site is not None else 0
        diagnostics.append(warning(CONFIG_FILE, line,
                                   f"no interface strings for language '{config.language}' (shipped: "
                                   f"{', '.join(shipped_languages())}; add {SITE_FOLDER}/{names[-1]}.yaml to the site); "
                                   "English words are used, dates and numbers follow the language"))
    return Messages(locale, texts), diagnostics


def _candidates(language: str) -> list[str]:
    """File names to look for, general first: 'de-AT' -> ['de', 'de-AT']."""
    parts = language.split("-")
    return list(dict.fromkeys("-".join(parts[: i + 1]) for i in range(len(parts))))


@lru_cache(maxsize=None)
def shipped_catalogue(name: str) -> Mapping[str, Text]:
    """A shipped catalogue, checked by the tests (so an error here is a bug, not user input)."""
    path = LOCALES / f"{name}.yaml"
    texts, problems = read_catalogue(path, path.name, _locale(name))
    if any(d.is_error for d in problems):
        raise ValueError("\n".join(map(str, problems)))
    return texts


def _site_catalogue(site: Path, name: str, known: Mapping[str, Text], out: list[Diagnostic],
                    new_ids: bool) -> dict[str, Text]:
    rel = f"{SITE_FOLDER}/{name}.yaml"
    texts, problems = read_catalogue(site / rel, rel, babel_locale(name), known, new_ids)
    out.extend(problems)
    return texts


def read_catalogue(path: Path, rel: str, locale: Locale, known: Mapping[str, Text] | None = None,
                   new_ids: bool = True) -> tuple[dict[str, Text], list[Diagnostic]]:
    """A catalogue file's messages and its problems (``path:line``). With ``known`` (the English
    messages), a translation may use only the placeholders of its English text, and an id not
    among them is a warning unless ``new_ids`` (the site's English file adds its own)."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        return {}, [error(rel, line, f"invalid YAML: {problem}")]
    if node is None:
        return {}, []
    if not isinstance(node, yaml.MappingNode):
        return {}, [error(rel, node.start_mark.line + 1, "a catalogue must map message ids to texts")]
    texts: dict[str, Text] = {}
    problems: list[Diagnostic] = []
    categories = set(locale.plural_form.tags) | {"other"}
    for key_node, value_node in node.value:
        msgid, line = str(key_node.value), key_node.start_mark.line + 1
        value = constructed(value_node)
        if isinstance(value, dict):
            bad = [k for k in value if k not in PLURAL_CATEGORIES or not isinstance(value[k], str)]
            if bad or "other" not in value:
                problems.append(error(rel, line, f"plural forms of '{msgid}' must be texts for CLDR categories "
                                                 f"({', '.join(c for c in PLURAL_CATEGORIES if c in categories)}), "
                                                 "'other' among them"))
                continue
        elif not isinstance(value, str):
            problems.append(error(rel, line, f"the text of '{msgid}' must be text or plural forms"))
            continue
        if known is not None and msgid not in known:
            if not new_ids:
                close = difflib.get_close_matches(msgid, list(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(warning(rel, line, f"unknown message id '{msgid}'{hint}"))
                continue
        elif known is not None:
            allowed = _fields(known[msgid])
            extra = sorted(_fields(value) - allowed)
            if extra:
                problems.append(error(rel, line, f"'{msgid}' uses {{{extra[0]}}}, which its English text does not have"))
                continue
        texts[msgid] = value
    return texts, problems


def _fields(text: Text) -> set[str]:
    """The placeholders of a message (of all its plural forms)."""
    forms = [text] if isinstance(text, str) else list(text.values())
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


__all__ = ["Messages", "babel_locale", "load_messages", "read_catalogue", "shipped_catalogue"]
