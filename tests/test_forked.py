"""A call in a forked process: its result comes back whole, a failure says so (the caller then
makes the call itself), and no child is left behind."""

from __future__ import annotations

import gc
import os
import platform
import signal

import pytest

from conftest import sigint_blocked
from sitegen.forked import Forked, Unavailable, check_interrupted, interrupts_remembered


def made_here_and_there(size: int) -> tuple[int, bytes, list[str]]:
    return os.getpid(), bytes(range(256)) * size, ["a", "é", "北京"]


def fails() -> None:
    raise ValueError("no")


def test_the_result_comes_back_from_another_process():
    child = Forked(made_here_and_there, 40_000)  # 10 MB: more than a pipe holds at once
    pid, data, words = child.result()
    assert pid != os.getpid()
    assert data == bytes(range(256)) * 40_000 and words == ["a", "é", "北京"]
    with pytest.raises(Unavailable):
        child.result()  # once only


def test_a_child_that_raises_gives_no_result():
    with pytest.raises(Unavailable):
        Forked(fails).result()


def test_without_fork_there_is_no_child(monkeypatch):
    monkeypatch.delattr(os, "fork")
    with pytest.raises(Unavailable):
        Forked(made_here_and_there, 1).result()


def test_a_child_never_asked_is_waited_for():
    child = Forked(made_here_and_there, 1)
    pid = child._pid
    del child
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already: no zombie


def test_later_calls_come_back_each_in_its_own_pipe_asked_in_any_order():
    child = Forked(made_here_and_there, 40_000, then=[(made_here_and_there, (20_000,)), (len, ("abc",))])
    assert child.result(2) == 3  # the two before it, larger than a pipe holds, are read and kept
    pid, data, _ = child.result(0)
    assert pid != os.getpid() and len(data) == 256 * 40_000
    assert child.result(1)[0] == pid  # one child made all three
    with pytest.raises(Unavailable):
        child.result(1)
    with pytest.raises(Unavailable):
        child.result(3)


def test_a_later_call_that_raises_leaves_the_earlier_results():
    child = Forked(made_here_and_there, 1, then=[(fails, ()), (made_here_and_there, (1,))])
    assert child.result(0)[2] == ["a", "é", "北京"]
    with pytest.raises(Unavailable):
        child.result(1)
    with pytest.raises(Unavailable):
        child.result(2)  # the child ended at the failure


def test_a_child_asked_for_its_first_result_only_is_waited_for():
    child = Forked(made_here_and_there, 1, then=[(made_here_and_there, (40_000,))])  # blocked on a full pipe
    pid = child._pid
    assert child.result(0)[0] == pid
    del child
    gc.collect()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_a_child_no_longer_wanted_is_ended_not_waited_for():
    import time

    started = time.monotonic()
    child = Forked(len, "ab", then=[(time.sleep, (60,))])
    assert child.result(0) == 2
    pid = child._pid
    child.stop()  # the sleep is moot: ended, and reaped
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(Unavailable):
        child.result(1)
    child.stop()  # (again: nothing to do)


def test_a_child_still_busy_when_it_goes_is_ended():
    import time

    started = time.monotonic()
    child = Forked(time.sleep, 60)
    pid = child._pid
    del child
    gc.collect()
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# Ctrl-C landing while the process forks: os.kill from an after-fork handler in the parent, where
# Python would drop the KeyboardInterrupt (as it did a build's, when its render pool started).
CTRL_C_AS_IT_FORKS = """
import os, signal, sys
os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
try:
    {fork}
    for _ in range(1000):
        pass
    print("went on")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.parametrize("fork", [
    "from sitegen.forked import Forked; Forked(int).result()",
    "import multiprocessing; from sitegen.forked import interrupts_held\n"
    "    with interrupts_held():\n        pool = multiprocessing.get_context('fork').Pool(1)",
])
def test_ctrl_c_as_the_process_forks_interrupts_it(fork):
    import subprocess
    import sys

    from conftest import ROOT, default_sigint

    run = subprocess.run([sys.executable, "-c", CTRL_C_AS_IT_FORKS.format(fork=fork)], capture_output=True, text=True,
                         cwd=ROOT, preexec_fn=default_sigint, timeout=60)
    assert run.stdout.strip() == "interrupted", run.stderr


def growing_parts(keep: bool) -> int:
    """Page faults of making and dropping ever larger buffers, each page written (as the pair
    workers' arrays grow and shrink from part to part), after keep_freed_memory or not."""
    import resource

    from sitegen.forked import keep_freed_memory

    if keep:
        keep_freed_memory()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for size in (4 << 20, 8 << 20, 12 << 20, 16 << 20, 20 << 20, 24 << 20):
        buf = bytearray(size)
        buf[::4096] = b"x" * len(range(0, size, 4096))
        del buf
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_memory_a_kept_worker_frees_is_used_again_without_faults():
    """keep_freed_memory (the related lists' pair workers): the memory each part frees is kept
    for the next, not handed back and faulted in again page by page (84 MB of buffers here: glibc
    maps each one afresh, as each is larger than the last freed)."""
    kept = Forked(growing_parts, True).result()
    given_back = Forked(growing_parts, False).result()
    assert given_back > 15_000  # 84 MB in 4 KB pages, each faulted in
    assert kept < given_back / 2, (kept, given_back)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads threads' signal masks in /proc")
def test_the_threads_numpy_starts_never_take_a_ctrl_c():
    """numpy, imported on first use (indexes/lazy.py), starts OpenBLAS's threads: they block SIGINT,
    so a Ctrl-C is the main thread's, held back while it forks (interrupts_held). One a BLAS
    thread took as the build forked was dropped, and the build went on to the end."""
    import subprocess
    import sys

    # A child that imports numpy as the build does, then waits to be looked at.
    code = "import sys\nfrom sitegen.indexes.lazy import np\nnp.zeros(1)\nprint('ready', flush=True)\nsys.stdin.read()\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"  # type: ignore[union-attr]
        others = [int(task) for task in os.listdir(f"/proc/{child.pid}/task") if int(task) != child.pid]
        blocked = {tid: sigint_blocked(child.pid, tid) for tid in others}
    finally:
        child.communicate("")
    if not blocked:
        pytest.skip("numpy started no thread here (one core, or OpenBLAS set to one thread)")
    assert all(blocked.values()), blocked


def test_a_ctrl_c_is_remembered_within_the_block_over_pythons_own_handler_only():
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with interrupts_remembered():
            check_interrupted()  # (none came)
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass  # dropped, as Python drops one raised in a finalizer
            with pytest.raises(KeyboardInterrupt):
                check_interrupted()
            with pytest.raises(KeyboardInterrupt):
                check_interrupted()  # (until the block ends)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        check_interrupted()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a background job's): left so, and nothing remembered
        with interrupts_remembered():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
            check_interrupted()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_ctrl_c_pending_as_the_block_ends_leaves_nothing_remembered(monkeypatch):
    """``signal.signal`` runs a pending handler before it replaces it, and then does not replace
    it: a Ctrl-C that came just as the block ended raised KeyboardInterrupt from the restoring call
    with the memory still set, and every later build of the process stopped at its first check."""
    import ctypes
    import functools
    import operator
    import types

    import sitegen.forked as forked

    kill, real = functools.partial(ctypes.CDLL(None).kill, os.getpid(), signal.SIGINT), signal.signal

    def restoring(number, handler):  # the signal sent at C level, no Python line between it and the call
        if handler is signal.default_int_handler:
            return list(map(operator.call, [kill, functools.partial(real, number, handler)]))[1]
        return real(number, handler)

    monkeypatch.setattr(forked, "signal", types.SimpleNamespace(
        **{name: getattr(signal, name) for name in dir(signal) if not name.startswith("__")} | {"signal": restoring}))
    before = real(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_remembered():
                pass
        try:
            check_interrupted()
        except KeyboardInterrupt:  # (raised on, it would end the whole test run)
            pytest.fail("a Ctrl-C is still remembered after the block")
        monkeypatch.undo()
        with interrupts_remembered():  # (and a later block still remembers)
            assert signal.getsignal(signal.SIGINT) is forked.interrupt
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
            with pytest.raises(KeyboardInterrupt):
                check_interrupted()
        check_interrupted()
    finally:
        real(signal.SIGINT, before)
