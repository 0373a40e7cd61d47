# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Timing helpers shared by the benchmarks: interleaved repeats with their
spread, and compile times, so that every ratio compares runs made side by side."""

from dataclasses import dataclass
import time
from typing import Callable

import numpy as np

import jax


@dataclass
class Timing:
    """Seconds of repeated runs: median and the 10th and 90th percentiles."""

    runs: np.ndarray

    @property
    def median(self) -> float:
        return float(np.median(self.runs))

    @property
    def spread(self) -> tuple[float, float]:
        return float(np.percentile(self.runs, 10)), float(np.percentile(self.runs, 90))


def interleaved(
    fns: dict[str, Callable], args: tuple, repeats: int
) -> dict[str, Timing]:
    """Time each function on ``args`` ``repeats`` times, taking turns, after one
    call to compile it."""
    for fn in fns.values():
        jax.block_until_ready(fn(*args))
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(fn(*args))
            runs[name].append(time.perf_counter() - start)
    return {name: Timing(np.array(r)) for name, r in runs.items()}


def ratio_spread(a: Timing, b: Timing) -> tuple[float, float, float]:
    """The median ratio of paired runs ``a / b``, with its 10th and 90th
    percentiles."""
    r = a.runs / b.runs
    return float(np.median(r)), float(np.percentile(r, 10)), float(np.percentile(r, 90))


def compile_times(
    makers: dict[str, Callable[[], Callable]], args: tuple, repeats: int
) -> dict[str, Timing]:
    """Seconds to lower and compile a fresh ``jax.jit`` of each maker's function,
    taking turns; a fresh function each time, so that no cache serves it."""
    runs: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(repeats):
        for name, make in makers.items():
            fn = jax.jit(make())
            start = time.perf_counter()
            fn.lower(*args).compile()
            runs[name].append(time.perf_counter() - start)
    return {name: Timing(np.array(r)) for name, r in runs.items()}


def hlo_lines(fn: Callable, args: tuple) -> int:
    """Lines of the optimized HLO of ``jax.jit(fn)``."""
    return len(jax.jit(fn).lower(*args).compile().as_text().splitlines())


def fmt_ratio(a: Timing, b: Timing) -> str:
    median, low, high = ratio_spread(a, b)
    return f"{median:6.3f} [{low:.3f}, {high:.3f}]"
