"""schema.org structured data (JSON-LD) for pages: ``NewsArticle``, ``BreadcrumbList``,
``WebSite``. Plain dicts with absolute URLs, put into a ``<script>`` element by the template's
``jsonld`` filter. The plan keeps only what a page's data is made from (``Breadcrumbs``,
``NewsArticleData``), written out when the page is rendered: a rebuild renders a few pages of
thousands, and page keys digest these few fields instead of the JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import orjson

from sitegen.config import Config
from sitegen.model import Article, slugify
from sitegen.plan.urls import Urls

CONTEXT = "https://schema.org"


def script_json(value: Any) -> str:
    """JSON for inside a ``<script>`` element: ``<``, ``>`` and ``&`` written as ``\\u003c`` and so on,
    so no string in it (a title with ``</script>`` or ``<!--``) can end the element or open a comment."""
    # orjson writes the text of json's compact form (1.3 against 7 µs a NewsArticle); NaN as null
    # (json wrote NaN, which is not JSON), and a date or dataclass a template passes as RFC 3339 text
    # or an object (json raised).
    try:
        text = orjson.dumps(value).decode("utf-8")
    except TypeError:  # what orjson refuses and json writes: a lone surrogate, a number key, an integer beyond 64 bits
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


@dataclass(frozen=True, slots=True)
class Breadcrumbs:
    """A page's BreadcrumbList, made when the page is rendered: (name, site path) from home down."""

    trail: tuple[tuple[str, str], ...]

    def data(self, config: Config, urls: Urls) -> dict[str, Any]:
        return breadcrumb_list(self.trail, config)


@dataclass(frozen=True, slots=True)
class NewsArticleData:
    """An article page's NewsArticle, made when the page is rendered."""

    article: Article
    url: str
    section: str

    def data(self, config: Config, urls: Urls) -> dict[str, Any]:
        return news_article(self.article, self.url, config, self.section,
                            lambda name: urls.term("author", slugify(name)))


Deferred = Breadcrumbs | NewsArticleData


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
