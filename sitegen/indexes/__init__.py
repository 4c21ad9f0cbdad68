"""Indexes over the whole archive, each built in one pass into plain mappings:
dates, terms (sections, tags, authors, sources), related articles and stories."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.cache import ResultCache
from sitegen.config import Config
from sitegen.errors import Diagnostic
from sitegen.indexes.dates import DateIndex, build_dates
from sitegen.indexes.related import RelatedItem, resolve_explicit
from sitegen.indexes.lazy import np
from sitegen.indexes.repair import edited_before, repaired
from sitegen.indexes.similar import Match, Pairing, RelatedLists, Vectors, body_groups, pair_up, row_ids, term_vectors
from sitegen.digests import content_digest
from sitegen.indexes.words import WordCounts, count_words, counts_key, field_weights, weighed_digest
from sitegen.indexes.stories import Story, build_stories
from sitegen.indexes.terms import KINDS, Term, build_terms
from sitegen.indexes import (csr as csr_module, repair as repair_module, similar as similar_module,
                             stories as stories_module, words as words_module)
from sitegen.model import Article


@dataclass(frozen=True, slots=True)
class Indexes:
    articles: tuple[Article, ...]                      # newest first
    related: dict[str, tuple[RelatedItem, ...]]        # article path -> explicit related items
    dates: DateIndex
    terms: dict[str, dict[str, Term]]                  # kind -> slug -> term, by name
    similar: RelatedLists                              # article path -> computed related, best first
    stories: tuple[Story, ...]
    story_of: dict[str, Story]                         # article path -> its story


def build_indexes(articles: tuple[Article, ...], config: Config | None = None,
                  hidden: tuple[Article, ...] = (), results: ResultCache | None = None,
                  bodies: BodyStore = NO_BODIES) -> tuple[Indexes, list[Diagnostic]]:
    """``hidden``: articles not on the site now (scheduled, expired) that references may name;
    ``results`` keeps related articles and stories for the next build with the same input;
    ``bodies`` holds the bodies articles do not."""
    config = config or Config()
    related, diagnostics = resolve_explicit(articles, config.content_dir, hidden)
    similar, stories = _similar_and_stories(articles, config, results, bodies)
    story_of = {article.path: story for story in stories for article in story.articles}
    terms = {kind: build_terms(articles, kind) for kind in KINDS}
    indexes = Indexes(articles, related, build_dates(articles, config.zone), terms, similar, stories, story_of)
    return indexes, diagnostics


def _similar_and_stories(articles: tuple[Article, ...], config: Config, results: ResultCache | None,
                         bodies: BodyStore) -> tuple[RelatedLists, tuple[Story, ...]]:
    """Computed related articles and stories: the costliest index (seconds at 10,000 articles), so
    kept between builds by a digest of everything they read. An edit to a field that is weighed
    changes some of them: each article's counted words are kept, so only the edited ones are
    counted again, and the last build's pairing, so only the lists the edit can reach are
    computed again (repair.py). An edit to a field weighed 0 (a body, when lists go by tags as
    Hugo's and Pelican's do) keeps them whole."""
    # Without related pages only the article pages' few are shown; without story pages no story is.
    shown = None if config.pages.related or config.pages.stories else config.related.count
    arts = sorted(articles, key=lambda a: a.sort_key)
    digests = [content_digest(a) for a in arts]
    if results is None:
        counts, _ = _counts(arts, config, digests, None, bodies)
        similar, _ = pair_up(articles, config.related, kept=shown, vectors=_vectors(counts, config))
        return similar, _stories(articles, similar, config)
    # Bodies weighed 0 still decide which articles share a body (never related to each other): the
    # groups, not the bodies, are then part of the key, and the groups need the counts.
    counts, before = _counts(arts, config, digests, results, bodies) if config.related.body_weight <= 0 else (None, None)
    every = all(weight > 0 for weight in field_weights(config.related))  # then the weighed digests are these
    rows = row_ids(arts)
    key = _similar_key(rows, digests if every else [weighed_digest(a, config.related) for a in arts], config,
                       None if counts is None else body_groups(counts.bodies))
    kept = results.get("related", key)
    if kept is not None:
        by_path = {a.path: a for a in articles}
        plain_similar, plain_stories = kept
        similar = RelatedLists.restored(arts, plain_similar)
        stories = tuple(Story(slug, title, tuple(by_path[p] for p in paths)) for slug, title, paths in plain_stories)
        return similar, stories
    pairing_key = _pairing_key(config)
    last = results.get("pairing", pairing_key)  # (its rows may be other articles: see repair.py)
    if counts is None:
        counts, before = _counts(arts, config, digests, results, bodies, last, rows)
    listed = config.related.listed if shown is None else min(shown, config.related.listed)
    done = None if counts is None or last is None or before is None else repaired(
        last, arts, rows, counts, before, config.related, listed)
    del last, before
    if done is None:
        vectors = _vectors(counts, config)
        del counts  # let go of before pairing: 1.9 GB at a million articles
        done = pair_up(articles, config.related, kept=shown, vectors=vectors, digests=digests)
    similar, pairing = done
    del done
    stories = _stories(articles, similar, config)
    if pairing is not None:
        results.put("pairing", pairing_key, pairing)
    del pairing
    results.put("related", key, (
        similar.state(),
        tuple((s.slug, s.title, tuple(a.path for a in s.articles)) for s in stories)))
    return similar, stories


def _counts(arts: list[Article], config: Config, digests: list[bytes], results: ResultCache | None,
            bodies: BodyStore, last: Pairing | None = None, rows: np.ndarray | None = None
            ) -> tuple[WordCounts | None, WordCounts | None]:
    """The articles' counted words (the last build's kept where the content is the same, and this
    build's kept for the next; None when no article can have related ones), and, for a repair of
    ``last`` (``rows``: the articles' row_ids), the last build's counts of the articles edited
    or removed since (only those: the whole of them held while counting raised the peak memory
    by a sixth)."""
    if config.related.listed <= 0 or len(arts) < 2:
        return None, None
    words_key = counts_key(config.related)
    kept = [results.get("words", words_key) if results else None]
    before = edited_before(last, rows, digests, kept[0]) \
        if last is not None and rows is not None and kept[0] is not None else None
    # popped into the call: count_words lets go of the last build's counts once it has joined them
    counts = count_words(arts, config.related, digests, kept.pop(), bodies)
    if results is not None:
        results.put("words", words_key, counts)
    return counts, before


def _vectors(counts: WordCounts | None, config: Config) -> Vectors | None:
    """The articles' term vectors from their counts; the caller lets go of the counts before pairing."""
    return None if counts is None else term_vectors(counts, config.related)


def _stories(articles: tuple[Article, ...], similar: RelatedLists, config: Config) -> tuple[Story, ...]:
    return build_stories(articles, similar, config.related) if config.pages.stories else ()


def _code(*modules: ModuleType) -> hashlib.blake2b:
    """A digest begun with the source of ``modules``: what a kept result was computed by."""
    h = hashlib.blake2b(digest_size=16)
    for module in modules:
        h.update(Path(module.__file__ or "").read_bytes())
    return h


def _pairing_key(config: Config) -> bytes:
    """What a kept Pairing depends on besides the articles: the code that made it and the settings."""
    h = _code(words_module, csr_module, similar_module, repair_module)
    h.update(repr(config.related).encode("utf-8"))
    return h.digest()


def _similar_key(rows: np.ndarray, weighed: list[bytes], config: Config, groups: np.ndarray | None) -> bytes:
    """A digest of what related articles and stories read: the code, the settings, each article's
    path and date (``rows``: row_ids), title (stories show it) and the fields it is weighed by
    (``weighed``: its weighed_digest); ``groups``, which articles share a body, when bodies are
    weighed 0."""
    h = _code(words_module, csr_module, similar_module, repair_module, stories_module)
    h.update(repr((config.related, config.pages.related, config.pages.stories)).encode("utf-8"))
    h.update(rows.tobytes())
    h.update(b"".join(weighed))
    if groups is not None:
        h.update(groups.astype(np.int64).tobytes())
    return h.digest()


__all__ = ["DateIndex", "Indexes", "Match", "RelatedItem", "Story", "Term", "build_indexes"]
