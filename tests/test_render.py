"""The renderer's shortcuts through Jinja (escaping, calls of its own functions) give what Jinja gives."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import lxml.html
import markupsafe
import pytest
from markupsafe import Markup

from conftest import article_md
from sitegen.build import build
from sitegen.render import _escape


class Shown:
    def __html__(self) -> str:
        return "<em>shown</em>"

    def __str__(self) -> str:
        return "<str>"


class Text(str):
    pass


@pytest.mark.parametrize("value", [
    "", "plain words", "Tom & Jerry <b>'quoted' \"twice\"</b>", "ünïcødé → ‘curly’ <",
    Markup("<b>kept</b>"), Markup(""), 7, 3.5, None, True, Shown(), Text("<sub>class</sub>"),
])
def test_escape_gives_markupsafe_s_bytes_and_type(value):
    ours, theirs = _escape(value), markupsafe.escape(value)
    assert type(ours) is Markup and type(theirs) is Markup
    assert str(ours) == str(theirs)


def test_site_templates_keep_jinja_s_calls_context_functions_and_escaping(site):
    """Jinja's own callables (macros with caller, namespace, cycler, loop.cycle, self's blocks) go
    through Jinja's call; the renderer's (url_for, _) through the shortcut; values are escaped
    either way."""
    root = site({
        "sitegen.yaml": "title: Escapes\nbase_url: https://example.org/news/\nsearch: false\n",
        "content/a.md": article_md("Fish <&> chips", "2024-03-01T10:00:00Z", tags="[Food]"),
        "templates/article.html": """\
            {% extends "base.html" %}
            {% macro boxed(label) %}<div class="box" data-label="{{ label }}">{{ caller() }}</div>{% endmacro %}
            {% block content %}
            {% set ns = namespace(count=0) %}
            {% set odd = cycler("odd", "even") %}
            {% call boxed(article.title) %}<h1>{{ article.title }}</h1>{% endcall %}
            <ul id="tags">
            {% for tag in tag_terms %}{% set ns.count = ns.count + 1 %}
            <li class="{{ odd.next() }} {{ loop.cycle('a', 'b') }}"><a href="{{ url_for(tag) }}">{{ tag.name }}</a></li>
            {% endfor %}
            </ul>
            <p id="count">{{ ns.count }} {{ _("{count} min read", count=article.reading_time) }}</p>
            <p id="self">{{ self.body_class() }}</p>
            <p id="dates">{{ article.date|isodate }} {{ article.date.date()|isodate }} {{ article.date|date('%H:%M') }} {{ article.date.date()|date('%H:%M') }} {{ article.date|isodate }}</p>
            {% endblock %}
            """,
    })
    result = build(root, root / "public")
    assert result.errors == 0, result.diagnostics
    doc = lxml.html.parse(str(root / "public/2024/03/01/fish-chips/index.html")).getroot()
    box = doc.find(".//div[@class='box']")
    assert box.get("data-label") == "Fish <&> chips"
    assert box.findtext("h1") == "Fish <&> chips"
    link = doc.find(".//ul[@id='tags']/li/a")
    assert link.get("href") == "/news/tags/food/" and link.text == "Food"
    assert link.getparent().get("class") == "odd a"
    assert doc.findtext(".//p[@id='count']") == "1 1 min read"
    assert doc.findtext(".//p[@id='self']") == "page"
    # dates are kept by type and value: a day is not the datetime of its midnight
    assert doc.findtext(".//p[@id='dates']").split() == [
        "2024-03-01T10:00:00+00:00", "2024-03-01", "10:00", "00:00", "2024-03-01T10:00:00+00:00"]  # the block as this template has it: base.html's


class Unhashable:
    """A callable object that cannot be hashed (it defines __eq__ alone)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)

    def __call__(self, value: object) -> str:
        return f"unhashable({value})"


CALLS = """\
{%- macro twice(x) %}{{ plain(x) }}{{ plain(x) }}{% endmacro -%}
{%- set own = plain -%}
<p>{{ plain("a") }} {{ plain(value, suffix="!") }} {{ own("b") }} {{ twice("c") }}</p>
<p>{{ needs_context("d") }} {{ other("e") }} {{ odd(7) }} {{ plain(*["f"]) }} {{ plain("g", **{"suffix": "?"}) }}</p>
<p>{{ keyword(class="h") }} {{ stops() is undefined }}</p>
{%- for item in items %}<i>{{ plain(item) }} {{ needs_context(item) }} {{ loop.cycle("x", "y") }}</i>{% endfor -%}
{% block inner %}<b>{{ plain(value) }} {{ needs_context(value) }}</b>{% endblock %}
"""


def test_calls_of_plain_functions_give_what_jinja_s_calls_give(tmp_path):
    """The renderer's environment compiles a call of a name to call a plain function (one of
    ``plain_ids``) itself and anything else through the context, as Jinja does: in macros, loops
    and blocks, with a function bound to another name, with * and ** arguments, Python keywords,
    context functions, unhashable callables and a callable that stops an iteration; an
    undefined name still fails as it does in Jinja."""
    import jinja2

    from sitegen.render import _environment

    (tmp_path / "calls.html").write_text(CALLS, encoding="utf-8")
    (tmp_path / "missing.html").write_text("{{ nowhere(1) }}", encoding="utf-8")
    calls: list[str] = []

    def plain(value: object, suffix: str = "") -> str:
        calls.append(sys._getframe(1).f_code.co_name)  # the template's own code, or Context.call
        return f"<{value}{suffix}>"

    @jinja2.pass_context
    def needs_context(context: jinja2.runtime.Context, value: object) -> str:
        return f"{value}@{context['value']}"

    def stops() -> str:
        raise StopIteration

    values = {"plain": plain, "needs_context": needs_context, "other": str.upper, "odd": Unhashable(),
              "keyword": lambda **kw: kw["class"], "stops": stops, "value": "v & w", "items": [1, 2]}
    ours = _environment((tmp_path,), None)
    ours.globals.update(values)
    ours.plain_calls = frozenset((plain,))
    ours.plain_ids = frozenset((id(plain),))
    jinjas = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), autoescape=True, undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    jinjas.globals.update(values)
    source = ours.compile(CALLS, "calls.html", raw=True)
    assert re.search(r"\((t_\d+)\(.*\) if id\(\1 := .*l_0_plain.*\) in environment.plain_ids else context.call\(\1, ", source)
    made = ours.get_template("calls.html").render()
    direct = calls[:]
    assert made == jinjas.get_template("calls.html").render()
    assert "&lt;v &amp; w!&gt;" in made and "unhashable(7)" in made and "<i>&lt;1&gt; 1@v &amp; w x</i>" in made
    assert calls[len(direct):] == ["call"] * 10  # every call of plain through Jinja's Context.call …
    assert len(direct) == 10 and direct.count("call") == 2  # … and ours directly, but for f(*args) and f(**kwargs)
    with pytest.raises(jinja2.UndefinedError):
        ours.get_template("missing.html").render()


class Holder:
    """An object whose attributes templates read: text, markup, numbers, None, a property."""

    def __init__(self) -> None:
        self.text, self.markup, self.number, self.nothing = "a < b & 'c'", Markup("<b>bold</b>"), 7, None
        self.sub = Text("<sub>class</sub>")

    @property
    def shown(self) -> Shown:
        return Shown()


READS = """\
<p>{{ holder.text }} {{ holder.markup }} {{ holder.number }} {{ holder.nothing }} {{ holder.sub }} {{ holder.shown }}</p>
<p>{{ mapping.key }} {{ mapping["key"] }} {{ holder.missing is defined }} {{ mapping.missing is defined }} {{ holder.text.upper() }}</p>
<p>{{ "<lit>" }} {{ holder.text ~ "<" }} {{ (holder.text ~ "<")|safe }} {{ holder.number + 1 }} {{ [holder.text]|join(", ") }}</p>
{% set kept %}{{ holder.text }}{% endset %}<p>{{ kept }} {{ kept|length }}</p>
{% for item in items %}<i>{{ loop.index }} {{ item.text }}</i>{% endfor %}
{% autoescape false %}<p>{{ holder.text }} {{ holder.markup }}</p>{% endautoescape %}
"""


def test_reads_and_outputs_give_what_jinja_s_give(tmp_path):
    """The renderer's environment reads ``x.name`` by Python's getattr in line and escapes a
    string output in line: the same bytes as Jinja's for attributes of every kind, items of a
    mapping, missing names, blocks kept by ``set`` and text without escaping."""
    import jinja2

    from sitegen.render import _environment

    (tmp_path / "reads.html").write_text(READS, encoding="utf-8")
    (tmp_path / "missing.html").write_text("{{ holder.missing }}", encoding="utf-8")
    values = {"holder": Holder(), "mapping": {"key": "<v>"}, "items": [Holder(), Holder()]}
    ours = _environment((tmp_path,), None)
    jinjas = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), autoescape=True, undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    source = ours.compile(READS, "reads.html", raw=True)
    assert "environment.getattr(l_0_holder" not in source  # read in line
    made = ours.get_template("reads.html").render(values)
    assert made == jinjas.get_template("reads.html").render(values)
    assert "a &lt; b &amp; &#39;c&#39; <b>bold</b> 7 None &lt;sub&gt;class&lt;/sub&gt; <em>shown</em>" in made
    with pytest.raises(jinja2.UndefinedError):
        ours.get_template("missing.html").render(values)


def test_templates_compiled_ahead_are_what_the_render_loads(site, tmp_path):
    """compile_templates compiles each template (the site's over the theme's) as a Renderer's
    environment does: a build then loads every one it uses from the cache, writing none, and
    makes the same bytes as a build that compiles them itself. One that does not compile is left
    out (the render reports it where it is used)."""
    import jinja2

    from sitegen.build import plan_build
    from sitegen.cache import CACHE_DIR, ArticleCache
    from sitegen.config import load_config
    from sitegen.render import FILTERS, Renderer, compile_templates
    from sitegen.themes import TEMPLATE_SUFFIXES, template_folders

    root = site({
        "sitegen.yaml": "title: Ahead\nbase_url: https://example.org/\nsearch: false\n",
        "content/a.md": article_md("First", "2024-03-01T10:00:00Z", tags="[Food, Rain]"),
        "content/b.md": article_md("Second", "2024-03-02T10:00:00Z", tags="[Food]"),
        "templates/listing.html": '{% extends "base.html" %}{% block content %}<p id="own">{{ heading }} {{ 3|number }}</p>{% endblock %}\n',
        "templates/unused.html": "{% if %}broken{% endif %}\n",
    })
    config = load_config(root)
    planned = plan_build(root, config, drafts=False, cache=ArticleCache(root, config, enabled=False))
    renderer = Renderer(root, config, planned.plan, planned.build_time, {}, planned.messages)
    assert set(renderer.env.filters) - set(jinja2.Environment().filters) == set(FILTERS)

    names = {path.relative_to(folder).as_posix() for folder in template_folders(root) for path in folder.rglob("*")
             if path.name.endswith(TEMPLATE_SUFFIXES)}
    compiled = root / CACHE_DIR
    assert compile_templates(template_folders(root), compiled) == len(names) - 1  # all but unused.html
    made = {path: path.stat().st_mtime_ns for path in compiled.glob("templates-*/*.cache")}
    assert len(made) == len(names) - 1

    ahead = build(root, root / "public")
    assert ahead.errors == 0, ahead.diagnostics
    assert {path: path.stat().st_mtime_ns for path in compiled.glob("templates-*/*.cache")} == made
    doc = lxml.html.parse(str(root / "public/tags/food/index.html")).getroot()
    assert doc.findtext(".//p[@id='own']") == "Food 3"

    itself = build(root, tmp_path / "itself", cache=False)  # (no compiled cache: each template compiled now)
    assert itself.errors == 0
    assert_same_files(root / "public", tmp_path / "itself")


def test_the_build_s_child_compiles_templates_ahead_for_a_large_cold_build_only(site, tmp_path, monkeypatch):
    """build.warm_templates (run in a child, as the build runs it: it lowers its own priority)
    compiles when the content holds WARM_FROM articles or more and no compiled code is newer
    than every template; a build whose child compiled (or was ended before it had) makes the
    same bytes as one that compiled nothing ahead."""
    import os
    import shutil

    import sitegen.build
    from sitegen.build import warm_templates
    from sitegen.cache import CACHE_DIR
    from sitegen.forked import Forked
    from sitegen.themes import template_files

    root = site({
        "sitegen.yaml": "title: Ahead\nbase_url: https://example.org/\nsearch: false\n",
        **{f"content/{i}.md": article_md(f"Story {i}", f"2024-03-0{i}T10:00:00Z") for i in range(1, 4)},
        "content/notes.txt.bak": "not an article",
    })
    compiled, content = root / CACHE_DIR, root / "content"

    def warm() -> int:
        return Forked(warm_templates, root, compiled, content).result()

    theme = len(template_files(root))
    assert warm() == 0 and not compiled.exists()  # 3 articles, fewer than WARM_FROM
    monkeypatch.setattr(sitegen.build, "WARM_FROM", 3)  # (the forked child has it too)
    assert warm() == theme
    assert len(list(compiled.glob("templates-*/*.cache"))) == theme
    assert warm() == 0  # compiled already
    extra = root / "templates/extra.html"
    extra.parent.mkdir()
    extra.write_text("<p>{{ 1|number }}</p>\n")
    later = max(path.stat().st_mtime_ns for path in compiled.glob("templates-*/*.cache")) + 10**9
    os.utime(extra, ns=(later, later))
    assert warm() == theme + 1  # a template newer than the compiled code: all compiled again

    shutil.rmtree(compiled)
    assert build(root, root / "public").errors == 0  # its child compiles ahead, or is ended first
    assert build(root, tmp_path / "itself", cache=False).errors == 0
    assert_same_files(root / "public", tmp_path / "itself")


def assert_same_files(built: Path, other: Path) -> None:
    """Each file of ``built`` has the same bytes in ``other``."""
    for path in built.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (other / path.relative_to(built)).read_bytes(), path


def _archive(n: int) -> dict[str, str]:
    """``n`` articles, a day apart, in three sections, each with two of eight tags and one of five authors."""
    files = {"sitegen.yaml": "title: Rows\nbase_url: https://example.org/\npage_size: 5\nsearch: false\n"}
    for i in range(n):
        day = f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}"
        files[f"content/a{i:03d}.md"] = article_md(
            f"Article number {i}", day, section=("World", "Business", "Science")[i % 3],
            tags=f"[t{i % 8}, t{(i * 3 + 1) % 8}]", authors=f"[Writer {i % 5}]")
    return files


def test_listings_render_in_order_of_their_newest_article_after_the_other_pages(site):
    """render_order: every page once; the pages that show articles after the rest (which keep the
    plan's order), by their newest article, whatever list they are of."""
    from sitegen.build import plan_build
    from sitegen.cache import ArticleCache
    from sitegen.config import load_config
    from sitegen.render import render_order

    folder = site(_archive(40))
    config = load_config(folder)
    plan = plan_build(folder, config, drafts=False, cache=ArticleCache(folder, config, enabled=False)).plan
    ordered = render_order(plan.pages)
    assert sorted(map(id, ordered)) == sorted(map(id, plan.pages))
    shows = [bool(page.context.get("articles")) and page.produce is None for page in ordered]
    first = shows.index(True)
    assert not any(shows[:first]) and all(shows[first:])
    front = set(map(id, ordered[:first]))
    assert list(map(id, ordered[:first])) == [id(p) for p in plan.pages if id(p) in front]
    newest = [page.context["articles"][0].sort_key for page in ordered[first:]]
    assert newest == sorted(newest)
    kinds = {page.template for page in ordered[first:first + 12]}
    assert {"listing.html", "month.html"} <= kinds  # lists of every kind side by side, not list after list


def test_a_listing_row_is_rendered_about_once_though_fewer_rows_are_kept_than_the_archive_has(site, monkeypatch):
    """Each article is listed on a dozen pages (home, section, tags, author, month, year). With
    fewer rows kept than the archive has (as at 100,000 articles), rendering the listings by their
    newest article asks for each row again while it is still kept; list after list, every list
    rendered its rows again (2.5 times as many renders here)."""
    import sitegen.render as render

    monkeypatch.setattr(render, "ROWS_KEPT", 80)  # of 360 rows
    rendered: list[tuple] = []
    partial = render.Renderer._partial

    def counted(self, name, values):
        if name == "partials/article_row.html":
            rendered.append((values["row"].path, values["row_level"], values["show_section"]))
        return partial(self, name, values)

    monkeypatch.setattr(render.Renderer, "_partial", counted)
    folder = site(_archive(120))
    result = build(folder, folder / "public", jobs=1, cache=False)
    assert result.errors == 0
    distinct = len(set(rendered))
    assert distinct >= 2 * 120  # (a section's listing shows no section, a month's rows are a level lower)
    assert len(rendered) <= 1.4 * distinct, (len(rendered), distinct)  # 438 of 360; list after list 889
