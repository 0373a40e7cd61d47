# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Truncated distributions: ours / NumPyro 0.22, measured side by side in one run.

For every truncated distribution (float32, scalar parameters, CPU) the jit-compiled
``sample``, ``log_prob``, gradient of the summed ``log_prob`` with respect to every
parameter, and ``icdf`` over N points are timed in interleaved repeats (the order
alternating); each row gives the median times and the median of the per-repeat
ratios ours / NumPyro with their interquartile range (a repeat times as many calls
in a row as take about 2 ms, so that a call of a fraction of a millisecond is
not one dispatch's jitter). Then the compile times
(``jax.jit(f).lower(...).compile()``, fresh functions, interleaved, median of
repeats), the sizes of the lowered programs (StableHLO lines) and the number of
kernels XLA compiles for them, and the same for a mixture of a power law and
seven truncated normals: NumPyro's ``MixtureGeneral`` over our components or
over NumPyro's.

    python benchmarks/bench_truncated.py [--quick] [--repeats 21] [--n 1000 100000]
"""

import argparse
from pathlib import Path
import re
import sys
import time

import numpy as np

import jax
import jax.numpy as jnp

import numpyro.distributions as dist
import numpyro.distributions.truncated as stock
import numpyro_mixsupport.distributions.truncated as ours

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import BATCH_SECONDS, interleaved, pin_malloc  # noqa: E402

F32 = jnp.float32


def _normal(module, p):
    return module.TwoSidedTruncatedDistribution(dist.Normal(p[0], p[1]), p[2], p[3])


def _two_sided(base):
    def build(module, p):
        if base is dist.StudentT:
            b = dist.StudentT(F32(4.0), p[0], p[1])
        else:
            b = base(p[0], p[1])
        return module.TwoSidedTruncatedDistribution(b, p[2], p[3])

    return build


def _left(module, p):
    return module.LeftTruncatedDistribution(dist.Normal(p[0], p[1]), p[2])


def _right(module, p):
    return module.RightTruncatedDistribution(dist.Normal(p[0], p[1]), p[2])


def _power_law(module, p):
    return module.DoublyTruncatedPowerLaw(p[0], p[1], p[2])


def _params(*values):
    return tuple(F32(v) for v in values)


# name, builder, parameters, support for log_prob points, main (also at 1e6),
# whether sample and icdf exist without tensorflow_probability
CASES = [
    ("Left Normal, low < loc", _left, _params(34, 3.6, 5), (5, 60), True, True),
    ("Left Normal, low > loc", _left, _params(34, 3.6, 40), (40, 60), True, True),
    ("Right Normal, high > loc", _right, _params(34, 3.6, 100), (5, 100), True, True),
    ("TwoSided Normal", _normal, _params(34, 3.6, 5, 100), (5, 100), True, True),
    (
        "TwoSided Normal, low > loc",
        _normal,
        _params(34, 3.6, 40, 100),
        (40, 100),
        True,
        True,
    ),
    (
        "TwoSided Cauchy",
        _two_sided(dist.Cauchy),
        _params(34, 3.6, 5, 100),
        (5, 100),
        False,
        True,
    ),
    (
        "TwoSided Laplace",
        _two_sided(dist.Laplace),
        _params(34, 3.6, 5, 100),
        (5, 100),
        False,
        True,
    ),
    (
        "TwoSided Logistic",
        _two_sided(dist.Logistic),
        _params(34, 3.6, 5, 100),
        (5, 100),
        False,
        True,
    ),
    (
        "TwoSided StudentT(4)",
        _two_sided(dist.StudentT),
        _params(34, 3.6, 5, 100),
        (5, 100),
        False,
        False,
    ),
    (
        "DoublyTruncatedPowerLaw",
        _power_law,
        _params(-2.3, 5, 100),
        (5, 100),
        True,
        True,
    ),
]


def _programs(build, module, n):
    """The four jitted functions of ``(params, data)`` for one implementation."""

    def sample(p, key):
        return build(module, p).sample(key, (n,))

    def log_prob(p, x):
        return build(module, p).log_prob(x)

    def grad(p, x):
        return jax.grad(lambda p: build(module, p).log_prob(x).sum())(p)

    def icdf(p, q):
        return build(module, p).icdf(q)

    return {"sample": sample, "log_prob": log_prob, "grad": grad, "icdf": icdf}


def _interleaved(fns, args, repeats):
    """Per-repeat times per call of each function (see ``_timing.interleaved``)."""
    t = interleaved(dict(enumerate(fns)), args, repeats)
    return [t[i].runs for i in range(len(fns))]


def _summary(ours_t, stock_t):
    ratios = ours_t / stock_t
    q25, q50, q75 = np.percentile(ratios, [25, 50, 75])
    return np.median(ours_t), np.median(stock_t), q50, q25, q75


def _data(op, support, n):
    if op == "icdf":
        return jnp.linspace(0.0, 1.0, n + 2, dtype=F32)[1:-1]
    if op == "sample":
        return jax.random.key(0)
    return jnp.linspace(support[0], support[1], n, dtype=F32)


def _compile_times(makes, args, repeats):
    """Median times to lower and compile a fresh function from each of ``makes``,
    the compilations interleaved."""
    times = [[] for _ in makes]
    for _ in range(repeats):
        for i, make in enumerate(makes):
            fn = make()
            start = time.perf_counter()
            jax.jit(fn).lower(*args).compile()
            times[i].append(time.perf_counter() - start)
    return [float(np.median(t)) for t in times]


def _program_size(fn, args):
    """StableHLO lines as lowered, and kernels (fusions and other top-level
    instructions that XLA compiles) after optimization."""
    lowered = jax.jit(fn).lower(*args)
    text = lowered.compile().as_text()
    entry = text[text.index("ENTRY") :].split("\n}", 1)[0]
    kernels = len(re.findall(r"= \S+ fusion\(", entry))
    return len(lowered.as_text().splitlines()), kernels


def _mixture(module):
    """value_and_grad of a power law + 7 truncated normals (NumPyro's
    ``MixtureGeneral``, components from ``module``)."""

    def total(p, x):
        alpha, low, high, locs, scales, weights = p
        components = [module.DoublyTruncatedPowerLaw(alpha, low, high)] + [
            module.TruncatedNormal(locs[i], scales[i], low=low, high=high)
            for i in range(7)
        ]
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=weights),
            components,
            support=dist.constraints.interval(low, high),
        )
        return mixture.log_prob(x).sum()

    return jax.value_and_grad(total)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--n", type=int, nargs="+", default=None)
    parser.add_argument("--compile-repeats", type=int, default=None)
    args = parser.parse_args(argv)
    allocator = pin_malloc()
    repeats = args.repeats or (5 if args.quick else 21)
    sizes = args.n or ([10_000] if args.quick else [1_000, 100_000, 1_000_000])
    compile_repeats = args.compile_repeats or (1 if args.quick else 5)

    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, float32, "
        f"{repeats} interleaved repeats of calls adding up to about "
        f"{1e3 * BATCH_SECONDS:g} ms; ratio = median of ours / NumPyro per repeat "
        "[interquartile range]"
    )
    print(allocator)
    header = f"{'case':28s} {'op':9s} {'N':>8s} {'ours ms':>9s} {'NumPyro':>9s} {'ratio':>6s}  IQR"
    print(header)
    for name, build, params, support, main_case, has_icdf in CASES:
        for n in sizes:
            if n > 100_000 and not main_case:
                continue
            mine, theirs = _programs(build, ours, n), _programs(build, stock, n)
            for op in ("sample", "log_prob", "grad", "icdf"):
                if op in ("sample", "icdf") and not has_icdf:
                    continue
                fns = [jax.jit(mine[op]), jax.jit(theirs[op])]
                t = _interleaved(fns, (params, _data(op, support, n)), repeats)
                a, b, r, lo, hi = _summary(*t)
                print(
                    f"{name:28s} {op:9s} {n:8d} {1e3 * a:9.3f} {1e3 * b:9.3f} "
                    f"{r:6.2f}  [{lo:.2f}, {hi:.2f}]"
                )

    n = sizes[-1] if args.quick else 100_000
    print(
        f"\ncompile time (median of {compile_repeats}, interleaved), StableHLO "
        f"lines and XLA kernels, N = {n}"
    )
    print(
        f"{'case':28s} {'program':15s} {'ours s':>7s} {'NumPyro':>7s} {'ratio':>6s}"
        f" {'lines':>6s} {'NumPyro':>7s} {'ratio':>6s} {'kernels':>7s} {'NumPyro':>7s}"
    )

    def compile_row(label, program, make, args):
        a, b = _compile_times(
            [lambda: make(ours), lambda: make(stock)], args, compile_repeats
        )
        (la, ka), (lb, kb) = (
            _program_size(make(ours), args),
            _program_size(make(stock), args),
        )
        print(
            f"{label:28s} {program:15s} {a:7.3f} {b:7.3f} {a / b:6.2f} "
            f"{la:6d} {lb:7d} {la / lb:6.2f} {ka:7d} {kb:7d}"
        )

    for name, build, params, support, main_case, has_icdf in CASES:
        programs = {
            "log_prob": lambda m: _programs(build, m, n)["log_prob"],
            "value_and_grad": lambda m: jax.value_and_grad(
                lambda p, x: build(m, p).log_prob(x).sum()
            ),
        }
        if has_icdf:
            programs["sample"] = lambda m: _programs(build, m, n)["sample"]
        for program, make in programs.items():
            data = _data("sample" if program == "sample" else "log_prob", support, n)
            compile_row(name, program, make, (params, data))

    p = (
        F32(-2.3),
        F32(5.0),
        F32(100.0),
        jnp.linspace(10.0, 60.0, 7, dtype=F32),
        jnp.full(7, 3.0, F32),
        jnp.full(8, 1 / 8, F32),
    )
    x = jnp.linspace(5.0, 100.0, n, dtype=F32)
    label = "mixture: power law + 7 TN"
    compile_row(label, "value_and_grad", _mixture, (p, x))
    t = _interleaved(
        [jax.jit(_mixture(ours)), jax.jit(_mixture(stock))], (p, x), repeats
    )
    a, b, r, lo, hi = _summary(*t)
    print(
        f"{label:28s} run: ours {1e3 * a:.3f} ms, NumPyro {1e3 * b:.3f} ms, "
        f"ratio {r:.2f} [{lo:.2f}, {hi:.2f}]"
    )


if __name__ == "__main__":
    main()
