"""Watching a site and running the same full build again after each burst of changes.

Used by ``sitegen build --watch`` and ``sitegen serve``. There is no partial rebuild:
every batch of changes reruns ``build()``, which writes a fresh folder beside the
output and swaps it in only when complete, so a failed build leaves the last good
site in place. A pure function (``is_relevant``) decides which file events count;
a ``Batcher`` turns a burst of them (a ``git checkout`` of 500 files) into one build.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sitegen.build import StrictFailure, build, output_folder
from sitegen.config import CONFIG_FILE, Config, load_config
from sitegen.errors import BuildError, ConfigError, Diagnostic, TemplateFailure
from sitegen.forked import check_interrupted, interrupts_held
from sitegen.load import is_ignored
from sitegen.write import WORK_PREFIX, recover

QUIET_SECONDS = 0.2  # a burst is over when no event came for this long...
MAX_WAIT_SECONDS = 2.0  # ...or when it has lasted this long (a build then runs anyway)
WATCHED_FOLDERS = ("templates", "static", "i18n")  # besides the content folder and sitegen.yaml
RELEVANT_EVENTS = frozenset({"created", "modified", "deleted", "moved"})  # not opened/closed: builds read files
NEVER_WATCHED = frozenset({"__pycache__", "node_modules"})


def is_relevant(path: str, site: Path, output: Path) -> bool:
    """Whether a change to ``path`` calls for a rebuild of the site at ``site``.

    Not relevant: anything in the output folder or the build's work folders beside it
    (``.sitegen-*``), hidden files and folders (``.git``, ``.DS_Store``), editor temp,
    swap and backup files (the names ``sitegen.load.is_ignored`` skips), ``__pycache__``,
    and files at the top of the site other than ``sitegen.yaml`` and the watched folders.
    """
    target = Path(os.path.abspath(path))
    site, output = Path(os.path.abspath(site)), Path(os.path.abspath(output))
    if target == output or output in target.parents:
        return False
    if target.parent == output.parent and target.name.startswith(f"{WORK_PREFIX}{output.name}."):
        return False
    try:
        parts = target.relative_to(site).parts
    except ValueError:  # a content folder outside the site: judge the names below its parent
        parts = target.parts[-2:]
    else:
        if len(parts) == 1 and parts[0] not in (CONFIG_FILE, "content", *WATCHED_FOLDERS):
            return False
    return bool(parts) and not any(is_ignored(part) or part in NEVER_WATCHED for part in parts)


class Batcher:
    """Collects changed paths from the watcher thread; hands them out one batch per burst.

    A batch is due when no change came for ``quiet`` seconds, or ``max_wait`` seconds
    after its first change. Changes that arrive while a build runs make the next batch:
    exactly one more build after it.
    """

    def __init__(self, quiet: float = QUIET_SECONDS, max_wait: float = MAX_WAIT_SECONDS):
        self.quiet, self.max_wait = quiet, max_wait
        self._cond = threading.Condition()
        self._paths: set[str] = set()
        self._first = self._last = 0.0
        self._stopped = False
        self._wake: datetime | None = None  # a scheduled article's moment: build then, changes or not

    def wake_at(self, when: datetime | None) -> None:
        """Hand out an empty batch at the wall-clock moment ``when`` (None: no timer). Compared
        with the clock at every step of the wait, so a suspended laptop still wakes on time."""
        with self._cond:
            self._wake = when
            self._cond.notify_all()

    def add(self, path: str) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths.add(path)
            self._last = now
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def next_batch(self) -> frozenset[str] | None:
        """Block until a batch is due and return it; None once stopped.

        Waits in short steps so that Ctrl-C in the main thread is seen at once.
        """
        with self._cond:
            while not self._stopped:
                if self._wake is not None and not self._paths and datetime.now(timezone.utc) >= self._wake:
                    self._wake = None
                    return frozenset()
                if not self._paths:
                    self._cond.wait(0.25)
                    continue
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.max_wait)
                if now >= due:
                    batch = frozenset(self._paths)
                    self._paths.clear()
                    return batch
                self._cond.wait(min(due - now, 0.25))
            return None


class _Events(FileSystemEventHandler):
    """Passes each relevant path of a watchdog event on; never lets an exception kill the observer."""

    def __init__(self, relevant: Callable[[str], bool], changed: Callable[[str], None], log: TextIO):
        self.relevant, self.changed, self.log = relevant, changed, log

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            if event.event_type not in RELEVANT_EVENTS or (event.is_directory and event.event_type == "modified"):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                path = os.fsdecode(raw) if raw else ""
                if path and self.relevant(path):
                    self.changed(path)
        except Exception:  # the watcher must outlive any bug: report it and keep watching
            print(f"sitegen: watcher error (still watching):\n{traceback.format_exc()}", file=self.log, flush=True)


class Watcher:
    """A watchdog observer on the content folder, templates/, static/, i18n/ and sitegen.yaml.

    Only folders that exist are watched; ``refresh`` (called before every build) adds
    those created since and drops those removed, and the content folder follows
    ``content_dir`` in sitegen.yaml.
    """

    def __init__(self, site: Path, relevant: Callable[[str], bool], changed: Callable[[str], None], log: TextIO):
        self.site = site
        self.log = log
        self.handler = _Events(relevant, changed, log)
        with interrupts_held():  # (watchdog may start its inotify reader thread here: see start)
            self.observer = Observer()
        self.observer.daemon = True
        self.watches: dict[tuple[Path, bool], object] = {}

    def roots(self) -> list[tuple[Path, bool]]:
        """(folder, recursive): the site itself only for sitegen.yaml and new top folders."""
        try:
            content = load_config(self.site).content_dir
        except ConfigError:
            content = Config().content_dir
        return [(self.site, False), (self.site / content, True), *((self.site / name, True) for name in WATCHED_FOLDERS)]

    def refresh(self) -> None:
        wanted = {(path.absolute(), recursive) for path, recursive in self.roots() if path.is_dir()}
        for key in [key for key in self.watches if key not in wanted]:
            try:
                self.observer.unschedule(self.watches.pop(key))  # type: ignore[arg-type]
            except (KeyError, OSError):
                pass  # its folder is gone, and with it the watch
        with interrupts_held():  # (a watch's thread starts here: see start)
            for path, recursive in sorted(wanted - self.watches.keys()):
                try:
                    self.watches[(path, recursive)] = self.observer.schedule(self.handler, str(path), recursive=recursive)
                except OSError as exc:
                    print(f"sitegen: cannot watch {path}: {exc}", file=self.log, flush=True)

    def described(self) -> str:
        names = []
        for path, recursive in sorted(self.watches):
            if recursive:
                names.append(f"{path.relative_to(self.site).as_posix() if path.is_relative_to(self.site) else path}/")
        return ", ".join([*names, CONFIG_FILE])

    def start(self) -> None:
        """Watch. The observer's threads start with Ctrl-C blocked, and keep it so: a SIGINT is
        then always the main thread's, which holds it back while a build forks (see
        forked.interrupts_held); taken by another thread then, it was raised in the main thread
        among Python's after-fork handlers and dropped."""
        self.refresh()
        with interrupts_held():
            self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=2)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one build did, as the terminal and the browser are told."""

    written: bool  # a new site was swapped in
    css_only: bool  # written, and every change since the last written site was a .css file
    fatal: bool  # the build cannot work at all (a refused output folder): give up at start
    lines: tuple[str, ...]  # diagnostics as printed, `path:line: severity: message`
    errors: tuple[str, ...]  # the error lines among them: the browser's overlay
    summary: str  # the one-line report
    reason: str  # why nothing was written ('' when written)
    output: Path | None
    rebuild_at: datetime | None = None  # build again then by itself: the next scheduled change


def run_build(site: Path, output: Path | None, *, strict: bool, drafts: bool, changed: frozenset[str] = frozenset(),
              css_only: bool = False, keeps: str = "the previous output is unchanged",
              fingerprint_assets: bool = True, future: bool = False) -> Outcome:
    """Run the full build once and describe what came of it; never raises but for Ctrl-C."""
    what = _changes(changed, site)

    def failed(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], reason: str, fatal: bool = False,
               extra: tuple[str, ...] = ()) -> Outcome:
        lines = (*(str(d) for d in diagnostics), *extra)
        errors = (*(str(d) for d in diagnostics if d.is_error), *extra)
        verb = "rebuild failed" if changed else "build failed"
        return Outcome(False, False, fatal, lines, errors, f"{verb}{what}: {reason}; {keeps}", reason, None)

    try:
        result = build(site, output, strict=strict, drafts=drafts, fingerprint_assets=fingerprint_assets, future=future)
    except ConfigError as exc:
        return failed(exc.diagnostics, "the configuration has errors")
    except StrictFailure as exc:
        return failed(exc.result.diagnostics, f"{exc.result.errors} error(s) and --strict")
    except TemplateFailure as exc:
        return failed([exc.diagnostic], "a template failed")
    except BuildError as exc:
        return failed([], str(exc), fatal=True, extra=(f"sitegen: error: {exc}",))
    except Exception as exc:  # a bug in sitegen must not end the watch: show it and wait for the next change
        trace = traceback.format_exc()
        return failed([], "internal error", extra=(f"sitegen: internal error: {type(exc).__name__}: {exc}", trace))
    lines = tuple(str(d) for d in result.diagnostics)
    errors = tuple(str(d) for d in result.diagnostics if d.is_error)
    drafts_note = f", {result.drafts_skipped} draft(s) left out" if result.drafts_skipped else ""
    summary = (f"{'rebuilt' if changed else 'built'}{what} in {result.seconds:.2f} s: {result.articles} articles, {result.pages} pages, "
               f"{result.warnings} warnings, {result.errors} errors{drafts_note}")
    if result.next_change is not None:
        summary += f"; next scheduled change: {result.next_change.describe()}"
    return Outcome(True, css_only and bool(changed), False, lines, errors, summary, "", result.output, result.rebuild_at)


def _changes(changed: frozenset[str], site: Path) -> str:
    if not changed:
        return ""
    shown = sorted(_relative(path, site) for path in changed)
    more = f" and {len(shown) - 1} more" if len(shown) > 1 else ""
    return f" ({shown[0]}{more} changed)"


def _relative(path: str, site: Path) -> str:
    try:
        return Path(path).relative_to(site).as_posix()
    except ValueError:
        return path


class Session:
    """Build, then watch and build again after each batch of changes, until stopped.

    ``on_outcome`` is told of every build (the server turns it into browser events).
    The builds run in the calling thread, so Ctrl-C interrupts a build at once and
    the build's own clean-up leaves the output whole.
    """

    def __init__(self, site: Path, output: Path | None, *, strict: bool = False, drafts: bool = False,
                 quiet: bool = False, keeps: str = "the previous output is unchanged",
                 on_outcome: Callable[[Outcome], None] | None = None,
                 stdout: TextIO | None = None, stderr: TextIO | None = None, fingerprint_assets: bool = True,
                 future: bool = False):
        self.site = site.absolute()
        self.output = output.absolute() if output is not None else None
        self.strict, self.drafts, self.quiet, self.keeps = strict, drafts, quiet, keeps
        self.future = future
        self.on_outcome = on_outcome
        self.fingerprint_assets = fingerprint_assets  # off under serve: stylesheets keep their names for live swaps
        self.stdout, self.stderr = stdout or sys.stdout, stderr or sys.stderr
        self.batcher = Batcher()
        self.watcher = Watcher(self.site, self.relevant, self.batcher.add, self.stderr)
        self.unpublished: set[str] = set()  # changes since the last site that was swapped in
        self.builds = 0
        self._ignored_output = self._guess_output()

    def _guess_output(self) -> Path:
        try:
            config = load_config(self.site)
        except ConfigError:
            config = Config()
        return output_folder(self.site, config, self.output)

    def relevant(self, path: str) -> bool:
        return is_relevant(path, self.site, self._ignored_output)

    def build_once(self, changed: frozenset[str] = frozenset(), first: bool = False) -> Outcome:
        """Build and report; a fatal first build is left for the caller to report (and stop)."""
        self.unpublished |= changed
        css_only = bool(self.unpublished) and all(path.endswith(".css") for path in self.unpublished)
        outcome = run_build(self.site, self.output, strict=self.strict, drafts=self.drafts,
                            changed=changed, css_only=css_only, keeps=self.keeps,
                            fingerprint_assets=self.fingerprint_assets, future=self.future)
        self.builds += 1
        if outcome.written:
            self.batcher.wake_at(outcome.rebuild_at)
            self.unpublished.clear()
            if outcome.output is not None:
                self._ignored_output = outcome.output
        if first and outcome.fatal:
            return outcome
        for line in outcome.lines:
            print(line, file=self.stderr, flush=True)
        if not self.quiet or not outcome.written:
            print(outcome.summary, file=self.stdout if outcome.written else self.stderr, flush=True)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def start_watching(self) -> None:
        self.watcher.start()
        print(f"watching {self.watcher.described()} for changes (Ctrl-C to stop)", file=self.stdout, flush=True)

    def run(self) -> None:
        """Watch, build once, then build again after every change until Ctrl-C. Raises BuildError
        when the first build shows the output folder is refused."""
        self.start_watching()
        first = self.build_once(first=True)
        if first.fatal:
            raise BuildError(first.reason)
        self.loop()

    def loop(self) -> None:
        """Rebuild after each batch until ``stop``; KeyboardInterrupt ends it too, also one that
        Python dropped during a build (see forked.interrupts_remembered)."""
        check_interrupted()
        while (batch := self.batcher.next_batch()) is not None:
            if not batch:
                print("a scheduled change is due: building again", file=self.stdout, flush=True)
            self.watcher.refresh()
            self.build_once(batch)
            check_interrupted()

    def stop(self) -> None:
        """Stop watching and finish what an interrupted build left beside the output
        (Ctrl-C can land while a swap removes the old site)."""
        self.batcher.stop()
        self.watcher.stop()
        recover(self._ignored_output)


def watch(site: Path, output: Path | None, *, strict: bool, drafts: bool, quiet: bool, future: bool = False) -> None:
    """``sitegen build --watch``: build now and after every change, until Ctrl-C.

    Raises BuildError when the first build shows the output folder is refused.
    """
    session = Session(site, output, strict=strict, drafts=drafts, quiet=quiet, future=future)
    try:
        session.run()
    except KeyboardInterrupt:
        print("\nsitegen: stopped watching; the output holds the last good build", file=session.stderr, flush=True)
    finally:
        session.stop()


__all__ = ["Batcher", "Outcome", "Session", "Watcher", "is_relevant", "run_build", "watch"]
