"""The build, top to bottom: config, load, indexes, plan, render, write (and search)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import os
import re
import shutil
import sys
import time
from datetime import datetime, timezone
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from sitegen.bodies import NO_BODIES, BodyStore
from sitegen.cache import CACHE_DIR, ArticleCache, ResultCache, stamp_of
from sitegen.config import Config, load_config, with_base_url
from sitegen.errors import BuildError, Diagnostic, TemplateFailure, sorted_unique
from sitegen.i18n import Messages, load_messages
from sitegen.indexes import Indexes, build_indexes
from sitegen.model import Article
from sitegen.forked import Forked, Unavailable, check_interrupted, idle_priority
from sitegen.load import Look, Loaded, fingerprint, holds_articles, load, look, static_copies, text_named
from sitegen import nochange
from sitegen.nochange import NoChange, Seen
from sitegen.plan import Plan, plan_site
from sitegen.plan.pages import Wanted
from sitegen.plan.sitemaps import made_here
from sitegen.plan.urls import Urls, output_path
from sitegen.pagekeys import (PageKeys, Prepared, changed_articles, digest_files, kept_keys, names_only, prepare,
                              template_salt)
from sitegen.schedule import Change, Scheduled, moment, record, schedule
from sitegen.search import article_glob, index_site
from sitegen.themes import template_files, template_folders, theme_dir
from sitegen import __version__
from sitegen.write import (BUNDLE, IntactCheck, Manifest, StageAhead, Written, check_output, identity, make_stage,
                           not_intact, previous, prune_manifests, recover, unchanged, write_site, written_as)


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
    reused: int = 0    # pages whose key was the last build's, taken unread: nothing they are made of changed
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds) in order: load, indexes, plan, pages, search
    planned: int = 0   # pages planned: all, or those a narrow plan made (see plan_site)

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


@dataclass(frozen=True, slots=True)
class Gathered:
    """What the build reads before the indexes: the content, the schedule, the copies and the
    messages. Cheap next to the rest, and all that ``build`` compares to see that nothing changed."""

    loaded: Loaded
    scheduled: Scheduled
    build_time: datetime
    statics: list[tuple[Path, str]]
    contents: list[tuple[Path, str]]
    messages: Messages
    message_problems: tuple[Diagnostic, ...]
    static_problems: tuple[Diagnostic, ...] = ()  # static files named by no text (in loaded.diagnostics too)


def gather(site: Path, config: Config, *, drafts: bool, cache: ArticleCache, future: bool = False,
           looked: Look | None = None) -> Gathered:
    """Load the content (through ``cache``; ``looked``: see load.look), judge the schedule and
    find the copies and messages."""
    loaded = load(site, config, include_drafts=drafts, cache=cache, looked=looked)
    give_back_memory()
    # Scheduling, after the cache: the schedule is judged afresh on every build.
    scheduled = schedule(loaded.articles, *moment(config, datetime.now(timezone.utc)), future=future)
    loaded = replace(loaded, articles=scheduled.articles)
    newest = max((a.updated or a.date for a in loaded.articles), default=datetime.fromtimestamp(0, timezone.utc))
    statics, unnamed = text_named(static_copies([theme_dir("static"), site / "static"]), site)
    if unnamed:
        loaded = replace(loaded, diagnostics=(*loaded.diagnostics, *unnamed))
    contents = [(asset.source, asset.site_path.lstrip("/")) for asset in loaded.assets]
    messages, message_problems = load_messages(site, config)
    return Gathered(loaded, scheduled, config.resolved_build_time(newest), statics, contents, messages,
                    tuple(message_problems), tuple(unnamed))


def plan_build(site: Path, config: Config, *, drafts: bool, cache: ArticleCache, future: bool = False,
               results: ResultCache | None = None) -> Planned:
    """Load, index and plan the site (reads files, writes nothing but ``results`` and the body store
    of ``cache``; the caller saves ``cache``)."""
    clock = Stopwatch()
    gathered = gather(site, config, drafts=drafts, cache=cache, future=future)
    clock.lap("load")
    return plan_gathered(gathered, config, cache=cache, results=results, clock=clock)


def plan_gathered(gathered: Gathered, config: Config, *, cache: ArticleCache, results: ResultCache | None,
                  clock: Stopwatch, narrow: "Narrowing | None" = None) -> Planned:
    """The indexes and the page plan of what ``gather`` read: a narrow one when ``narrow`` finds
    which pages it needs (see ``Narrowing``)."""
    loaded, scheduled = gathered.loaded, gathered.scheduled
    indexes, index_problems = build_indexes(loaded.articles, config, hidden=scheduled.held, results=results,
                                            bodies=cache.bodies)
    give_back_memory()
    clock.lap("indexes")
    provided = frozenset(rel for _, rel in gathered.statics + gathered.contents)
    plan, plan_problems = plan_site(config, indexes, gathered.build_time, provided, gathered.messages, cache.bodies,
                                    narrow.wanted(indexes, Urls(config).article) if narrow else None)
    clock.lap("plan")
    return Planned(loaded, indexes, gathered.build_time, gathered.statics, gathered.contents, plan, scheduled,
                   gathered.messages, gathered.message_problems, tuple(index_problems), tuple(plan_problems),
                   clock.laps, cache.bodies)


def whole_plan(planned: Planned, config: Config) -> Planned:
    """``planned`` with the whole plan in place of a narrow one."""
    plan, problems = plan_site(config, planned.indexes, planned.build_time, planned.provided, planned.messages,
                               planned.bodies)
    return replace(planned, plan=plan, plan_problems=tuple(problems))


class Narrowing:
    """Which pages a rebuild plans (see plan_site): when the last build into the output left a
    record of its page keys, every page but those whose kept key nothing it read has changed
    (a body, a related list, a story, an article it shows, a list it shows a window of: see
    pagekeys.kept_keys) and whose file is as it was written. The rest are carried over as they
    are, if this build's basis (templates, settings, navigation) proves to be the last one's
    once planned; if not, the build plans again, whole. An edit to one body at 10,000 articles
    plans about 30 of 15,000 pages: 0.3 s less planning, and 14,900 pages fewer to go through
    while writing; an added article, the pages of the lists it joins and of its neighbours.

    A narrow plan claims only the paths of its own pages, so it stands for added, deleted or
    retitled articles (``changed``) only when the last plan found no problem, its own finds none
    and no changed article's page or alias takes a carried page's path; it is otherwise planned
    whole, which finds the problems as a cold build does. When no article but bodies changed, the
    last plan's problems stand.

    The last build's manifest (``manifest``) is read here, once the indexes are made: read before,
    it stayed in memory through the related articles' repair, the build's peak (70 MB more at
    100,000 articles)."""

    def __init__(self, output: Path, manifest: Path | None, check: IntactCheck | None = None,
                 stage: Path | None = None):
        """``stage``: this build's own, made already (see StageAhead), which ``previous`` leaves."""
        self.output, self.manifest, self.check, self.stage = output, manifest, check, stage
        self.old: Manifest | None = None  # the last build's manifest, once ``wanted`` has read it
        self.prepared: Prepared | None = None
        self.kept: dict[str, tuple[bytes, bytes]] | None = None  # output -> (key, deps) of the pages carried
        self.changed = False  # whether an article was added, deleted, or changed but in its body

    def wanted(self, indexes: Indexes, url_of: Callable[[Article], str]) -> Wanted | None:
        """The output paths to plan, or None: the whole plan (no record, or one that cannot be matched)."""
        self.prepared = prepared = prepare(indexes)
        self.old = old = previous(self.output, self.manifest, self.stage)
        last = old.inputs[1] if old is not None and old.inputs else None
        if not isinstance(last, Replay) or not hasattr(last, "plan_problems"):  # (a Replay of an older sitegen)
            return None
        assert old is not None
        kept = kept_keys(old.entries, old.record, prepared)
        changed = changed_articles(old.record, prepared)
        if kept is None or changed is None:
            return None
        self.changed = bool(len(changed))
        if self.changed and last.plan_problems:
            return None
        articles = indexes.articles
        for row in changed.tolist():  # its page or an alias where a carried page is: planned whole, for the problem
            article = articles[row]
            if any(output_path(path) in kept for path in (url_of(article), *article.aliases)):
                return None
        self.kept = {rel: kept[rel] for rel in written_as(self.output, old.entries, kept, self.check, self.manifest)}
        return Wanted(self.kept, any(made_here(rel) for rel in old.entries if rel not in self.kept))

    def stands(self, keys: PageKeys, problems: tuple[Diagnostic, ...]) -> bool:
        """Whether this build's basis is the last one's, and the narrow plan (which found
        ``problems``) can stand for the whole: its pages and the carried ones are then the whole plan's."""
        # (``kept`` is found only from a record of the KeyRecord's shape)
        return (self.kept is not None and self.old is not None and keys.record is not None
                and self.old.record[0] == keys.record.basis and not (self.changed and problems))


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


AHEAD_FROM = 500  # articles: a smaller build renders before its folders would be made ahead (see StageAhead)
WARM_FROM = 500  # article files: a smaller build is over too soon for templates compiled ahead to pay


def warm_templates(site: Path, compiled: Path, content: Path) -> int:
    """Compile the templates into Jinja's bytecode cache (see render.compile_templates), in the
    build's child and at the lowest priority, so that it runs on a core the build leaves idle
    (while one process counts, pairs or plans) and each render process then loads the compiled
    code instead of compiling it again. Only when no compiled code is newer than every template
    (a cold cache, or a template edited since), and for WARM_FROM article files or more (a
    smaller build renders before this would be done). The build ends the child before it renders
    (Forked.stop), done or not. Returns how many were compiled."""
    newest = max((path.stat().st_mtime_ns for path in template_files(site)), default=0)
    made = [path.stat().st_mtime_ns for path in compiled.glob("templates-*/*.cache")]
    if (made and max(made) >= newest) or not holds_articles(content, WARM_FROM):
        return 0
    idle_priority()
    from sitegen.render import compile_templates

    return compile_templates(template_folders(site), compiled)


MANIFESTS = "output-*.pickle"


def manifest_name(output: Path) -> str:
    """The cache file of what the last build wrote into ``output`` (one per output folder)."""
    return MANIFESTS.replace("*", hashlib.blake2b(str(output).encode("utf-8"), digest_size=8).hexdigest())


def forget_output(site: Path, output: Path) -> None:
    """Drop the manifest of an output folder that is going away (serve's private folder), and its record."""
    manifest = site.absolute() / CACHE_DIR / manifest_name(output.absolute())
    manifest.unlink(missing_ok=True)
    nochange.forget(nochange.path_of(manifest.parent, manifest))


def output_folder(site: Path, config: Config, output: Path | None) -> Path:
    return (output if output is not None else site / config.output_dir).absolute()


def build(site: Path, output: Path | None = None, *, strict: bool = False, drafts: bool = False,
          base_url: str | None = None, fingerprint_assets: bool = True, cache: bool = True,
          progress: Callable[[int, int], None] | None = None, future: bool = False,
          jobs: int | None = None, one_shot: bool = False) -> BuildResult:
    """Build the site at ``site``. Raises ConfigError, BuildError (TemplateFailure, StrictFailure).

    ``base_url`` replaces the setting (``sitegen build --base-url``); ``fingerprint_assets=False``
    keeps the plain names of .css and .js files (for a local server that swaps stylesheets live);
    ``cache=False`` parses every file afresh and leaves the article cache as it was; ``future``
    shows articles dated after "now" (``sitegen build --future``); ``jobs`` is the number of
    processes that render pages (default: one per core, at most 8). ``one_shot``: the process ends
    after this build (`sitegen build`), so the cycle collector pauses until rendering (see
    _resume_collector); the caller turns it on again if the build raises."""
    started = time.perf_counter()
    if one_shot:
        gc.disable()
    site = site.absolute()
    config = load_config(site)
    if base_url is not None:
        config = with_base_url(config, base_url)
    out = output_folder(site, config, output)
    check_output(out, site, site / config.content_dir)

    clock = Stopwatch()  # (the load stage includes reading the article cache: 0.1 s at 10,000 articles)
    manifest = site / CACHE_DIR / manifest_name(out) if cache else None
    # One child, forked first (a small process), looks at the content folder while this process
    # reads the article cache, then checks the last build's files (asked later), then compiles
    # the templates ahead (never asked: see warm_templates), and for a whole new output makes its
    # folders and article files once the articles are loaded (see StageAhead).
    with_check = cache and manifest is not None and manifest.is_file()
    last = _last_build(site, config, manifest) if with_check else None
    if last is not None:
        recover(out)  # (a stage left by a killed build, else the output's check cannot be made)
    looking = _Looking(site / config.content_dir, time.time_ns())
    then = [(looking.seen, ())] if cache else []  # (step 1: see nochange)
    if with_check and last is None:
        then.append((not_intact, (out, manifest)))
    if cache:
        then.append((warm_templates, (site, site / CACHE_DIR, site / config.content_dir)))
    ahead = None if with_check else StageAhead()  # (a whole new folder: see StageAhead)
    if ahead is not None:
        then.append((ahead.make, ()))
    child = Forked(looking.look, then=then)
    if ahead is not None:
        ahead.forked()
    # The output's check in a child of its own when the last build's record may hold: it is then
    # all that is left to do once the content is looked at (see nochange).
    check = IntactCheck(out, manifest, (child, 2) if with_check and last is None else None) if cache else None
    options = (drafts, future, fingerprint_assets)
    articles_cache = ArticleCache(site, config, enabled=cache)
    try:
        looked: Look | None = child.result(0)
    except Unavailable:  # (load looks itself)
        looked = None
    seen: Seen | None = None  # the content's stamps, when all are settled (see nochange)
    if last is not None and looked is not None:  # (else asked once the articles are loaded: the child is done by then)
        seen = _seen(child)
        if seen is not None and check is not None:
            statics, unnamed = text_named(static_copies([theme_dir("static"), site / "static"]), site)
            messages, message_problems = load_messages(site, config)
            quick = _quick_digest(site, config, options, seen, statics, unnamed, messages, message_problems)
            same = _same_again(out, manifest, last, quick, check, config)
            if same is not None:
                child.stop()
                clock.lap("load")
                return _replayed_record(same, strict, started, clock)
    try:
        gathered = gather(site, config, drafts=drafts, cache=articles_cache, future=future, looked=looked)
    except BaseException:
        if ahead is not None:
            ahead.cancel()
        raise
    if looked is not None and cache and last is None:
        seen = _seen(child)
    # What this build read, for the next one to compare (see nochange): the settings, messages and
    # copies as gathered, the templates as of now (as inputs_digest takes them), and the content's
    # stamps as the child took them before it was loaded, so a change made meanwhile shows.
    quick = _quick_digest(site, config, options, seen, gathered.statics, gathered.static_problems, gathered.messages,
                          gathered.message_problems) if seen is not None else None
    del looked
    clock.lap("load")
    stage = None
    if ahead is not None:
        if child.running and len(gathered.loaded.articles) >= AHEAD_FROM:
            recover(out)
            stage = make_stage(out)
            url_of = Urls(config).article
            ahead.send(stage, (output_path(url_of(article)) for article in gathered.loaded.articles))
        else:
            ahead.cancel()
    try:
        check_interrupted()  # (a Ctrl-C Python dropped while loading: see forked.interrupts_remembered)
        inputs = inputs_digest(site, config, gathered, options) if cache else None
        same = unchanged(out, manifest, inputs, search=bool(config.search), check=check) if inputs else None
        if same is not None:  # every input as the last build into ``out`` read them, and its files intact
            articles_cache.save()
            articles_cache.release()
            prune_manifests(articles_cache.folder, MANIFESTS)
            nochange.prune(articles_cache.folder, MANIFESTS)
            clock.lap("unchanged")
            replayed = _replayed(out, gathered, same, strict, started, clock.laps)
            _remember(site, manifest, quick, gathered.scheduled, replayed)
            return replayed
        narrow = Narrowing(out, manifest, check, stage) if cache else None
        planned = plan_gathered(gathered, config, cache=articles_cache, results=ResultCache(site, enabled=cache),
                                clock=clock, narrow=narrow)
        check_interrupted()
        old = narrow.old if narrow is not None else previous(out, manifest, stage)
        scheduled = planned.scheduled
        articles_cache.save()
        articles_cache.release()
        clock = Stopwatch()
        copies, renamed = fingerprint(planned.statics) if fingerprint_assets else (planned.statics, {})
        from sitegen.render import Renderer, render_order  # Jinja only here: a build that finds nothing changed never imports it

        salt = template_salt(template_folders(site), config, planned.build_time, renamed, planned.messages.locale,
                             sorted(planned.messages.texts.items()))
        prepared = narrow.prepared if narrow else None
        keys = PageKeys(planned.plan, salt, planned.indexes, planned.provided, prepared)
        carried: dict[str, bytes] = {}  # output -> its deps as this build numbers them (see pagekeys.kept_keys)
        if planned.plan.wanted is not None:
            if narrow is not None and narrow.stands(keys, planned.plan_problems):  # the last build's plan but these pages
                assert old is not None and narrow.kept is not None
                carried = {rel: deps for rel, (_, deps) in narrow.kept.items()}
                last: Replay = old.inputs[1]  # type: ignore[index]
                planned = replace(planned, plan_problems=last.plan_problems)  # (none, when an article changed)
            else:  # another basis: the last build's plan does not stand
                clock.lap("pages")
                planned = whole_plan(planned, config)
                clock.lap("plan")
                keys = PageKeys(planned.plan, salt, planned.indexes, planned.provided, prepared)
        loaded, plan, build_time, contents = (planned.loaded, planned.plan, planned.build_time,
                                              planned.contents)
        diagnostics = planned.diagnostics
        html_pages = sum(page.output.endswith(".html") for page in plan.pages) + sum(rel.endswith(".html") for rel in carried)

        reused = 0

        def result(files: int, written: Written | None) -> BuildResult:
            return BuildResult(out, len(plan.urls), html_pages, files, loaded.drafts_skipped,
                               diagnostics, time.perf_counter() - started, written is not None,
                               len(scheduled.held), scheduled.next_change, scheduled.rebuild_at,
                               *((written.changed, written.removed, written.rendered) if written else (0, 0, 0)),
                               reused, _merged(planned.timings + clock.laps), len(plan.pages))

        if strict and any(d.is_error for d in diagnostics):
            raise StrictFailure(result(0, None))
        if one_shot:
            _resume_collector()
        child.stop()  # (its templates compiled ahead by now, or compiled by the render itself)
        renderer = Renderer(site, config, plan, build_time, renamed, planned.messages, planned.bodies,
                            compiled=articles_cache.folder if cache else None)
        copies += contents
        reused = keys.reuse(old.entries if old else None, old.record if old else None,
                            narrow.kept if carried and narrow else None)
        # Pagefind needs to read only article pages; with none, it reads the rest so that it
        # still writes its (empty) index and search UI, which the search page loads.
        search_glob = article_glob(config.permalinks.article) if plan.urls else "**/*.html"

        searched: list[bool] = []

        def search(site: Path, bundle: Path) -> int:  # the pages stage ends where Pagefind starts
            clock.lap("pages")
            searched.append(True)
            return index_site(site, bundle, glob=search_glob)

        replay = Replay(len(plan.urls), html_pages, tuple(sorted_unique([*planned.index_problems, *planned.plan_problems])),
                        planned.plan_problems)
        if not cache:  # a whole new output and no manifest of it: the last one would not say what is there
            forget_output(site, out)
        try:
            written = write_site(out, render_order(plan.pages), renderer.render, path_of=lambda page: page.output,
                                 key_of=lambda page, like: keys.key(page, like is not None and names_only(like)),
                                 settle=lambda page, key: keys.settled(page, key, renderer.names_only), deps_of=keys.deps,
                                 record=tuple(keys.record) if keys.record else None, old=old,
                                 copies=copies, manifest=manifest, progress=progress, jobs=jobs or min(os.cpu_count() or 1, 8),
                                 finish=search if config.search else None, inputs=(inputs, replay) if inputs else None,
                                 carried=carried, ahead=ahead)
        finally:
            articles_cache.bodies.done_reading()  # (this process read bodies in one transaction: see BodyStore.html)
        clock.lap("search" if searched else "pages")
        record(out, scheduled.next_change)
        if cache:
            prune_manifests(articles_cache.folder, MANIFESTS)
            nochange.prune(articles_cache.folder, MANIFESTS)
        made = result(written.files, written)
        _remember(site, manifest, quick, scheduled, made)
        return made
    except BaseException:
        articles_cache.bodies.done_reading()  # (a read transaction left open would lock the next build out of the store)
        if stage is not None:  # (write_site removes it itself, or has swapped it in)
            child.stop()
            shutil.rmtree(stage, ignore_errors=True)
        raise


def _resume_collector() -> None:
    """The cycle collector on again, for rendering, with every object made so far frozen (never
    walked again, nor written to by it in the forked render workers).

    Up to rendering a build makes objects that live to its end (articles, indexes, the plan) and
    hardly any cycle, yet the collector walked them again and again: 50 ms of a 1.1 s edit at
    10,000 articles, a second of a cold build. Rendering does make cycles (Jinja's, about eight
    objects a page: 120,000 at 10,000 articles), so it collects them as before. Only for a
    process that ends after the build: a frozen cycle is never collected, and `serve` builds
    again and again in one process."""
    gc.freeze()
    gc.enable()


@dataclass(frozen=True, slots=True)
class Replay:
    """What a build reports besides what it reads afresh, kept with its manifest: a build whose
    inputs are all the same reports it again instead of planning and keying every page."""
    articles: int
    pages: int
    problems: tuple[Diagnostic, ...]  # of the indexes and the plan
    plan_problems: tuple[Diagnostic, ...] = ()  # of the plan alone: a narrow plan's, when it stands (see Narrowing)


def _replayed(out: Path, gathered: Gathered, same: tuple[Replay, int], strict: bool, started: float,
              timings: tuple[tuple[str, float], ...]) -> BuildResult:
    (replay, files), scheduled = same, gathered.scheduled
    diagnostics = tuple(sorted_unique([*gathered.loaded.diagnostics, *replay.problems, *gathered.message_problems]))
    result = BuildResult(out, replay.articles, replay.pages, files, gathered.loaded.drafts_skipped, diagnostics,
                         time.perf_counter() - started, True, len(scheduled.held), scheduled.next_change,
                         scheduled.rebuild_at, timings=timings)
    if strict and result.errors:
        raise StrictFailure(replace(result, written=False))
    record(out, scheduled.next_change)
    return result


class _Looking:
    """The build's child's first two calls: ``look`` at the content folder (sent at once: ``load``
    waits for it), then ``seen``, the digest of what it found (see nochange), from the listing
    the child keeps between the two."""

    def __init__(self, content: Path, started_ns: int):
        self.content, self.started_ns = content, started_ns
        self.looked: Look | None = None

    def look(self) -> Look:
        self.looked = look(self.content)
        return self.looked

    def seen(self) -> Seen | None:
        return nochange.seen(self.looked, self.started_ns) if self.looked is not None else None


def _record_path(site: Path, manifest: Path | None) -> Path | None:
    return nochange.path_of(site / CACHE_DIR, manifest) if manifest is not None else None


def _last_build(site: Path, config: Config, manifest: Path | None) -> NoChange | None:
    """The record of the last build into the output of ``manifest`` when it may hold now: that
    manifest is the one there, and "now" is within the span its schedule holds for (see
    NoChange.holds_at)."""
    path = _record_path(site, manifest)
    last = nochange.read(path) if path is not None else None
    if last is None or last.manifest != identity(manifest) or not isinstance(last.report, BuildResult):
        return None
    now, clock = moment(config, datetime.now(timezone.utc))
    return last if last.holds_at(now if clock else None) else None


def _seen(child: Forked) -> Seen | None:
    """The child's Seen of the content (its step 1), when every stamp in it was settled."""
    try:
        found: Seen | None = child.result(1)
    except Unavailable:
        return None
    return found if found is not None and found.settled else None


def _quick_digest(site: Path, config: Config, options: tuple, seen: Seen, statics: list[tuple[Path, str]],
                  static_problems: Sequence[Diagnostic], messages: Messages, message_problems: Sequence[Diagnostic]) -> bytes:
    """What ``inputs_digest`` covers, with the content by its files' stamps (``seen``) and the
    schedule left to NoChange.holds_at; any new kind of input goes in both."""
    h = hashlib.blake2b(_code_digest(), digest_size=16)
    h.update(repr((config, options, os.environ.get("SOURCE_DATE_EPOCH"), messages.locale, sorted(messages.texts.items()),
                   tuple(message_problems), tuple(static_problems))).encode("utf-8", "surrogateescape"))
    h.update(seen.digest)
    _templates_and_copies(h, site, statics)
    return h.digest()


def _same_again(output: Path, manifest: Path | None, last: NoChange, quick: bytes, check: IntactCheck,
                config: Config) -> NoChange | None:
    """``last`` when this build would make what it made: the same inputs (``quick``), and its files
    in ``output`` all as it wrote them (as the child found, for the manifest still there)."""
    if quick != last.digest or last.manifest != identity(manifest):
        return None
    if check.broken(manifest) != frozenset():  # (None: not known; ``unchanged`` finds out)
        return None
    if config.search and not (output / BUNDLE).is_dir():
        return None
    return last


def _replayed_record(last: NoChange, strict: bool, started: float, clock: "Stopwatch") -> BuildResult:
    """The last build's report again (see nochange), for a build that loaded no article."""
    clock.lap("unchanged")
    result = replace(last.report, seconds=time.perf_counter() - started, timings=clock.laps)
    if strict and result.errors:
        raise StrictFailure(replace(result, written=False))
    record(result.output, result.next_change)
    return result


def _remember(site: Path, manifest: Path | None, quick: bytes | None, scheduled: Scheduled, result: BuildResult) -> None:
    """Keep what this build read (``quick``) and reported for the next (see nochange), or, when a
    stamp was not settled, forget the last build's record."""
    path = _record_path(site, manifest)
    if path is None:
        return
    made = identity(manifest)
    if quick is None or made is None:
        nochange.forget(path)
        return
    until = scheduled.next_change.when if scheduled.next_change else None
    report = replace(result, seconds=0.0, timings=(), changed=0, removed=0, rendered=0, reused=0, planned=0)
    try:
        nochange.save(path, NoChange(quick, made, scheduled.now if scheduled.clock else None,
                                     until if scheduled.clock else None, report))
    except OSError:  # (only a slower next build: the site is written)
        with contextlib.suppress(OSError):
            nochange.forget(path)


def _merged(laps: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """Stages in order, each once: a narrow plan that did not stand is timed with the whole one."""
    merged: dict[str, float] = {}
    for stage, seconds in laps:
        merged[stage] = merged.get(stage, 0.0) + seconds
    return tuple(merged.items())


_CODE: list[bytes] = []  # the digest of sitegen's own files, made once per process


def inputs_digest(site: Path, config: Config, gathered: Gathered, options: tuple) -> bytes:
    """A digest of everything a build reads: sitegen's code, Python and the libraries that shape
    its output, the settings and options, the content (each file's key, see ``load``), the schedule's
    outcome, the build time, the messages, every template and the stamp of every copied file.
    The same digest as the last build's into an output folder means the same output, so any new
    kind of input must be added here and to ``_quick_digest`` (and its change to
    ``tests/test_incremental.py``'s list)."""
    h = hashlib.blake2b(_code_digest(), digest_size=16)
    h.update(repr((config, options, gathered.build_time.isoformat(), [a.path for a in gathered.scheduled.held],
                   gathered.messages.locale, sorted(gathered.messages.texts.items()))).encode("utf-8"))
    h.update(gathered.loaded.digest)
    _templates_and_copies(h, site, gathered.statics + gathered.contents)
    return h.digest()


def _templates_and_copies(h: "hashlib._Hash", site: Path, copies: list[tuple[Path, str]]) -> None:
    """Every template's bytes and every copied file's stamp, into ``h`` (for both digests of inputs)."""
    for folder in template_folders(site):
        digest_files(h, folder)
    for source, rel in copies:
        h.update(f"{rel}\0{source}\0{stamp_of(source.stat())}\0".encode("utf-8", "surrogateescape"))


def _code_digest() -> bytes:
    """sitegen's own files, Python's version and those of the libraries that shape the output."""
    if not _CODE:
        versions = installed_versions(LIBRARIES)
        code = hashlib.blake2b(repr([__version__, sys.version, *(versions.get(lib, "") for lib in LIBRARIES)]).encode(),
                               digest_size=16)
        digest_files(code, Path(__file__).parent)
        _CODE.append(code.digest())
    return _CODE[0]


LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "markdown-it-pyrs", "mdit-py-plugins", "babel",
             "python-slugify", "pyyaml", "numpy", "scipy", "pagefind-bin", "orjson")  # their output is part of the site


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """name -> version of those of the distributions ``names`` that are installed, as
    ``importlib.metadata.version`` finds them: from the first ``NAME-VERSION.dist-info`` (or
    ``.egg-info``) folder on ``sys.path``, names compared as PEP 503 normalizes them. Read from the
    folders' names: importing importlib.metadata (email, zipfile, csv...) took 30 ms of every
    build, a twentieth of one that finds nothing changed at 10,000 articles."""
    wanted = {_normalized(name): name for name in names}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                name, _, version = entry.rsplit(".", 1)[0].partition("-")
                asked = wanted.get(_normalized(name))
                if asked is not None and asked not in found:
                    found[asked] = version.split("-")[0]  # (an egg-info's name may go on with '-py3.11')
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


__all__ = ["BuildResult", "Planned", "StrictFailure", "TemplateFailure", "build", "plan_build"]
