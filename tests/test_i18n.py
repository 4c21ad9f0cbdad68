"""Languages: real sites built in German, French and English and read back with lxml, the site's
own catalogue files and their diagnostics, the shipped catalogues' completeness, the helpers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
from markupsafe import Markup

from conftest import ROOT, article_md, write_files
from sitegen import plan as plan_module
from sitegen.build import TemplateFailure, build
from sitegen.config import Config, load_config
from sitegen.errors import ConfigError
from sitegen.i18n import LOCALES, Messages, load_messages, shipped_catalogue
from sitegen.watch import is_relevant

CEST = timezone(timedelta(hours=2))


def make_site(root: Path, language: str, extra: dict[str, str] | None = None) -> Path:
    """Three July 2024 articles (one read in 1 minute, one in 5) and a one-article page size,
    so month and day pages have pagers."""
    files = {
        "sitegen.yaml": f'title: Test\nlanguage: {language}\nsearch: false\npage_size: 1\nwords_per_minute: 10\n'
                        'build_time: "2024-07-06T12:00:00+00:00"\n',
        "content/a.md": article_md("Erster", "2024-07-04T14:30:00+02:00", "World", body="word " * 5,
                                   updated="2024-07-05T09:15:00+02:00", authors="[Ann, Bob, Cid]"),
        "content/b.md": article_md("Zweiter", "2024-07-04T16:00:00+02:00", "World", body="word " * 50),
        "content/c.md": article_md("Dritter", "2024-07-01T08:00:00+02:00", "World", body="word " * 50),
    }
    return write_files(root, {**files, **(extra or {})})


def built(root: Path, language: str, extra: dict[str, str] | None = None):
    site = make_site(root, language, extra)
    result = build(site, site / "public")
    return site / "public", result


def page(out: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(out / path / "index.html")).getroot()


def text(node) -> str:
    return " ".join(node.text_content().split())


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> Path:
    out, result = built(tmp_path_factory.mktemp("de") / "site", "de")
    assert result.diagnostics == ()
    return out


@pytest.fixture(scope="module")
def french(tmp_path_factory) -> Path:
    out, result = built(tmp_path_factory.mktemp("fr") / "site", "fr")
    assert result.diagnostics == ()
    return out


# -- German ------------------------------------------------------------------------------------

def test_german_month_page(german):
    doc = page(german, "2024/07")
    assert doc.findtext(".//title") == "Juli 2024 — Test"
    assert text(doc.xpath("//h1")[0]) == "Juli 2024"
    assert text(doc.xpath("//p[@class='kind-label']")[0]) == "Monat"
    assert [th.text for th in doc.xpath("//table[@class='calendar']//th")] == ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    assert text(doc.xpath("//caption")[0]) == "Artikel nach Tag, Juli 2024"
    first_week = doc.xpath("//table[@class='calendar']/tbody/tr[1]/td")
    assert text(first_week[0]).startswith("1 Juli:")  # 1 July 2024 is a Monday: the week starts there
    assert [text(a) for a in doc.xpath("//nav[@class='breadcrumbs']//a")] == ["Startseite", "Archiv", "2024", "Juli"]
    assert doc.xpath("//meta[@name='description']/@content") == ["Artikel aus dem Juli 2024."]


def test_german_day_page_and_pager(german):
    doc = page(german, "2024/07/04")
    assert text(doc.xpath("//h1")[0]) == "4. Juli 2024"
    assert text(doc.xpath("//p[@class='listing-meta']")[0]) == "2 Artikel · Seite 1 von 2"
    pager = doc.xpath("//nav[@class='pager']")[0]
    assert pager.get("aria-label") == "Seiten"
    assert text(pager.xpath(".//a[@rel='next']")[0]) == "Nächste Seite →"
    assert text(pager.xpath(".//*[@aria-current='page']")[0]) == "Seite 1"
    second = page(german, "2024/07/04/page/2")
    assert second.findtext(".//title") == "4. Juli 2024 — Seite 2 von 2 — Test"
    assert text(second.xpath("//a[@rel='prev']")[0]) == "← Vorherige Seite"
    assert doc.xpath("//nav[@class='period-nav']/@aria-label") == ["Andere Tage"]
    assert [text(a) for a in doc.xpath("//nav[@class='period-nav']//a")] == ["← 1. Juli 2024"]


def test_german_article_date_line_and_words(german):
    doc = page(german, "2024/07/04/erster")
    line = doc.xpath("//p[@class='meta-line']")[0]
    assert text(line.xpath("time[@class='published']")[0]) == "4. Juli 2024"
    assert line.xpath("time[@class='published']/@title") == ["4. Juli 2024, 12:30 UTC+00:00"]
    assert text(line.xpath("span[@class='updated']")[0]) == "Aktualisiert am 5. Juli 2024, 07:15 UTC+00:00"
    assert text(line.xpath("span[@class='reading-time']")[0]) == "1 Minute Lesezeit"
    assert text(doc.xpath("//p[@class='byline']")[0]) == "Von Ann, Bob und Cid"
    assert [text(a) for a in doc.xpath("//nav[@aria-label='Datumspfad']//a")] == ["2024", "Juli", "4"]
    assert text(doc.xpath("//a[@class='skip-link']")[0]) == "Zum Hauptinhalt springen"
    assert [text(a) for a in doc.xpath("//nav[@class='footer-nav']//a")] == [
        "Archiv", "Ressorts", "Schlagwörter", "Autoren", "Quellen", "Themen"]
    assert text(doc.xpath("//p[@class='site-footer-credit']")[0]) == \
        "Archiv aktualisiert am 6. Juli 2024 · Erstellt mit sitegen"
    other = page(german, "2024/07/04/zweiter")
    assert text(other.xpath("//span[@class='reading-time']")[0]) == "5 Minuten Lesezeit"
    assert doc.get("lang") == "de"


def test_german_archive_grid_and_section_page(german):
    doc = page(german, "archive")
    cells = doc.xpath("//ol[@class='month-grid']/li")
    assert [text(c.xpath(".//span[@class='month-name']")[0]) for c in cells[:3]] == ["Jan", "Feb", "Mär"]
    assert text(cells[6]) == "JulJuli 2024: 3 Artikel"  # shown abbreviation, then the hidden label
    assert text(cells[0].xpath(".//span[@class='visually-hidden']")[-1]) == "keine Artikel"
    section = page(german, "sections/world")
    assert text(section.xpath("//p[@class='kind-label']")[0]) == "Ressort"
    assert section.xpath("//meta[@name='description']/@content") == ["Ressort: World"]
    index = page(german, "sections")
    assert text(index.xpath("//p[@class='listing-meta']")[0]) == "1 Ressort"


# -- French --------------------------------------------------------------------------------------

def test_french_month_day_and_article(french):
    month = page(french, "2024/07")
    assert text(month.xpath("//h1")[0]) == "juillet 2024"
    assert [th.text for th in month.xpath("//table[@class='calendar']//th")][:2] == ["lun.", "mar."]
    day = page(french, "2024/07/04")
    assert text(day.xpath("//h1")[0]) == "4 juillet 2024"
    assert text(day.xpath("//p[@class='listing-meta']")[0]) == "2 articles · Page 1 sur 2"
    # French says "Page suivante" in full and leaves the screen-reader-only suffix empty
    assert text(day.xpath("//a[@rel='next']")[0]) == "Page suivante →"
    article = page(french, "2024/07/04/erster")
    assert text(article.xpath("//time[@class='published']")[0]) == "4 juillet 2024"
    assert text(article.xpath("//span[@class='reading-time']")[0]) == "1 minute de lecture"
    assert text(page(french, "2024/07/04/zweiter").xpath("//span[@class='reading-time']")[0]) == "5 minutes de lecture"
    assert text(article.xpath("//p[@class='byline']")[0]) == "Par Ann, Bob et Cid"
    assert text(article.xpath("//span[@class='article-nav-dir']")[0]) in ("← Plus ancien", "Plus récent →")


# -- English: the first day of the week and the date order follow the language's region -----------

@pytest.mark.parametrize("language, weekdays, heading", [
    ("en", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "July 4, 2024"),
    ("en-GB", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "4 July 2024"),
    ("en-US", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], "July 4, 2024"),
])
def test_english_calendars(tmp_path, language, weekdays, heading):
    out, result = built(tmp_path / "site", language)
    assert result.diagnostics == ()
    month = page(out, "2024/07")
    assert [th.text for th in month.xpath("//table[@class='calendar']//th")] == weekdays
    assert text(page(out, "2024/07/04").xpath("//h1")[0]) == heading
    assert text(page(out, "2024/07/04/zweiter").xpath("//span[@class='reading-time']")[0]) == "5 min read"


# -- the site's own catalogue files ------------------------------------------------------------------

def test_site_override_changes_one_string(tmp_path):
    out, result = built(tmp_path / "site", "de", {"i18n/de.yaml": '"Latest news": "Aktuelles"\n'})
    assert result.diagnostics == ()
    home = page(out, "")
    assert text(home.xpath("//h1")[0]) == "Aktuelles"
    assert text(home.xpath("//a[@class='skip-link']")[0]) == "Zum Hauptinhalt springen"  # the rest stays shipped


@pytest.mark.parametrize("language", ["en", "en-GB"])
def test_an_english_site_overrides_a_shipped_string_in_its_english_file(tmp_path, language):
    out, result = built(tmp_path / "site", language, {"i18n/en.yaml": '"Latest news": "Front page"\n'})
    assert result.diagnostics == ()
    home = page(out, "")
    assert text(home.xpath("//h1")[0]) == "Front page"
    assert text(home.xpath("//a[@class='skip-link']")[0]) == "Skip to main content"  # the rest stays shipped


def test_language_without_catalogue_falls_back_to_english_with_a_warning(tmp_path):
    out, result = built(tmp_path / "site", "it")
    assert [str(d) for d in result.diagnostics] == [
        "sitegen.yaml:2: warning: no interface strings for language 'it' (shipped: de, en, fr; add i18n/it.yaml "
        "to the site); English words are used, dates and numbers follow the language"]
    day = page(out, "2024/07/04")
    assert text(day.xpath("//h1")[0]) == "4 luglio 2024"  # dates in Italian
    assert text(day.xpath("//a[@rel='next']")[0]) == "Next page →"  # words in English


def test_site_catalogue_for_a_new_language_with_a_missing_key(tmp_path):
    out, result = built(tmp_path / "site", "it", {"i18n/it.yaml": '"Latest news": "Ultime notizie"\n'})
    assert result.diagnostics == ()
    home = page(out, "")
    assert text(home.xpath("//h1")[0]) == "Ultime notizie"
    assert text(home.xpath("//a[@class='skip-link']")[0]) == "Skip to main content"  # missing: English


def test_bad_site_catalogue_entries_are_diagnostics(tmp_path):
    site = make_site(tmp_path / "site", "de", {"i18n/de.yaml": """
        "Latest news": "Aktuelles"
        "Latest newz": "Tippfehler"
        "More in {section}": "Mehr aus {rubrik}"
        "{count} articles":
          one: "{count} Artikel"
        "Draft": [a, list]
        """})
    _, diagnostics = load_messages(site, load_config(site))
    assert [str(d) for d in diagnostics] == [
        "i18n/de.yaml:2: warning: unknown message id 'Latest newz' (did you mean 'Latest news'?)",
        "i18n/de.yaml:3: error: 'More in {section}' uses {rubrik}, which its English text does not have",
        "i18n/de.yaml:4: error: plural forms of '{count} articles' must be texts for CLDR categories (one, other), "
        "'other' among them",
        "i18n/de.yaml:6: error: the text of 'Draft' must be text or plural forms",
    ]


def test_invalid_yaml_in_a_site_catalogue(tmp_path):
    site = make_site(tmp_path / "site", "fr", {"i18n/fr.yaml": '"Search": "Chercher"\n"Home": [\n'})
    _, diagnostics = load_messages(site, load_config(site))
    assert len(diagnostics) == 1 and str(diagnostics[0]).startswith("i18n/fr.yaml:3: error: invalid YAML: ")


def test_site_english_file_adds_messages_for_its_own_templates(tmp_path):
    site = make_site(tmp_path / "site", "de", {
        "i18n/en.yaml": '"Weather": "Weather"\n',
        "i18n/de.yaml": '"Weather": "Wetter"\n',
        "templates/day.html": '{% extends "base.html" %}{% block content %}<p id="w">{{ _("Weather") }}</p>{% endblock %}',
    })
    result = build(site, site / "public")
    assert result.diagnostics == ()
    assert text(page(site / "public", "2024/07/04").xpath("//p[@id='w']")[0]) == "Wetter"


def test_unknown_message_in_a_template_points_at_its_line(tmp_path):
    site = make_site(tmp_path / "site", "de", {
        "templates/day.html": '{% extends "base.html" %}\n{% block content %}\n{{ _("Nope") }}\n{% endblock %}'})
    with pytest.raises(TemplateFailure) as caught:
        build(site, site / "public")
    assert str(caught.value).startswith("templates/day.html:3: error: KeyError while rendering /2024/07/04/: "
                                        "\"no message 'Nope' in the catalogue")


def test_serve_rebuilds_after_a_change_to_the_sites_catalogues(tmp_path):
    site = tmp_path / "site"
    assert is_relevant(str(site / "i18n" / "de.yaml"), site, site / "public")
    assert is_relevant(str(site / "i18n"), site, site / "public")


def test_language_babel_does_not_know_is_a_config_error(tmp_path):
    site = write_files(tmp_path / "site", {"sitegen.yaml": "title: T\nlanguage: xx-YY\n"})
    with pytest.raises(ConfigError) as caught:
        load_config(site)
    assert [str(d) for d in caught.value.diagnostics] == [
        "sitegen.yaml:2: error: unknown language 'xx-YY' (use a BCP 47 tag like 'en', 'en-GB', 'de' or 'pt-BR')"]


# -- the catalogues are the one list of interface strings -------------------------------------------

def used_message_ids() -> set[str]:
    ids: set[str] = set()
    for path in [*(ROOT / "templates").rglob("*.html")]:
        source = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'_\(\s*"([^"]*)"', source))
        ids |= set(re.findall(r'"(\{count\} [^"]*)"', source))  # ids handed to partials (count_message)
    for path in (ROOT / "sitegen").rglob("*.py"):
        ids |= set(re.findall(r'self\.t\(\s*"([^"]*)"', path.read_text(encoding="utf-8")))
    for table in (plan_module.KIND_LABELS, plan_module.KIND_LABEL, plan_module.KIND_DESCRIPTIONS):
        ids |= set(table.values())
    return ids


def test_every_message_used_is_in_the_english_catalogue():
    used = used_message_ids()
    assert len(used) > 100
    assert sorted(used - set(shipped_catalogue("en"))) == []
    assert sorted(set(shipped_catalogue("en")) - used) == []  # and no message is left unused


@pytest.mark.parametrize("language", sorted(p.stem for p in LOCALES.glob("*.yaml") if p.stem != "en"))
def test_every_catalogue_has_every_message_with_english_placeholders(language):
    english, translated = shipped_catalogue("en"), shipped_catalogue(language)
    assert sorted(set(english) ^ set(translated)) == []
    for msgid, value in translated.items():
        forms = [value] if isinstance(value, str) else list(value.values())
        for form in forms:
            assert set(re.findall(r"\{(\w+)\}", form)) <= set(re.findall(r"\{(\w+)\}", str(english[msgid]))), msgid
            assert "'" not in form, f"{language}: {msgid}: use ’ (an apostrophe would be escaped as &#39;)"


# -- helpers ------------------------------------------------------------------------------------

def messages(language: str) -> Messages:
    return load_messages(None, Config(language=language))[0]


def test_month_names_take_the_grammatical_case_of_their_place():
    polish = messages("pl")
    day = date(2024, 7, 4)
    assert polish.date(day) == "4 lipca 2024"                  # genitive inside a date
    assert polish.date(day, "month") == "lipiec"               # nominative alone (breadcrumbs)
    assert polish.date(day, "day_month") == "lipca"
    assert polish.month_year(2024, 7) == "lipiec 2024"
    assert messages("ru").date(day) == "4 июля 2024\u202fг."
    assert messages("ru").month_names()[6] == "июль"
    assert messages("el").date(day) == "4 Ιουλίου 2024"
    assert messages("el").month_names()[6] == "Ιούλιος"


def test_date_formats():
    german = messages("de")
    moment = datetime(2024, 7, 4, 23, 30, tzinfo=timezone.utc)
    assert german.date(moment, "medium", CEST) == "5. Juli 2024"  # shown in the site's zone
    assert german.date(moment, "long", CEST) == "5. Juli 2024, 01:30 UTC+02:00"
    assert german.date(moment, "long") == "4. Juli 2024, 23:30 UTC+00:00"
    assert german.date(moment, "%Y-%m-%d", CEST) == "2024-07-05"
    assert messages("en-GB").date(moment, "long") == "4 July 2024, 23:30 UTC+00:00"
    assert messages("fr").month_names("abbreviated")[:2] == ["janv.", "févr."]


def test_weekdays_start_on_the_locales_first_day():
    assert messages("de").weekdays()[0] == "Mo" and messages("de").first_weekday == 0
    assert messages("en-US").weekdays()[0] == "Sun" and messages("en-US").first_weekday == 6
    assert messages("ar-EG").first_weekday == 5  # Saturday


def test_plural_forms_follow_cldr_rules():
    polish = Messages("pl", {"{count} files": {"one": "{count} plik", "few": "{count} pliki",
                                                "many": "{count} plików", "other": "{count} pliku"}})
    assert [polish("{count} files", count=n) for n in (1, 3, 5, 22, 1000)] == [
        "1 plik", "3 pliki", "5 plików", "22 pliki", "1\xa0000 plików"]
    french = messages("fr")
    assert french("{count} articles", count=0) == "0 article"  # French counts 0 as singular
    assert french("{count} articles", count=1234) == "1\u202f234 articles"
    assert messages("de")("{count} articles", count=1234) == "1.234 Artikel"
    assert messages("en")("{count} articles", count=1) == "1 article"


def test_markup_escapes_values_but_keeps_markup():
    english = messages("en")
    assert english.markup("Related to: {title}", title="<b>&") == Markup("Related to: &lt;b&gt;&amp;")
    assert english.markup("Related to: {title}", title=Markup("<a>x</a>")) == Markup("Related to: <a>x</a>")
    assert english.join(["A", Markup("<a>B</a>"), "C & D"]) == Markup("A, B, and C &amp; D".replace("B", "<a>B</a>"))
    assert messages("en-GB").join(["A", "B", "C"]) == "A, B and C"


def test_a_missing_message_or_count_is_an_error_not_a_blank():
    english = messages("en")
    with pytest.raises(KeyError, match="no message 'Nope' in the catalogue"):
        english("Nope")
    with pytest.raises(TypeError, match="needs count="):
        english("{count} articles")


def test_messages_kept_by_their_arguments_tell_markup_from_text(tmp_path):
    from markupsafe import Markup

    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache
    from sitegen.config import load_config
    from sitegen.render import Renderer

    (tmp_path / "content").mkdir()
    config = load_config(tmp_path)
    planned = plan_build(tmp_path, config, drafts=False, cache=ArticleCache(tmp_path, config, enabled=False))
    renderer = Renderer(tmp_path, config, planned.plan, planned.build_time, {}, planned.messages)
    assert renderer.message("Source: {source}", source="<b>AFP</b>") == "Source: &lt;b&gt;AFP&lt;/b&gt;"
    assert renderer.message("Source: {source}", source=Markup("<b>AFP</b>")) == "Source: <b>AFP</b>"
    assert renderer.message("Source: {source}", source="<b>AFP</b>") == "Source: &lt;b&gt;AFP&lt;/b&gt;"
    assert renderer.message("{count} min read", count=4) == "4 min read"
    assert renderer.message("{count} min read", count=1) == "1 min read"


def test_cached_partials_are_kept_by_their_values_and_tell_markup_from_text(tmp_path):
    """``cached(name, **values)`` renders a partial once per set of values (lists as tuples):
    different values, or markup and text that read alike, are rendered apart."""
    from markupsafe import Markup

    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache
    from sitegen.config import load_config
    from sitegen.render import Renderer

    (tmp_path / "content").mkdir()
    (tmp_path / "templates/partials").mkdir(parents=True)
    (tmp_path / "templates/partials/probe.html").write_text("<p>{{ label }}: {{ items|join(', ') }}</p>\n")
    config = load_config(tmp_path)
    planned = plan_build(tmp_path, config, drafts=False, cache=ArticleCache(tmp_path, config, enabled=False))
    renderer = Renderer(tmp_path, config, planned.plan, planned.build_time, {}, planned.messages)
    first = renderer.cached("partials/probe.html", label="<b>A</b>", items=[1, 2])
    assert first == "<p>&lt;b&gt;A&lt;/b&gt;: 1, 2</p>"
    assert renderer.cached("partials/probe.html", label="<b>A</b>", items=[1, 2]) is first  # kept
    assert renderer.cached("partials/probe.html", label=Markup("<b>A</b>"), items=[1, 2]) == "<p><b>A</b>: 1, 2</p>"
    assert renderer.cached("partials/probe.html", label="<b>A</b>", items=[1, 3]) == "<p>&lt;b&gt;A&lt;/b&gt;: 1, 3</p>"
    assert renderer.cached("partials/probe.html", label="A", items={"x": 1}) == "<p>A: x</p>"  # no key: made each time
