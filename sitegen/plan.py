"""The page plan: one Page (URL, output path, template, context) per page of the site.

URL and output path come from one compiled permalink pattern, so they cannot disagree;
two pages claiming one path is an error naming both sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from sitegen.config import Config
from sitegen.errors import Diagnostic, error
from sitegen.indexes import Indexes
from sitegen.model import Article, slugify


@dataclass(frozen=True, slots=True)
class Page:
    url: str                 # site URL without the base path: '/2024/07/04/slug/'
    template: str
    title: str
    source: str = ""         # what the page comes from (an article's path), for diagnostics
    description: str = ""
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """The file this page is written to, relative to the output folder."""
        return output_path(self.url)


def output_path(url: str) -> str:
    path = url.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def compile_permalink(pattern: str, config: Config) -> Callable[[Article], str]:
    """Turn '/{year}/{month}/{day}/{slug}/' into a function of an article, once."""
    zone = config.zone
    template = re.sub(r"\{(\w+)\}", r"{\1}", pattern)

    def url(article: Article) -> str:
        local = article.date.astimezone(zone)  # an article's day is its day in the site's zone
        return template.format(year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}",
                               slug=article.slug, section=slugify(article.section) if article.section else "news")

    return url


@dataclass(frozen=True, slots=True)
class Plan:
    pages: tuple[Page, ...]
    urls: dict[str, str]  # article path -> URL


def plan_site(config: Config, indexes: Indexes) -> tuple[Plan, list[Diagnostic]]:
    article_url = compile_permalink(config.permalinks.article, config)
    pages: list[Page] = []
    urls: dict[str, str] = {}
    claimed: dict[str, str] = {}
    diagnostics: list[Diagnostic] = []

    def add(page: Page) -> bool:
        other = claimed.get(page.output)
        if other is not None:
            diagnostics.append(error(page.source or page.url, 1,
                                     f"output path {page.output} is already written by {other or 'the site'}"))
            return False
        claimed[page.output] = page.source
        pages.append(page)
        return True

    add(Page(url="/", template="home.html", title=config.title, description=config.description,
             context={"articles": list(indexes.articles[: config.page_size])}))
    for article in sorted(indexes.articles, key=lambda a: (a.date, a.path)):  # older article keeps a contested path
        page = Page(url=article_url(article), template="article.html", title=f"{article.title} — {config.title}",
                    source=article.path, description=article.summary,
                    context={"article": article, "related": list(indexes.related.get(article.path, ()))})
        if add(page):
            urls[article.path] = page.url
    return Plan(tuple(pages), urls), diagnostics
