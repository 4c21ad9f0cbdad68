"""Shared test helpers: real sites written into temporary folders."""

from __future__ import annotations

import os
import signal
import textwrap
import weakref
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/expected from the current build, to review in git")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def default_sigint() -> None:
    """Give a child process the default Ctrl-C handling even when the test runner was started
    in the background (where a shell ignores SIGINT, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def write_files(base: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} below ``base`` (text is dedented)."""
    for rel, data in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return base


def article_md(title: str, date: str, section: str = "World", body: str = "Body text.", **extra: str) -> str:
    """A Markdown article with front matter; extra keys are written as given (YAML values)."""
    lines = ["---", f"title: {title!r}" if "'" not in title else f'title: "{title}"', f"date: {date}",
             f"section: {section}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "\n".join([*lines, "---", "", body, ""])


def sigint_blocked(pid: int, tid: int) -> bool:
    """Whether thread ``tid`` of process ``pid`` holds SIGINT back (its signal mask, in /proc)."""
    status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
    mask = next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1]
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def drop_a_ctrl_c() -> None:
    """Send this process a Ctrl-C from inside a finalizer: Python drops the KeyboardInterrupt
    raised there (it prints "Exception ignored"), as it does one that lands while a child is
    reaped by a finalizer or in an after-fork handler."""
    class Dropped:
        pass

    dropped = Dropped()
    weakref.finalize(dropped, os.kill, os.getpid(), signal.SIGINT)
    del dropped  # (its finalizer runs here)


# ``python -c DROPPED_CTRL_C N ARGS...`` runs ``sitegen ARGS...`` with a Ctrl-C dropped by Python
# (drop_a_ctrl_c) as the build's plan stage starts, the Nth time it does.
DROPPED_CTRL_C = f"""
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import sitegen.build
from conftest import drop_a_ctrl_c
from sitegen.cli import run

at, calls, plan = int(sys.argv.pop(1)), [], sitegen.build.plan_gathered

def plan_gathered(*args, **kwargs):
    calls.append(1)
    if len(calls) == at:
        drop_a_ctrl_c()
    return plan(*args, **kwargs)

sitegen.build.plan_gathered = plan_gathered
sys.argv[0] = "sitegen"
run()
"""


@pytest.fixture
def site(tmp_path: Path):
    """A factory: site({'content/a.md': ...}) -> the site folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path / "site", files)

    return make
