"""Fast draws for generating a million rows: the stdlib's convenience methods redo work on
every call (``random.choices`` rebuilds its cumulative weights), these do it once."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Values drawn in proportion to their weights."""

    def __init__(self, pairs: Sequence[tuple[T, float]]):
        self.values = [value for value, _ in pairs]
        total = sum(weight for _, weight in pairs)
        self.cumulative = [running / total for running in accumulate(w for _, w in pairs)]
        self.cumulative[-1] = 1.0

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect_right(self.cumulative, rng.random())]


def one_of(rng: random.Random, values: Sequence[T]) -> T:
    return values[int(rng.random() * len(values))]


def between(rng: random.Random, low: int, high: int) -> int:
    """A whole number in [low, high)."""
    return low + int(rng.random() * (high - low))
