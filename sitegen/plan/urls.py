"""The URL scheme, compiled once from the permalink settings.

Every URL here is a site path without the base path ('/tags/china/'); the output
file is the same path plus index.html, so the two can never disagree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Callable

from sitegen.config import Config
from sitegen.model import Article, slugify


def output_path(url: str) -> str:
    path = url.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def compile_permalink(pattern: str, config: Config) -> Callable[[Article], str]:
    """Turn '/{year}/{month}/{day}/{slug}/' into a function of an article, once."""
    zone = config.zone

    def url(article: Article) -> str:
        local = article.date.astimezone(zone)  # an article's day is its day in the site's zone
        return pattern.format(year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}",
                              slug=article.slug, section=slugify(article.section) if article.section else "news")

    return url


class Urls:
    def __init__(self, config: Config):
        self.article = compile_permalink(config.permalinks.article, config)
        self.terms = {kind: getattr(config.permalinks, kind) for kind in ("section", "tag", "author", "source")}

    def term(self, kind: str, slug: str) -> str:
        return self.terms[kind].format(slug=slug)

    def term_index(self, kind: str) -> str:
        return re.sub(r"\{slug\}/$", "", self.terms[kind])

    @staticmethod
    def year(year: int) -> str:
        return f"/{year:04d}/"

    @staticmethod
    def month(year: int, month: int) -> str:
        return f"/{year:04d}/{month:02d}/"

    @staticmethod
    def day(day: date) -> str:
        return f"/{day.year:04d}/{day.month:02d}/{day.day:02d}/"

    archive = "/archive/"
    stories = "/stories/"

    @staticmethod
    def story(slug: str) -> str:
        return f"/stories/{slug}/"

    @staticmethod
    def related(article_url: str) -> str:
        return f"{article_url}related/"
