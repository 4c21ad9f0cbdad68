"""The command line: argument parsing, printing diagnostics, exit codes.

Exit status: 0 built cleanly (warnings allowed); 1 the input had errors (the rest of
the site was still built, unless --strict); 2 nothing was built (bad config, bad
output folder, template failure, bad usage).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitegen import __version__
from sitegen.build import BuildResult, StrictFailure, build
from sitegen.errors import BuildError, ConfigError
from sitegen.importers import FORMATS, import_archive
from sitegen.render import TemplateFailure


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sitegen", description="A static website generator for news archives.")
    p.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build the site once", description="Build the site into its output folder.")
    b.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current one)")
    b.add_argument("-o", "--output", type=Path, help="output folder (default: output_dir from sitegen.yaml, 'public')")
    b.add_argument("--strict", action="store_true", help="fail on any error and leave the previous output as it was")
    b.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    b.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics, no summary line")
    b.add_argument("--no-cache", dest="cache", action="store_false",
                   help="parse every article afresh (the cache in .sitegen-cache/ is neither read nor written)")
    b.add_argument("--base-url", metavar="URL",
                   help="publish at this URL instead of base_url from sitegen.yaml (e.g. a preview under a sub-path)")
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
    _add_import(sub)
    return p


def _add_import(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("import", help="turn an archive from another system into sitegen content",
                       description="Convert an archive (Pelican, Hugo or Jekyll content, IPTC ninjs JSON, plain-text "
                                   "scrapes) into Markdown articles with front matter, as "
                                   "INTO/<section>/<year>/<slug>.md, never overwriting a file.")
    i.add_argument("format", choices=list(FORMATS), metavar="FORMAT", help=f"one of: {', '.join(FORMATS)}")
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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "build":
        return run_watch(args) if args.watch else run_build(args)
    if args.command == "serve":
        return run_serve(args)
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
                       cache=args.cache, progress=progress)
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
    _report(result, quiet=args.quiet)
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
        watch(args.site, args.output, strict=args.strict, drafts=args.drafts, quiet=args.quiet)
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
        serve(args.site, args.output, host=args.host, port=args.port)
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
    print(f"{result.articles} articles, {result.pages} pages, {result.warnings} warnings, "
          f"{result.errors} errors{drafts} in {result.seconds:.2f} s{where}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _progress(done: int, total: int) -> None:
    if total >= 500 and (done % 250 == 0 or done == total):
        print(f"\rwriting pages {done}/{total}", end="", file=sys.stderr, flush=True)
