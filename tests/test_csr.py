"""The numpy CSR products of a repair (indexes/csr.py) give scipy.sparse's bits: the cold
pairing of a large archive goes through scipy, a repair of a few rows (and a small archive's
pairing) through these, and the two must agree."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sitegen.indexes.csr import Csr, column_slice, columns, pair_products, product, row_sums


def random_csr(rng: np.random.Generator, rows: int, cols: int, per_row: int) -> sp.csr_matrix:
    """Rows of up to ``per_row`` entries of widely spread weights (sums whose bits depend on the
    order they are added in), some rows empty."""
    indptr, indices, data = [0], [], []
    for i in range(rows):
        k = 0 if i % 7 == 3 else int(rng.integers(1, per_row + 1))
        indices.extend(sorted(rng.choice(cols, size=k, replace=False).tolist()))
        data.extend((rng.random(k) * 10.0 ** rng.integers(-8, 3, size=k)).tolist())
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr)), shape=(rows, cols))


def entries(m: "Csr | sp.csr_matrix") -> dict[tuple[int, int], bytes]:
    owner = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return {(int(i), int(k)): v.tobytes() for i, k, v in zip(owner, m.indices, m.data)}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_product_is_scipys_entry_for_entry(rng):
    a, b = random_csr(rng, 60, 300, 24), random_csr(rng, 300, 90, 40)
    got = product(Csr.of(a), Csr.of(b))
    want = (a @ b).tocsr()
    assert got.shape == want.shape and entries(got) == entries(want)
    assert all(np.all(np.diff(got.indices[s:e]) > 0) for s, e in zip(got.indptr[:-1], got.indptr[1:]))
    # the order of the fold shows: the same sums taken in another order differ in some bits
    flip = np.arange(b.shape[0])[::-1]  # a's columns and b's rows in the other order: the same product
    a_flipped = sp.csr_matrix((a.data, flip[a.indices], a.indptr), shape=a.shape).sorted_indices()
    other = entries(product(Csr.of(a_flipped), Csr.of(b[flip])))
    assert other.keys() == entries(want).keys() and other != entries(want)


def test_a_product_of_some_rows_and_of_none(rng):
    a, b = random_csr(rng, 40, 120, 10), random_csr(rng, 120, 50, 10)
    chunk = np.array([2, 3, 17, 39])
    assert entries(product(Csr.of(a).rows(chunk), Csr.of(b))) == entries((a[chunk] @ b).tocsr())
    empty = Csr.of(a).rows(np.array([3, 10]))  # rows without entries (every 7th from the 4th)
    assert product(empty, Csr.of(b)).indptr.tolist() == [0, 0, 0]


def test_pair_products_and_row_sums_are_scipys(rng):
    x = random_csr(rng, 80, 60, 24)
    rows, cols = rng.integers(0, 80, size=300), rng.integers(0, 80, size=300)
    got = pair_products(Csr.of(x), rows, cols)
    want = x[rows].multiply(x[cols]).tocsr()
    want.sort_indices()
    for name in ("data", "indices", "indptr"):
        assert getattr(got, name).tobytes() == getattr(want, name).astype(getattr(got, name).dtype).tobytes(), name
    assert row_sums(got).tobytes() == np.asarray(want.sum(axis=1)).ravel().tobytes()


def test_columns_and_column_slices_are_scipys(rng):
    x = random_csr(rng, 70, 40, 12)
    cols = np.array([0, 5, 6, 21, 39])
    got, want = columns(Csr.of(x), cols), x.T.tocsr()[cols]
    assert got.shape == want.shape and entries(got) == entries(want)
    assert all(np.all(np.diff(got.indices[s:e]) > 0) for s, e in zip(got.indptr[:-1], got.indptr[1:]))
    got, want = column_slice(Csr.of(x), cols), x.tocsc()[:, cols].tocsr()
    assert got.shape == want.shape and entries(got) == entries(want)
