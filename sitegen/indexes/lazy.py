"""numpy and scipy.sparse, imported when first used: they take half a second to import, and
a rebuild whose related articles are kept from the last build never needs them. And the set
operations a rebuild uses, without numpy.ma: np.unique's first call (np.union1d's, np.isin's on
a sort) imports it in numpy 2.3 and later, 15 ms of a rebuild at 10,000 articles."""

from __future__ import annotations

import importlib
from typing import Any

from sitegen.forked import interrupts_held


class OnFirstUse:
    """A module imported by the first attribute asked of it."""

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            # numpy starts OpenBLAS's threads as it is imported: they start with Ctrl-C blocked,
            # and keep it so, as they inherit this thread's mask. A SIGINT is then always the
            # main thread's, held back while it forks (forked.interrupts_held); one a BLAS thread
            # took as the main thread forked was raised among Python's after-fork handlers, and
            # dropped: the build went on to the end.
            with interrupts_held():
                self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


np: Any = OnFirstUse("numpy")
sp: Any = OnFirstUse("scipy.sparse")


def distinct(values: Any) -> Any:
    """``np.unique(values)``: the distinct values, sorted."""
    ordered = np.sort(np.asarray(values), axis=None)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def union(a: Any, b: Any) -> Any:
    """``np.union1d(a, b)``."""
    return distinct(np.concatenate((np.ravel(a), np.ravel(b))))


def within(values: Any, allowed: Any) -> Any:
    """``np.isin(values, allowed)``, by a binary search in ``allowed`` made distinct."""
    allowed = distinct(allowed)
    if not len(allowed):
        return np.zeros(np.shape(values), dtype=bool)
    at = np.minimum(np.searchsorted(allowed, values), len(allowed) - 1)
    return allowed[at] == values
