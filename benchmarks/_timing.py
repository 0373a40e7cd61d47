# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Timing helpers shared by the benchmarks: interleaved repeats with their
spread, and compile times, so that every ratio compares runs made side by side."""

from dataclasses import dataclass
import os
import sys
import time
from typing import Callable

import numpy as np

import jax

#: glibc's malloc returns blocks above its mmap threshold to the system when
#: they are freed and maps them afresh at the next call, page faults and all.
#: The threshold moves with the history of the process, so that at N = 1e6 one
#: process times the Power Law + Peak log-likelihood and its gradient at 7 ms
#: and the next at 20 ms, the more so the more temporaries a program has.
#: Even at glibc's largest threshold (32 MiB), a program whose temporaries add
#: up to more (XLA allocates them as one block per call) is timed with or
#: without those page faults according to whether the heap happens to hold a
#: free block that large: at N = 1e6 the same program took 5 ms in one process
#: and 13 ms in the next. With mmap turned off every block comes from the heap,
#: which keeps what is freed, and every process times the same.
PINNED_MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": "1073741824",
}


def pin_malloc() -> str:
    """Run this script again with glibc's malloc thresholds pinned (see
    ``PINNED_MALLOC``) unless they are set; returns a line saying what is in
    force, for the header of the output. Call it first in ``main``."""
    if not sys.platform.startswith("linux"):
        return "allocator: the platform's default"
    if any(name not in os.environ for name in PINNED_MALLOC):
        env = dict(os.environ, **PINNED_MALLOC)
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    settings = ", ".join(f"{name}={os.environ[name]}" for name in PINNED_MALLOC)
    return f"allocator: glibc malloc with {settings}"


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


#: Each repeat times calls in a row adding up to about this many seconds, so
#: that a call of a fraction of a millisecond is not timed by one dispatch's
#: jitter.
BATCH_SECONDS = 2e-3


def timed(fn: Callable, args: tuple, calls: int = 1) -> float:
    """Seconds per call of ``calls`` calls of ``fn`` in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / calls


def interleaved(
    fns: dict[str, Callable], args: tuple, repeats: int
) -> dict[str, Timing]:
    """Seconds per call of each function on ``args``, ``repeats`` times, taking
    turns (the order reversed at every repeat), after one call to compile it. A
    repeat is as many calls in a row as the slowest function makes in about
    ``BATCH_SECONDS`` (at most 100), the same number for each."""
    for fn in fns.values():
        jax.block_until_ready(fn(*args))
    once = max(min(timed(fn, args) for _ in range(3)) for fn in fns.values())
    calls = int(min(max(BATCH_SECONDS // once, 1), 100))
    runs: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for _ in range(repeats):
        for name in order:
            runs[name].append(timed(fns[name], args, calls))
        order.reverse()
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
