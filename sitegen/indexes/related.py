"""Explicit related references: front matter ``related:`` (slug, title or path) and the
scrape format's ``Related…`` lines (title), resolved to articles.

An unresolved reference stays as text (never a broken link) and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitegen.errors import Diagnostic, warning
from sitegen.model import Article, slugify, title_key


@dataclass(frozen=True, slots=True)
class RelatedItem:
    article: Article | None  # None: the reference names no article of the site
    text: str


def resolve_explicit(articles: tuple[Article, ...], content_dir: str = "content",
                     hidden: tuple[Article, ...] = ()) -> tuple[dict[str, tuple[RelatedItem, ...]], list[Diagnostic]]:
    """``hidden`` articles (scheduled for later, expired) resolve but are left out, without a warning.
    An archive without references makes no lookup tables: folding every title took 1.4 s of each
    build at 100,000 articles."""
    if not any(article.related for article in articles):
        return {}, []
    hidden_paths = {a.path for a in hidden}
    articles_and_hidden = (*articles, *hidden)
    by_slug = {a.slug: a for a in articles_and_hidden}
    by_title: dict[str, Article] = {}
    prefix = content_dir.strip("/") + "/"
    by_path: dict[str, Article] = {}
    # the oldest of equal titles wins, a shown one before a hidden one
    for a in sorted(articles_and_hidden, key=lambda a: (a.path in hidden_paths, a.date, a.path)):
        by_title.setdefault(title_key(a.title), a)
        by_path[a.path] = a
        if a.path.startswith(prefix):
            by_path[a.path[len(prefix):]] = a  # also relative to the content folder
    diagnostics: list[Diagnostic] = []
    result: dict[str, tuple[RelatedItem, ...]] = {}
    for article in articles:
        items: list[RelatedItem] = []
        seen = {article.path}
        for ref in article.related:
            text = ref.text.strip()
            target = (by_slug.get(text) or by_path.get(text.lstrip("/")) or by_title.get(title_key(text))
                      or by_slug.get(slugify(text)))
            if target is None:
                diagnostics.append(warning(article.path, ref.line, f"related article not found: {text!r}"))
                items.append(RelatedItem(None, text))
            elif target.path not in seen and target.path not in hidden_paths:
                seen.add(target.path)
                items.append(RelatedItem(target, target.title))
        if items:
            result[article.path] = tuple(items)
    return result, diagnostics
