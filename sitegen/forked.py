"""Calls made in a forked process beside the caller's own work, their results sent back pickled.

A rebuild after an edit runs on one core, in stages that wait for each other; work that depends
only on what is known as it starts (the content folder's listing and stats, the output files'
stats against the last manifest) can run on the other core while the parent goes on. The child
ends with ``os._exit``: no clean-up of the parent's state runs twice. Where there is no
``fork``, or the child fails, ``result`` raises Unavailable and the caller makes the call itself.

Fork while the process is small: a child forked once the articles were loaded (the related
lists' repair, at 10,000 articles) made the edit slower, 1.10 -> 1.35 s, for every page of the
heap that either process then touched (reference counts) was copied. So one child makes several
calls, one after another, each result sent as soon as it is made (a pipe each): the first is
ready for the parent early, the later ones when it asks. A child whose results are no longer
wanted is ended, not waited for (``stop``, and when the Forked object goes).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import threading
import weakref
from contextlib import contextmanager
from types import FrameType
from typing import Any, Callable, Iterator, Sequence

LENGTH = 8  # bytes before each result: its length, so a result cut short by a dying child is known


class Unavailable(Exception):
    """No result from the child: no fork here, or it failed (it was killed, or raised)."""


class Forked:
    """``call(*args)`` in a child forked now, then each of ``then`` (``(call, args)`` pairs);
    ``result(step)`` waits for the result of call ``step`` (0: ``call``) and gives it, once."""

    def __init__(self, call: Callable[..., Any], *args: Any, then: Sequence[tuple[Callable[..., Any], tuple]] = ()):
        self._pid: int | None = None
        self._fds: list[int] = []   # each call's pipe, by step
        self._open: list[int] = []  # those not read yet (the reaper closes them)
        self._read: dict[int, bytes] = {}  # step -> its data, read ahead of a later step's (a step given is in neither)
        if not hasattr(os, "fork"):
            return
        calls = [(call, args), *then]
        pipes = [os.pipe() for _ in calls]
        with interrupts_held():
            pid = os.fork()
        if pid == 0:  # the child: each result pickled into its pipe; 0 only when all are there
            status = 1
            try:
                release_interrupts()
                for read, _ in pipes:
                    os.close(read)
                for (made, made_args), (_, write) in zip(calls, pipes):
                    data = pickle.dumps(made(*made_args), protocol=pickle.HIGHEST_PROTOCOL)
                    with os.fdopen(write, "wb") as pipe:
                        pipe.write(len(data).to_bytes(LENGTH, "little") + data)
                status = 0
            finally:
                os._exit(status)
        for _, write in pipes:
            os.close(write)
        self._pid, self._fds = pid, [read for read, _ in pipes]
        self._open = list(self._fds)
        self._reaper = weakref.finalize(self, _reap, pid, self._open)  # never asked (the parent raised first): no zombie

    @property
    def running(self) -> bool:
        """Whether there is a child (forked, not yet stopped or finished)."""
        return self._pid is not None

    def result(self, step: int = 0) -> Any:
        if not 0 <= step < len(self._fds) or (self._fds[step] not in self._open and step not in self._read):
            raise Unavailable("no child, or no such result (each is given once)")
        # In order: the child writes them so, and would wait on a full pipe while this waits on another.
        for earlier, fd in enumerate(self._fds[:step + 1]):
            if fd in self._open:
                self._open.remove(fd)
                self._read[earlier] = _drained(fd)
        data = self._read.pop(step)
        if not self._open and self._pid is not None:  # every pipe read: the child has ended, or is ending
            self._finish()
        if len(data) < LENGTH or int.from_bytes(data[:LENGTH], "little") != len(data) - LENGTH:
            raise Unavailable("the child ended before this result was whole")
        return pickle.loads(memoryview(data)[LENGTH:])  # (not a copy of what may be hundreds of MB)

    def stop(self) -> None:
        """End the child now if it has not ended (results not asked for are dropped): for a call
        whose work is moot past some point of the parent's (see build.warm_templates)."""
        if self._pid is not None:
            _reap(self._pid, self._open)
            self._open.clear()
            self._read.clear()
            self._pid = None
            self._reaper.detach()

    def _finish(self) -> None:
        pid, self._pid = self._pid, None
        self._reaper.detach()
        os.waitpid(pid, 0)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back while this process forks (``os.fork``, or a pool starting its
    workers), then delivered. Python runs the handlers registered for a fork (the logging
    module's, which multiprocessing imports) after it in the parent, and a KeyboardInterrupt
    raised inside one of them is printed and dropped: a Ctrl-C that came as a render pool
    started was lost, and the build went on to the end (2 of 80 tries with the signal sent
    then). A child starts with it held too; ``release_interrupts`` lets it through there."""
    if not hasattr(signal, "pthread_sigmask"):  # (no signal masks here: nothing to hold)
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Interrupts:
    remembered = False  # within interrupts_remembered
    came = False  # a Ctrl-C (or serve's SIGTERM) came within it


_interrupts = _Interrupts()


def interrupt(signum: int = signal.SIGINT, frame: FrameType | None = None) -> None:
    """A signal handler: KeyboardInterrupt, as Python's own for Ctrl-C, remembered within
    ``interrupts_remembered``."""
    _interrupts.came = _interrupts.remembered
    raise KeyboardInterrupt


@contextmanager
def interrupts_remembered() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt as Python's own handler does, and is remembered too, until
    the block ends. Python drops an exception raised in a finalizer, a weakref callback or an
    after-fork handler (it prints "Exception ignored" and goes on), and a Ctrl-C is raised in
    whatever Python code runs next: one that came while a dropped child was reaped went unseen,
    the build ran to its end and exited 0, and a watch went on watching. ``check_interrupted``
    raises it again where the build can still stop cleanly. Only in the main thread, and only
    over Python's own handler (a Ctrl-C ignored, as for a background job, stays ignored), or over
    this one left by a Ctrl-C that came as it was being replaced (``signal.signal`` runs a pending
    handler first, and then does not replace it): outside a block it does as Python's does."""
    if threading.current_thread() is not threading.main_thread() or _interrupts.remembered \
            or signal.getsignal(signal.SIGINT) not in (signal.default_int_handler, interrupt):
        yield
        return
    try:
        signal.signal(signal.SIGINT, interrupt)
        _interrupts.remembered, _interrupts.came = True, False
        yield
    finally:
        _interrupts.remembered = _interrupts.came = False  # (first: the restore below may raise)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def check_interrupted() -> None:
    """KeyboardInterrupt again when a Ctrl-C came that Python dropped (see ``interrupts_remembered``):
    called between a build's stages, between parts of its pages, before its output is swapped
    in, and between a watch's builds."""
    if _interrupts.came:
        raise KeyboardInterrupt


def release_interrupts() -> None:
    """In a child forked under ``interrupts_held``: Ctrl-C reaches it again."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def idle_priority() -> None:
    """For a child's work that may wait: run only when a core has nothing else to run (Linux's
    SCHED_IDLE; at nice 19 a child still slowed the parse stage, by 0.04 of 0.3 s at 1,000
    articles), else at nice 19."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        os.nice(19)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_MOST = 32 << 20  # glibc's largest mmap threshold on 64-bit systems


def keep_freed_memory() -> None:
    """In a worker that makes and drops large arrays part after part (the related lists'
    pairing): keep the memory each part frees for the next, instead of giving it back to the
    system and having the kernel fault in and zero every page again. glibc maps an array above
    its mmap threshold afresh each time and trims a free top of the heap; with the largest
    threshold and no trimming short of 1 GB, the two pair workers of a cold build at 10,000
    articles took 90,000 page faults fewer. The worker's peak is the same: it is reached by
    each part anyway. A no-op where there is no glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MOST)
    mallopt(M_TRIM_THRESHOLD, 1 << 30)


def _drained(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


def _reap(pid: int, fds: list[int]) -> None:
    """End the child and wait for it: its results are not wanted any more (the child may be at
    the lowest priority, so on a busy machine it could take long to end by itself)."""
    for fd in fds:
        os.close(fd)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # (already waited for)
        pass
    os.waitpid(pid, 0)
