"""A pool's parts: every item once, in order; big parts first, then smaller ones, so that the
processes end close together."""

from __future__ import annotations

import pytest

from sitegen.parts import part_size, tapered


@pytest.mark.parametrize("total, processes, most, least", [
    (0, 2, 50, 20), (1, 2, 50, 20), (7, 3, 2, 1), (1000, 2, 50, 20), (14925, 2, 466, 20), (10000, 8, 625, 25),
])
def test_the_parts_hold_every_item_once_in_order(total, processes, most, least):
    parts = tapered(total, processes, most, least)
    assert [i for part in parts for i in part] == list(range(total))
    assert all(len(part) >= 1 and len(part) <= most for part in parts)


def test_parts_taper_as_the_work_runs_out():
    sizes = [len(part) for part in tapered(14925, 2, 466, 20)]
    assert sizes[0] == 466 and sizes == sorted(sizes, reverse=True)[:len(sizes) - 1] + sizes[-1:]
    assert sizes[-2] == 20 and sizes[-1] <= 20  # the smallest last: one of them is all a process waits for
    assert len(sizes) < 2 * (14925 // 466)       # for few more parts than parts of one size
    # the rest shared out: no part is more than a quarter of what is left per process
    done = 0
    for size in sizes:
        assert size <= max(20, (14925 - done) // 8)
        done += size


def test_a_nought_least_still_makes_progress():
    assert [len(part) for part in tapered(3, 4, 10, 0)] == [1, 1, 1]


def test_a_part_is_the_most_until_the_rest_runs_short_then_a_share_of_the_rest():
    assert part_size(10_000, 2, 466, 20) == 466
    assert part_size(2_000, 2, 466, 20) == 250      # 2,000 left over 2 processes x 4
    assert part_size(100, 2, 466, 20) == 20         # never fewer than the least...
    assert part_size(7, 2, 466, 20) == 7            # ...nor more than are left
