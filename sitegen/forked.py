"""A call made in a forked process beside the caller's own work, its result sent back pickled.

A rebuild after an edit runs on one core, in stages that wait for each other; work that depends
only on what is known as it starts (the output files' stats against the last manifest) can run
on the other core while the parent goes on. The child ends with ``os._exit``: no clean-up of the
parent's state runs twice. Where there is no ``fork``, or the child fails, ``result`` raises
Unavailable and the caller makes the call itself.

Fork while the process is small: a child forked once the articles were loaded (the related
lists' repair, at 10,000 articles) made the edit slower, 1.10 -> 1.35 s, for every page of the
heap that either process then touched (reference counts) was copied.
"""

from __future__ import annotations

import os
import pickle
import weakref
from typing import Any, Callable


class Unavailable(Exception):
    """No result from the child: no fork here, or it failed (it was killed, or raised)."""


class Forked:
    """``call(*args)`` in a child forked now; ``result()`` waits for it and gives what it returned."""

    def __init__(self, call: Callable[..., Any], *args: Any):
        self._pid: int | None = None
        self._fd = -1
        if not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its result pickled into the pipe, and out, 0 only when it is all there
            status = 1
            try:
                os.close(read)
                data = pickle.dumps(call(*args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._fd = pid, read
        self._reaper = weakref.finalize(self, _reap, pid, read)  # never asked (the parent raised first): no zombie

    def result(self) -> Any:
        if self._pid is None:
            raise Unavailable("no child")
        pid, self._pid = self._pid, None
        self._reaper.detach()
        with os.fdopen(self._fd, "rb") as pipe:
            data = pipe.read()
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if code != 0:
            raise Unavailable(f"the child ended with status {code}")
        return pickle.loads(data)


def _reap(pid: int, fd: int) -> None:
    os.close(fd)
    os.waitpid(pid, 0)
