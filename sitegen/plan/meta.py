"""schema.org structured data (JSON-LD) for pages: ``NewsArticle``, ``BreadcrumbList``,
``WebSite``. Plain dicts with absolute URLs; the plan keeps them written out (``script_json``),
which the template's ``jsonld`` filter puts into a ``<script>`` element as they are: one
string per page instead of nested dicts, for 30,000 pages at 10,000 articles."""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

from sitegen.config import Config
from sitegen.model import Article

CONTEXT = "https://schema.org"


class ScriptJson(str):
    """JSON written for inside a ``<script>`` element (see ``script_json``)."""


def script_json(value: Any) -> ScriptJson:
    """JSON for inside a ``<script>`` element: ``<``, ``>`` and ``&`` written as ``\\u003c`` and so on,
    so no string in it (a title with ``</script>`` or ``<!--``) can end the element or open a comment."""
    if isinstance(value, ScriptJson):
        return value
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return ScriptJson(text)


def news_article(article: Article, url: str, config: Config, section: str = "",
                 author_url: Callable[[str], str | None] = lambda name: None) -> dict[str, Any]:
    """The NewsArticle of an article page; ``url`` is its site path."""
    zone = config.zone
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "NewsArticle",
        "headline": article.title,
        "url": config.absolute_url(url),
        "mainEntityOfPage": {"@type": "WebPage", "@id": config.absolute_url(url)},
        "datePublished": article.date.astimezone(zone).isoformat(),
        "dateModified": (article.updated or article.date).astimezone(zone).isoformat(),
    }
    if article.summary:
        data["description"] = article.summary
    if article.authors:
        data["author"] = [_person(name, author_url(name), config) for name in article.authors]
    elif article.source:
        data["author"] = [{"@type": "Organization", "name": article.source}]
    data["publisher"] = {"@type": "Organization", "name": config.title, "url": config.root_url}
    if article.image and article.image.src:
        data["image"] = [config.absolute_url(article.image.src)]
    if section or article.section:
        data["articleSection"] = section or article.section
    if article.tags:
        data["keywords"] = list(article.tags)
    data["inLanguage"] = config.language
    return data


def _person(name: str, url: str | None, config: Config) -> dict[str, str]:
    person = {"@type": "Person", "name": name}
    if url:
        person["url"] = config.absolute_url(url)
    return person


def breadcrumb_list(trail: Sequence[tuple[str, str]], config: Config) -> dict[str, Any]:
    """A BreadcrumbList of (name, site path) from the home page down to the page itself."""
    return {
        "@context": CONTEXT,
        "@type": "BreadcrumbList",
        "itemListElement": [{"@type": "ListItem", "position": n, "name": name, "item": config.absolute_url(url)}
                            for n, (name, url) in enumerate(trail, 1)],
    }


def website(config: Config, search_url: str | None) -> dict[str, Any]:
    """The WebSite of the home page, with a SearchAction when the site has search."""
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "WebSite", "name": config.title, "url": config.root_url}
    if config.description:
        data["description"] = config.description
    data["inLanguage"] = config.language
    if search_url:
        data["potentialAction"] = {"@type": "SearchAction",
                                   "target": {"@type": "EntryPoint",
                                              "urlTemplate": config.absolute_url(search_url) + "?q={search_term_string}"},
                                   "query-input": "required name=search_term_string"}
    return data
