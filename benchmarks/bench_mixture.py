# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""MixtureGeneral against NumPyro 0.22's and against hand-written densities.

Every row times the jit-compiled ``value_and_grad`` of the summed ``log_prob``
(with respect to the weights and every component parameter) over N points,
ours and the reference taking turns, and prints the median ratio ours /
reference of paired runs with its 10th-90th percentile range. Compile times
are those of a fresh ``jax.jit`` each time, also taking turns.

(a) run time at N = 1e3, 1e4, 1e5: components of one support (three Normals),
    of different supports (Normal + HalfNormal + LogNormal; NumPyro needs
    ``support=real``), and NumPyro's users' case, a power law and Gaussians
    truncated to one interval with ``support=`` given;
(b) compile and run time for K = 2, 4, 8, 16, 32 components: a power law and
    K - 1 ``TruncatedNormal``, as in the Power Law + Peak model, ours (our
    mixture and truncated distributions) against NumPyro's; and our mixture of
    NumPyro's own components against NumPyro's mixture, which isolates the
    mixture's share. HLO lines too.

    python benchmarks/bench_mixture.py [--quick]
"""

import argparse
from pathlib import Path
import sys

import numpy as np

import jax
import jax.numpy as jnp

import numpyro.distributions as stock
import numpyro_mixsupport.distributions as ours

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import (  # noqa: E402
    compile_times,
    fmt_ratio,
    hlo_lines,
    interleaved,
    pin_malloc,
)


def _logaddexp_all(terms):
    # unrolled: no stack and reduction along a short axis
    total = terms[0]
    for term in terms[1:]:
        total = jnp.logaddexp(total, term)
    return total


def _normals(module, params, x):
    w, loc, scale = params
    comps = [module.Normal(loc[i], scale[i]) for i in range(3)]
    return module.MixtureGeneral(module.Categorical(probs=w), comps).log_prob(x).sum()


def _normals_by_hand(params, x):
    w, loc, scale = params
    log_w = jnp.log(w)
    terms = [
        log_w[i]
        - 0.5 * ((x - loc[i]) / scale[i]) ** 2
        - jnp.log(scale[i])
        - 0.5 * np.log(2 * np.pi)
        for i in range(3)
    ]
    return _logaddexp_all(terms).sum()


def _mixed(module, params, x, support=None):
    w, loc, scale = params
    comps = [
        module.Normal(loc[0], scale[0]),
        module.HalfNormal(scale[1]),
        module.LogNormal(loc[2], scale[2]),
    ]
    kwargs = {} if support is None else {"support": support}
    m = module.MixtureGeneral(module.Categorical(probs=w), comps, **kwargs)
    return m.log_prob(x).sum()


def _mixed_by_hand(params, x):
    w, loc, scale = params
    log_w = jnp.log(w)
    positive = x > 0
    safe = jnp.where(positive, x, 1.0)
    log_x = jnp.log(safe)
    normal = (
        -0.5 * ((x - loc[0]) / scale[0]) ** 2
        - jnp.log(scale[0])
        - 0.5 * np.log(2 * np.pi)
    )
    half = -0.5 * (safe / scale[1]) ** 2 - jnp.log(scale[1]) + 0.5 * np.log(2 / np.pi)
    lognormal = (
        -0.5 * ((log_x - loc[2]) / scale[2]) ** 2
        - jnp.log(scale[2])
        - log_x
        - 0.5 * np.log(2 * np.pi)
    )
    terms = [
        log_w[0] + normal,
        jnp.where(positive, log_w[1] + half, -jnp.inf),
        jnp.where(positive, log_w[2] + lognormal, -jnp.inf),
    ]
    return _logaddexp_all(terms).sum()


def _peaks(mixture, dists, k, support=None):
    # a power law on [m_min, m_max] and k - 1 Gaussians truncated to it
    def f(params, x):
        alpha, m_min, m_max, mu, sigma, w = params
        comps = [dists.DoublyTruncatedPowerLaw(alpha, m_min, m_max)] + [
            dists.TruncatedNormal(mu[i], sigma, low=m_min, high=m_max)
            for i in range(k - 1)
        ]
        kwargs = {} if support is None else {"support": support}
        m = mixture.MixtureGeneral(mixture.Categorical(probs=w), comps, **kwargs)
        return m.log_prob(x).sum()

    return f


def _peak_params(k):
    return (
        jnp.float32(-2.3),
        jnp.float32(5.0),
        jnp.float32(87.0),
        jnp.linspace(20.0, 60.0, max(k - 1, 1)).astype(jnp.float32),
        jnp.float32(3.6),
        jnp.ones(k, jnp.float32) / k,
    )


def _masses(n):
    # inside the support [5, 87] of ``_peak_params``, where the log-likelihood
    # is finite
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.uniform(5.5, 86.5, n), jnp.float32)


def _row(label, t, a, b):
    ms = 1e3
    print(
        f"{label:62s} {ms * t[a].median:9.3f} {ms * t[b].median:9.3f} "
        f"{fmt_ratio(t[a], t[b])}"
    )


def run_times(sizes, repeats):
    print(f"(a) run time of value_and_grad, median of {repeats} interleaved repeats")
    print(f"{'case':62s} {'ours ms':>9s} {'ref ms':>9s} {'ratio [p10, p90]':>22s}")
    params3 = (
        jnp.array([0.2, 0.3, 0.5]),
        jnp.array([0.0, 1.0, -0.5]),
        jnp.array([1.0, 2.0, 0.7]),
    )
    for n in sizes:
        x = jax.random.normal(jax.random.key(0), (n,)) * 2.0 + 0.5
        grad = lambda f: jax.jit(jax.value_and_grad(f))  # noqa: E731
        t = interleaved(
            {
                "ours": grad(lambda p, x: _normals(ours, p, x)),
                "stock": grad(lambda p, x: _normals(stock, p, x)),
                "hand": grad(_normals_by_hand),
            },
            (params3, x),
            repeats,
        )
        _row(f"N={n:.0e} three Normals: ours / NumPyro", t, "ours", "stock")
        _row(f"N={n:.0e} three Normals: ours / hand-written", t, "ours", "hand")
        t = interleaved(
            {
                "ours": grad(lambda p, x: _mixed(ours, p, x)),
                "stock": grad(
                    lambda p, x: _mixed(stock, p, x, support=stock.constraints.real)
                ),
                "hand": grad(_mixed_by_hand),
            },
            (params3, x),
            repeats,
        )
        _row(
            f"N={n:.0e} Normal+HalfNormal+LogNormal: ours / NumPyro real",
            t,
            "ours",
            "stock",
        )
        _row(
            f"N={n:.0e} Normal+HalfNormal+LogNormal: ours / hand-written",
            t,
            "ours",
            "hand",
        )
        m = _masses(n)
        p = _peak_params(4)
        t = interleaved(
            {
                "ours": grad(_peaks(ours, ours, 4, support=ours.constraints.positive)),
                "stock": grad(
                    _peaks(stock, stock, 4, support=stock.constraints.positive)
                ),
            },
            (p, m),
            repeats,
        )
        _row(
            f"N={n:.0e} power law + 3 TruncatedNormal, support=: ours / NumPyro",
            t,
            "ours",
            "stock",
        )


def components(ks, n, repeats, compile_repeats):
    print(
        f"(b) K components, N = {n:.0e}: compile (best of turns, {compile_repeats} each) "
        f"and run time (median of {repeats})"
    )
    print(
        f"{'K':>3s} {'compile ours/NumPyro':>26s} {'run ours/NumPyro':>24s} "
        f"{'mixture only: compile':>26s} {'run':>22s} {'HLO ours/NumPyro':>18s}"
    )
    m = _masses(n)
    for k in ks:
        p = _peak_params(k)
        # each call builds a fresh function, which no compilation cache serves
        makers = {
            "ours": lambda: jax.value_and_grad(_peaks(ours, ours, k)),
            "stock": lambda: jax.value_and_grad(
                _peaks(stock, stock, k, support=stock.constraints.positive)
            ),
            "mixture": lambda: jax.value_and_grad(_peaks(ours, stock, k)),
        }
        c = compile_times(makers, (p, m), compile_repeats)
        grads = {name: make() for name, make in makers.items()}
        t = interleaved(
            {name: jax.jit(g) for name, g in grads.items()}, (p, m), repeats
        )
        hlo = {name: hlo_lines(g, (p, m)) for name, g in grads.items()}
        print(
            f"{k:3d} {fmt_ratio(c['ours'], c['stock']):>26s} "
            f"{fmt_ratio(t['ours'], t['stock']):>24s} "
            f"{fmt_ratio(c['mixture'], c['stock']):>26s} "
            f"{fmt_ratio(t['mixture'], t['stock']):>22s} "
            f"{hlo['ours'] / hlo['stock']:18.2f}"
        )
        print(
            f"    seconds: compile ours {c['ours'].median:.2f}, NumPyro "
            f"{c['stock'].median:.2f}; run ours {1e3 * t['ours'].median:.3f} ms, "
            f"NumPyro {1e3 * t['stock'].median:.3f} ms; HLO lines {hlo['ours']} / "
            f"{hlo['stock']}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    args = parser.parse_args(argv)
    allocator = pin_malloc()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float32")
    print(allocator)
    if args.quick:
        run_times([1_000, 100_000], repeats=5)
        components([2, 8], 10_000, repeats=5, compile_repeats=1)
    else:
        run_times([1_000, 10_000, 100_000], repeats=30)
        components([2, 4, 8, 16, 32], 100_000, repeats=15, compile_repeats=3)


if __name__ == "__main__":
    main()
