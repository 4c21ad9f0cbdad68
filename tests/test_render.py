"""The renderer's shortcuts through Jinja (escaping, calls of its own functions) give what Jinja gives."""

from __future__ import annotations

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
