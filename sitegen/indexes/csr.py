"""Sparse matrices as their CSR arrays in numpy alone (Csr), and the products of related
articles for a few rows with the same bits as scipy.sparse's.

A rebuild reads and writes the kept vectors without scipy, which only pairing needs. A repair
after an edit (repair.py) scores again a handful of rows: importing scipy.sparse for them took
0.14 s, a seventh of a rebuild at 10,000 articles (its array-API layer loads every numpy
submodule). These do scipy's arithmetic in scipy's order: its CSR product folds each entry
left to right over the left row's entries, and np.bincount adds its weights in order; a row
sum is scipy's own np.add.reduceat. tests/test_csr.py holds them to scipy's bits. A whole
pairing goes through them too below 1,200 articles (similar.SCIPY_FROM), where importing scipy
costs more than their slower loops; above, through scipy, whose C loops are faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sitegen.indexes.lazy import np, sp, within
from sitegen.indexes.words import spans


class Csr(NamedTuple):
    """A sparse matrix as its CSR arrays."""
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of(cls, m: "sp.csr_matrix") -> "Csr":
        return cls(m.data, m.indices, m.indptr, m.shape)

    def matrix(self) -> "sp.csr_matrix":
        """As a scipy matrix (scipy is imported now)."""
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def rows(self, rows: np.ndarray) -> "Csr":
        """These rows, in this order."""
        sizes = np.diff(self.indptr)[rows]
        at = spans(self.indptr[rows], sizes)
        return Csr(self.data[at], self.indices[at], ptr_of_sizes(sizes), (len(rows), self.shape[1]))

    @classmethod
    def stacked(cls, parts: Sequence["Csr"], width: int) -> "Csr":
        """The rows of ``parts``, one after another."""
        if not parts:
            return cls(np.empty(0), np.empty(0, dtype=np.int32), np.zeros(1, dtype=np.int64), (0, width))
        sizes = np.concatenate([np.diff(part.indptr) for part in parts])
        return cls(np.concatenate([part.data for part in parts]), np.concatenate([part.indices for part in parts]),
                   ptr_of_sizes(sizes), (len(sizes), width))


def product(a: Csr, b: Csr) -> Csr:
    """``a @ b``: each entry the sum of a[i, j] * b[j, k] over row i's entries of ``a`` in their
    order, zeros left out, as scipy's csr_matmat makes them (columns in order within a row,
    where scipy's follow first use: no caller reads that order)."""
    width = b.shape[1]
    sizes = np.diff(b.indptr)[a.indices]  # per entry of a: how many entries b's row j has
    used = np.flatnonzero(sizes)  # (in order: the fold's order)
    sizes, j = sizes[used], a.indices[used]
    at = spans(b.indptr[j], sizes)
    owner = np.repeat(np.searchsorted(a.indptr, used, side="right") - 1, sizes)
    values = np.repeat(a.data[used], sizes) * b.data[at]
    keys, slot = np.unique(owner * width + b.indices[at], return_inverse=True)
    sums = np.bincount(slot.ravel(), weights=values, minlength=len(keys))  # in order, from 0: scipy's fold
    keep = sums != 0
    keys = keys[keep]
    return Csr(sums[keep], (keys % width).astype(np.int32), ptr_of(keys // width, a.shape[0]), (a.shape[0], width))


def pair_products(x: Csr, rows: np.ndarray, cols: np.ndarray) -> Csr:
    """``x[rows].multiply(x[cols])`` with sorted indices: per pair (a row each), the products of
    the two rows' weights on the terms both hold, zeros left out."""
    a, b = x.rows(rows), x.rows(cols)
    width = x.shape[1]
    keys_a = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(a.indptr)) * width + a.indices
    keys_b = np.repeat(np.arange(len(cols), dtype=np.int64), np.diff(b.indptr)) * width + b.indices
    keys, in_a, in_b = np.intersect1d(keys_a, keys_b, assume_unique=True, return_indices=True)
    data = a.data[in_a] * b.data[in_b]
    keep = data != 0
    keys = keys[keep]
    return Csr(data[keep], (keys % width).astype(np.int32), ptr_of(keys // width, len(rows)), (len(rows), width))


def row_sums(m: Csr) -> np.ndarray:
    """Each row's sum, as scipy's ``sum(axis=1)`` of a CSR matrix adds it (np.add.reduceat over the
    rows that have entries): the same bits for a scipy matrix or a Csr of the same arrays."""
    sums = np.zeros(m.shape[0])
    filled = np.flatnonzero(np.diff(m.indptr))
    if len(filled):
        sums[filled] = np.add.reduceat(m.data, m.indptr[filled].astype(np.intp))
    return sums


def columns(x: Csr, cols: np.ndarray) -> Csr:
    """``x.T.tocsr()[cols]``: the entries of the columns ``cols`` (sorted, distinct) of ``x``, a
    row each, in row order."""
    pick = np.flatnonzero(within(x.indices, cols))
    which = np.searchsorted(cols, x.indices[pick])
    order = np.argsort(which, kind="stable")  # a column's entries stay in row order
    pick, which = pick[order], which[order]
    owner = np.searchsorted(x.indptr, pick, side="right") - 1
    return Csr(x.data[pick], owner.astype(np.int32), ptr_of(which, len(cols)), (len(cols), x.shape[0]))


def column_slice(m: Csr, cols: np.ndarray) -> Csr:
    """``m[:, cols]`` (``cols`` sorted, distinct), as CSR: the columns renumbered 0, 1, ..."""
    keep = within(m.indices, cols)
    owner = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))[keep]
    return Csr(m.data[keep], np.searchsorted(cols, m.indices[keep]).astype(np.int32), ptr_of(owner, m.shape[0]),
               (m.shape[0], len(cols)))


def ptr_of(owner: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers of entries owned by ``owner`` (sorted), for ``n`` rows."""
    return ptr_of_sizes(np.bincount(owner, minlength=n))


def ptr_of_sizes(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
