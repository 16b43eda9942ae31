"""Fast random draws for the simulation.

The generator draws a few hundred million numbers at 10 M events; these helpers
skip what `random.Random`'s own methods spend on argument checks. Their streams
differ from the stdlib methods', so swapping one for the other changes the output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

SECOND = 1_000_000  # timestamps are micros since the epoch

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789_"


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """rng.choice without its overhead."""
    return seq[int(rng.random() * len(seq))]


def rand_int(rng: random.Random, a: int, b: int) -> int:
    """rng.randint without its overhead (same range, different stream)."""
    return a + int(rng.random() * (b - a + 1))


def word(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_ALNUM, k=n))


# exp(z) for 65,536 standard normal deviates: a lognormal draw is one
# getrandbits and one pow (random.gauss is several times slower).
def _exp_z_table(size: int = 65536) -> tuple[float, ...]:
    """exp(z) for `size` standard normal draws of one fixed-seed generator."""
    rng = random.Random("achilles-normals")
    return tuple(math.exp(rng.gauss(0.0, 1.0)) for _ in range(size))


# One generator for the whole table: durations and token counts really vary
# (each entry once had a fresh generator of its own, so every draw was 0.82).
_EXP_Z = _exp_z_table()


def exp_z(rng: random.Random) -> float:
    """exp(z) for a standard normal z, from the table."""
    return _EXP_Z[rng.getrandbits(16)]


def lognormal_us(rng: random.Random, median_s: float, sigma: float, lo: float, hi: float) -> int:
    """A lognormal duration in micros, clamped to [lo, hi] seconds."""
    x = median_s * _EXP_Z[rng.getrandbits(16)] ** sigma
    return int((lo if x < lo else hi if x > hi else x) * SECOND)


def weighted_table(items: Sequence[T], weights: Sequence[float], size: int = 200) -> list[T]:
    """A lookup list in which each item appears in proportion to its weight."""
    total = sum(weights)
    out: list[T] = []
    for item, w in zip(items, weights, strict=True):
        out.extend([item] * max(1, round(size * w / total)))
    return out
