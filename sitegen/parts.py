"""How a pool's work is cut into parts: big ones first, then smaller and smaller ones.

Parts of one size leave the last one to one process while the others wait: at 10,000
articles a render part is a third of a second of one core, a parse part a fifth. Parts that
taper as the work runs out (guided scheduling, as OpenMP calls it) end the processes within
a small part of each other, for few more parts in all.
"""

from __future__ import annotations

TAPER = 4  # a tapered part is the work left over this many times the processes


def part_size(left: int, processes: int, most: int, least: int) -> int:
    """The size of the next part when ``left`` items are left: ``most`` while the rest is more than
    ``TAPER`` such parts per process, then the rest over ``processes * TAPER`` (never fewer than
    ``least`` items, nor more than ``most`` or than are left)."""
    return max(1, min(left, most, max(least, left // (processes * TAPER))))


def tapered(total: int, processes: int, most: int, least: int) -> list[range]:
    """Consecutive parts of ``range(total)``, each of ``part_size`` for what is left after the ones before."""
    parts: list[range] = []
    start = 0
    while start < total:
        size = part_size(total - start, processes, most, least)
        parts.append(range(start, start + size))
        start += size
    return parts
