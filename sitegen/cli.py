"""The command line: argument parsing, printing diagnostics, exit codes.

Exit status: 0 built cleanly (warnings allowed); 1 the input had errors (the rest of
the site was still built, unless --strict); 2 nothing was built (bad config, bad
output folder, template failure, bad usage).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

# Collect reference cycles far less often: a build makes millions of objects that live to its
# end (articles, the plan, pages) and few cycles, and the default thresholds walk the whole heap
# again and again (a third of the plan's time at 10,000 articles). Cycles are still collected.
# Set before the imports below, which made 40 collections of their own at the defaults.
GC_THRESHOLDS = (50_000, 20, 100)
gc.set_threshold(*GC_THRESHOLDS)

from sitegen import __version__  # noqa: E402
from sitegen.build import BuildResult, StrictFailure, build  # noqa: E402
from sitegen.errors import BuildError, ConfigError, TemplateFailure  # noqa: E402
from sitegen.forked import interrupts_remembered  # noqa: E402

# `sitegen import`'s formats (sitegen.importers.FORMATS, imported by that command only: 10 ms of
# every build's start-up).
IMPORT_FORMATS = ("pelican", "hugo", "jekyll", "ninjs", "scrape")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sitegen", description="A static website generator for news archives.")
    p.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build the site once", description="Build the site into its output folder.")
    b.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current one)")
    b.add_argument("-o", "--output", type=Path, help="output folder (default: output_dir from sitegen.yaml, 'public')")
    b.add_argument("--strict", action="store_true", help="fail on any error and leave the previous output as it was")
    b.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    b.add_argument("--future", action="store_true",
                   help="include articles dated after now (scheduled); expired ones stay out")
    b.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics, no summary line")
    b.add_argument("--timings", action="store_true",
                   help="also print the seconds each stage took (load, indexes, plan, pages, search)")
    b.add_argument("--no-cache", dest="cache", action="store_false",
                   help="parse every article afresh (the cache in .sitegen-cache/ is neither read nor written; "
                        "the output's manifest there is dropped, so the next build writes a whole new folder)")
    b.add_argument("--base-url", metavar="URL",
                   help="publish at this URL instead of base_url from sitegen.yaml (e.g. a preview under a sub-path)")
    b.add_argument("-j", "--jobs", type=_jobs, metavar="N",
                   help="render pages in N processes (default: one per core, at most 8)")
    b.add_argument("--watch", action="store_true",
                   help="keep watching the site and build again after every change, until Ctrl-C")
    s = sub.add_parser("serve", help="serve the site locally, rebuilding and reloading on every change",
                       description="Build the site with its drafts, serve it on this machine and rebuild it after "
                                   "every change; open pages reload by themselves and show build errors.")
    s.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current one)")
    s.add_argument("-o", "--output", type=Path,
                   help="build into this folder and keep it (default: a private temporary folder, removed on exit)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    s.add_argument("--future", action="store_true",
                   help="show articles dated after now at once (by default they appear at their moment)")
    for add in (_add_init, _add_new, _add_check):  # authoring commands
        add(sub)
    _add_import(sub)
    return p


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of processes (1 or more): {text!r}")
    return int(text)


def _add_import(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("import", help="turn an archive from another system into sitegen content",
                       description="Convert an archive (Pelican, Hugo or Jekyll content, IPTC ninjs JSON, plain-text "
                                   "scrapes) into Markdown articles with front matter, as "
                                   "INTO/<section>/<year>/<slug>.md, never overwriting a file.")
    i.add_argument("format", choices=IMPORT_FORMATS, metavar="FORMAT", help=f"one of: {', '.join(IMPORT_FORMATS)}")
    i.add_argument("src", type=Path, metavar="SRC", help="the archive: its content folder (or site folder), or one file")
    i.add_argument("--into", type=Path, default=Path("content"), metavar="DIR",
                   help="the folder to write the articles into (default: content)")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {port}")
    return port


def run() -> None:
    """The ``sitegen`` command and ``python -m sitegen``: ``main``, then a quick exit once its output
    is flushed. Every file is written and closed by then; what is skipped is the teardown of the
    heap (every article, the plan), which took half a second at 10,000 articles."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    args = parser().parse_args(argv)
    with interrupts_remembered():  # (a Ctrl-C that Python drops still stops the build: see there)
        return _command(args)


def _command(args: argparse.Namespace) -> int:
    if args.command == "build":
        return run_watch(args) if args.watch else run_build(args)
    if args.command == "serve":
        return run_serve(args)
    if getattr(args, "authoring", None):
        return args.authoring(args)
    if args.command == "import":
        return run_import(args)
    return 2  # pragma: no cover - argparse requires a command


def run_build(args: argparse.Namespace) -> int:
    if not args.site.is_dir():
        print(f"sitegen: error: no site folder at {args.site}", file=sys.stderr)
        return 2
    progress = _progress if sys.stderr.isatty() and not args.quiet else None
    try:
        result = build(args.site, args.output, strict=args.strict, drafts=args.drafts, base_url=args.base_url,
                       cache=args.cache, progress=progress, future=args.future, jobs=args.jobs, one_shot=True)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print("sitegen: nothing built: the configuration has errors", file=sys.stderr)
        return 2
    except StrictFailure as exc:
        _report(exc.result, quiet=args.quiet)
        print(f"sitegen: {exc}", file=sys.stderr)
        return 1
    except TemplateFailure as exc:
        print(exc.diagnostic, file=sys.stderr)
        print("sitegen: nothing built: a template failed; the previous output is unchanged", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsitegen: interrupted; the previous output is unchanged", file=sys.stderr)
        return 130
    finally:  # paused, then frozen by a one-shot build: as it was, for main() may be called again (tests do)
        gc.enable()
        gc.unfreeze()
    _report(result, quiet=args.quiet)
    if args.timings:
        stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.timings)
        print(f"stages: {stages}; {result.planned} pages planned, {result.rendered} rendered, "
              f"{result.reused} keys kept unread")
    return 1 if result.errors else 0


def run_watch(args: argparse.Namespace) -> int:
    """`sitegen build --watch`: stops only on Ctrl-C (status 0) or a refused output folder (2)."""
    from sitegen.watch import watch

    if not args.site.is_dir():
        print(f"sitegen: error: no site folder at {args.site}", file=sys.stderr)
        return 2
    if args.base_url is not None:
        print("sitegen: error: --base-url is for a single build, not with --watch", file=sys.stderr)
        return 2
    try:
        watch(args.site, args.output, strict=args.strict, drafts=args.drafts, quiet=args.quiet, future=args.future)
    except BuildError as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """`sitegen serve`: stops only on Ctrl-C (status 0), a busy port or a refused output folder (2)."""
    from sitegen.serve import ServeError, serve

    if not args.site.is_dir():
        print(f"sitegen: error: no site folder at {args.site}", file=sys.stderr)
        return 2
    try:
        serve(args.site, args.output, host=args.host, port=args.port, future=args.future)
    except (ServeError, BuildError) as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_import(args: argparse.Namespace) -> int:
    """`sitegen import`: 0 all imported (warnings allowed), 1 some articles skipped, 2 bad usage."""
    if not args.src.exists():
        print(f"sitegen: error: no archive at {args.src}", file=sys.stderr)
        return 2
    if args.into.exists() and not args.into.is_dir():
        print(f"sitegen: error: {args.into} is not a folder", file=sys.stderr)
        return 2
    if args.src.resolve().is_relative_to(args.into.resolve()):
        print(f"sitegen: error: the archive {args.src} is inside {args.into}: import it into another folder",
              file=sys.stderr)
        return 2
    from sitegen.importers import import_archive

    result = import_archive(args.format, args.src, args.into)
    for diagnostic in result.diagnostics:
        print(diagnostic, file=sys.stderr)
    print(f"imported {result.imported} articles into {args.into.as_posix().rstrip('/')}/, {result.skipped} skipped")
    return 1 if result.skipped else 0


def _report(result: BuildResult, quiet: bool) -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    for diagnostic in result.diagnostics:
        print(diagnostic, file=sys.stderr)
    if quiet:
        return
    drafts = f", {result.drafts_skipped} draft(s) left out" if result.drafts_skipped else ""
    where = f" into {_shown(result.output)}" if result.written else "; nothing written"
    if result.written:
        where += f" ({result.changed} files changed{f', {result.removed} removed' if result.removed else ''})"
    print(f"{result.articles} articles, {result.pages} pages, {result.warnings} warnings, "
          f"{result.errors} errors{drafts}{held_note(result)} in {result.seconds:.2f} s{where}{change_note(result)}")


def held_note(result: BuildResult) -> str:
    return f", {result.held_back} scheduled or expired left out" if result.held_back else ""


def change_note(result: BuildResult) -> str:
    """'; next scheduled change: 2026-12-01T06:00:00+00:00 (content/x.md is published)'."""
    return f"; next scheduled change: {result.next_change.describe()}" if result.next_change else ""


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _progress(done: int, total: int) -> None:
    if total >= 500 and (done % 250 == 0 or done == total):
        print(f"\rwriting pages {done}/{total}", end="", file=sys.stderr, flush=True)


# -- authoring: sitegen init, new, check --------------------------------------------------------

def _add_init(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("init", help="start a new site in a folder",
                       description="Write a working site: a commented sitegen.yaml, a sample article, and "
                                   "templates/ and static/ folders. Never overwrites a file.")
    i.add_argument("site", nargs="?", default=".", type=Path, help="the folder (default: the current one; made if missing)")
    i.add_argument("--title", help="the site's title (default: 'News archive')")
    i.add_argument("--base-url", metavar="URL", help="the URL the site is published at")
    i.set_defaults(authoring=run_init)


def run_init(args: argparse.Namespace) -> int:
    """`sitegen init`: 0 written; 2 nothing written (a file is in the way, a bad --base-url)."""
    from sitegen.scaffold import ScaffoldError, init_site

    try:
        written = init_site(args.site, title=args.title, base_url=args.base_url)
    except ScaffoldError as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 2
    for rel in written:
        print(args.site / rel)
    print(f"sitegen: new site in {args.site}; build it with: sitegen build {args.site}", file=sys.stderr)
    return 0


def _add_new(sub: argparse._SubParsersAction) -> None:
    n = sub.add_parser("new", help="write a new article (a draft) and print its path",
                       description="Write content/<section>/<year>/<slug>.md with its front matter filled in, "
                                   "dated now in the site's time zone and marked draft: true. Never overwrites a file.")
    n.add_argument("headline", help="the article's title")
    n.add_argument("--section", default="", help="its section (the folder is the section's slug)")
    n.add_argument("--tags", default="", help="comma-separated tags: a,b")
    n.add_argument("--site", default=Path("."), type=Path, help="the site folder (default: the current one)")
    n.set_defaults(authoring=run_new)


def run_new(args: argparse.Namespace) -> int:
    """`sitegen new`: 0 written (its path printed); 2 nothing written (path taken, bad config, no site)."""
    from datetime import datetime

    from sitegen.config import load_config
    from sitegen.scaffold import ScaffoldError, new_article, write_new

    if not args.site.is_dir():
        print(f"sitegen: error: no site folder at {args.site}", file=sys.stderr)
        return 2
    try:
        config = load_config(args.site)
        article = new_article(args.headline, datetime.now(config.zone), section=args.section,
                              tags=tuple(args.tags.split(",")))
        path = write_new(args.site, config, article)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print("sitegen: nothing written: the configuration has errors", file=sys.stderr)
        return 2
    except ScaffoldError as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _add_check(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("check", help="report every problem of the site and its archive, writing nothing",
                       description="Report every diagnostic the build would give, template errors included, and "
                                   "the archive's health (duplicates, missing images, future dates...). Writes nothing.")
    c.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current one)")
    c.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    c.add_argument("--strict", action="store_true", help="warnings count as errors for the exit status")
    c.add_argument("--drafts", action="store_true", help="check articles marked draft: true too")
    c.set_defaults(authoring=run_check)


def run_check(args: argparse.Namespace) -> int:
    """`sitegen check`: 0 no errors (warnings allowed unless --strict); 1 errors; 2 unreadable config, no site."""
    import json

    from sitegen.check import check, config_report

    if not args.site.is_dir():
        print(f"sitegen: error: no site folder at {args.site}", file=sys.stderr)
        return 2
    status = None
    try:
        report = check(args.site, drafts=args.drafts)
    except ConfigError as exc:
        report, status = config_report(args.site, exc), 2
    if args.format == "json":
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            print(finding.diagnostic)
        if status is None:
            print(f"{report.articles} articles, {report.pages} pages checked: "
                  f"{report.warnings} warnings, {report.errors} errors")
    if status is not None:
        print("sitegen: nothing checked: the configuration has errors", file=sys.stderr)
        return status
    return report.status(strict=args.strict)
