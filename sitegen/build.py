"""The build, top to bottom: config, load, indexes, plan, render, write (and search)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import time
from datetime import datetime, timezone
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.cache import CACHE_DIR, ArticleCache, ResultCache
from sitegen.config import Config, load_config, with_base_url
from sitegen.errors import BuildError, Diagnostic, sorted_unique
from sitegen.i18n import Messages, load_messages
from sitegen.indexes import Indexes, build_indexes
from sitegen.load import Loaded, fingerprint, load, static_copies
from sitegen.plan import Plan, plan_site
from sitegen.pagekeys import PageKeys, template_salt
from sitegen.render import Renderer, TemplateFailure, theme_dir
from sitegen.schedule import Change, Scheduled, moment, record, schedule
from sitegen.search import article_glob, index_site
from sitegen.write import Written, check_output, prune_manifests, write_site


@dataclass(frozen=True, slots=True)
class BuildResult:
    output: Path
    articles: int
    pages: int
    files: int
    drafts_skipped: int
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    written: bool  # False when --strict refused to swap the new site in
    held_back: int = 0  # articles scheduled for later or expired, left out
    next_change: Change | None = None  # the next publication or expiry after "now"
    rebuild_at: datetime | None = None  # when a watching build should run again (only when "now" is the clock)
    changed: int = 0   # files written because their bytes changed (the rest were left as they were)
    removed: int = 0   # files removed because nothing makes them any more
    rendered: int = 0  # pages rendered; the others' keys showed them unchanged
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds) in order: load, indexes, plan, pages, search

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


class StrictFailure(BuildError):
    def __init__(self, result: BuildResult):
        self.result = result
        super().__init__(f"{result.errors} error(s); --strict leaves {result.output} as it was")


@dataclass(frozen=True, slots=True)
class Planned:
    """Everything up to the page plan: what ``build`` renders and writes, and ``sitegen check`` inspects."""

    loaded: Loaded
    indexes: Indexes
    build_time: datetime
    statics: list[tuple[Path, str]]   # (file, output path) of the theme's and the site's static/
    contents: list[tuple[Path, str]]  # (file, output path) of the non-article files of content/
    plan: Plan
    scheduled: Scheduled
    messages: Messages
    message_problems: tuple[Diagnostic, ...]
    index_problems: tuple[Diagnostic, ...]
    plan_problems: tuple[Diagnostic, ...]
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds): load, indexes, plan
    bodies: BodyStore = NO_BODIES  # the bodies the articles do not hold (see bodies.py)

    @property
    def provided(self) -> frozenset[str]:
        """Output paths of the copied files (no leading '/')."""
        return frozenset(rel for _, rel in self.statics + self.contents)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(sorted_unique([*self.loaded.diagnostics, *self.index_problems, *self.plan_problems,
                                    *self.message_problems]))


def plan_build(site: Path, config: Config, *, drafts: bool, cache: ArticleCache, future: bool = False,
               results: ResultCache | None = None) -> Planned:
    """Load, index and plan the site (reads files, writes nothing but ``results`` and the body store
    of ``cache``; the caller saves ``cache``)."""
    clock = Stopwatch()
    loaded = load(site, config, include_drafts=drafts, cache=cache)
    give_back_memory()
    clock.lap("load")
    # Scheduling, after the cache: the schedule is judged afresh on every build.
    scheduled = schedule(loaded.articles, *moment(config, datetime.now(timezone.utc)), future=future)
    loaded = replace(loaded, articles=scheduled.articles)
    indexes, index_problems = build_indexes(loaded.articles, config, hidden=scheduled.held, results=results,
                                            bodies=cache.bodies)
    give_back_memory()
    clock.lap("indexes")
    newest = max((a.updated or a.date for a in loaded.articles), default=datetime.fromtimestamp(0, timezone.utc))
    build_time = config.resolved_build_time(newest)
    statics = static_copies([theme_dir("static"), site / "static"])
    contents = [(asset.source, asset.site_path.lstrip("/")) for asset in loaded.assets]
    provided = frozenset(rel for _, rel in statics + contents)
    messages, message_problems = load_messages(site, config)
    plan, plan_problems = plan_site(config, indexes, build_time, provided, messages, cache.bodies)
    clock.lap("plan")
    return Planned(loaded, indexes, build_time, statics, contents, plan, scheduled, messages, tuple(message_problems),
                   tuple(index_problems), tuple(plan_problems), clock.laps, cache.bodies)


def give_back_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``) after a stage that
    made and dropped much (parsing, counting words): they would otherwise stay in this process,
    and in every render worker forked from it, until it ends. At 50,000 articles the peak went
    from 734 to 684 MB. A no-op where there is no glibc."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None)
except OSError:  # pragma: no cover - no C library to load (not on Linux or macOS)
    _LIBC = None


class Stopwatch:
    """Seconds per stage, for ``sitegen build --timings`` and the benchmark notes."""

    def __init__(self) -> None:
        self.laps: tuple[tuple[str, float], ...] = ()
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps += ((stage, now - self._last),)
        self._last = now


MANIFESTS = "output-*.pickle"


def manifest_name(output: Path) -> str:
    """The cache file of what the last build wrote into ``output`` (one per output folder)."""
    return MANIFESTS.replace("*", hashlib.blake2b(str(output).encode("utf-8"), digest_size=8).hexdigest())


def forget_output(site: Path, output: Path) -> None:
    """Drop the manifest of an output folder that is going away (serve's private folder)."""
    (site.absolute() / CACHE_DIR / manifest_name(output.absolute())).unlink(missing_ok=True)


def output_folder(site: Path, config: Config, output: Path | None) -> Path:
    return (output if output is not None else site / config.output_dir).absolute()


def build(site: Path, output: Path | None = None, *, strict: bool = False, drafts: bool = False,
          base_url: str | None = None, fingerprint_assets: bool = True, cache: bool = True,
          progress: Callable[[int, int], None] | None = None, future: bool = False,
          jobs: int | None = None) -> BuildResult:
    """Build the site at ``site``. Raises ConfigError, BuildError (TemplateFailure, StrictFailure).

    ``base_url`` replaces the setting (``sitegen build --base-url``); ``fingerprint_assets=False``
    keeps the plain names of .css and .js files (for a local server that swaps stylesheets live);
    ``cache=False`` parses every file afresh and leaves the article cache as it was; ``future``
    shows articles dated after "now" (``sitegen build --future``); ``jobs`` is the number of
    processes that render pages (default: one per core, at most 8)."""
    started = time.perf_counter()
    site = site.absolute()
    config = load_config(site)
    if base_url is not None:
        config = with_base_url(config, base_url)
    out = output_folder(site, config, output)
    check_output(out, site, site / config.content_dir)

    articles_cache = ArticleCache(site, config, enabled=cache)
    results = ResultCache(site, enabled=cache)
    planned = plan_build(site, config, drafts=drafts, cache=articles_cache, future=future, results=results)
    scheduled = planned.scheduled
    articles_cache.save()
    articles_cache.release()
    clock = Stopwatch()
    loaded, plan, build_time, statics, contents = (planned.loaded, planned.plan, planned.build_time,
                                                   planned.statics, planned.contents)
    diagnostics = planned.diagnostics
    html_pages = sum(page.output.endswith(".html") for page in plan.pages)

    def result(files: int, written: Written | None) -> BuildResult:
        return BuildResult(out, len(plan.urls), html_pages, files, loaded.drafts_skipped,
                           diagnostics, time.perf_counter() - started, written is not None,
                           len(scheduled.held), scheduled.next_change, scheduled.rebuild_at,
                           *((written.changed, written.removed, written.rendered) if written else (0, 0, 0)),
                           planned.timings + clock.laps)

    if strict and any(d.is_error for d in diagnostics):
        raise StrictFailure(result(0, None))
    copies, renamed = fingerprint(statics) if fingerprint_assets else (statics, {})
    renderer = Renderer(site, config, plan, build_time, renamed, planned.messages, planned.bodies)
    copies += contents
    keys = PageKeys(plan, template_salt(renderer.template_folders, config, build_time, renamed,
                                        planned.messages.locale, sorted(planned.messages.texts.items())))
    # Pagefind needs to read only article pages; with none, it reads the rest so that it
    # still writes its (empty) index and search UI, which the search page loads.
    search_glob = article_glob(config.permalinks.article) if plan.urls else "**/*.html"

    def search(site: Path, bundle: Path) -> int:  # the pages stage ends where Pagefind starts
        clock.lap("pages")
        return index_site(site, bundle, glob=search_glob)

    written = write_site(out, plan.pages, renderer.render, path_of=lambda page: page.output, key_of=keys.key,
                         copies=copies, manifest=articles_cache.folder / manifest_name(out) if cache else None,
                         progress=progress, jobs=jobs or min(os.cpu_count() or 1, 8),
                         finish=search if config.search else None)
    clock.lap("search" if any(stage == "pages" for stage, _ in clock.laps) else "pages")
    record(out, scheduled.next_change)
    if cache:
        prune_manifests(articles_cache.folder, MANIFESTS)
    return result(written.files, written)


__all__ = ["BuildResult", "Planned", "StrictFailure", "TemplateFailure", "build", "plan_build"]
