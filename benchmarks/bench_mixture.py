# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""MixtureGeneral: cost of mixed supports, measured side by side in one run.

Each row times the jit-compiled ``value_and_grad`` of the summed ``log_prob`` (with
respect to the weights and every component parameter) over N points, as the
median of interleaved repeats, and prints the ratio ours / reference.

    python benchmarks/bench_mixture.py [--n 100000] [--repeats 30]
"""

import argparse
import time

import numpy as np

import jax
import jax.numpy as jnp

import numpyro.distributions as stock
import numpyro_mixsupport.distributions as ours


def _timed(fn, *args):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.perf_counter() - start


def _interleaved(fns, args, repeats):
    for fn in fns.values():
        jax.block_until_ready(fn(*args))  # compile
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_timed(fn, *args))
    return {name: float(np.median(t)) for name, t in times.items()}


def _normals(module, params, support=None):
    w, loc, scale = params
    comps = [module.Normal(loc[i], scale[i]) for i in range(3)]
    kwargs = {} if support is None else {"support": support}
    return module.MixtureGeneral(module.Categorical(probs=w), comps, **kwargs)


def _mixed(module, params, support=None):
    w, loc, scale = params
    comps = [
        module.Normal(loc[0], scale[0]),
        module.HalfNormal(scale[1]),
        module.LogNormal(loc[2], scale[2]),
    ]
    kwargs = {} if support is None else {"support": support}
    return module.MixtureGeneral(module.Categorical(probs=w), comps, **kwargs)


def _mixed_by_hand(params, x):
    w, loc, scale = params
    log_w = jnp.log(w)
    normal = (
        -0.5 * ((x - loc[0]) / scale[0]) ** 2
        - jnp.log(scale[0])
        - 0.5 * jnp.log(2 * jnp.pi)
    )
    positive = x > 0
    safe = jnp.where(positive, x, 1.0)
    half = jnp.where(
        positive,
        -0.5 * (safe / scale[1]) ** 2 - jnp.log(scale[1]) + 0.5 * jnp.log(2 / jnp.pi),
        -jnp.inf,
    )
    log_x = jnp.log(safe)
    lognormal = jnp.where(
        positive,
        -0.5 * ((log_x - loc[2]) / scale[2]) ** 2
        - jnp.log(scale[2])
        - log_x
        - 0.5 * jnp.log(2 * jnp.pi),
        -jnp.inf,
    )
    stacked = jnp.stack([normal, half, lognormal], -1) + log_w
    return jax.nn.logsumexp(stacked, -1).sum()


def _objective(build, **kwargs):
    def f(params, x):
        return build(params, **kwargs).log_prob(x).sum()

    return jax.jit(jax.value_and_grad(f))


def _compile_time(module, k, x, repeats=3):
    def f(params, x):
        w, loc, scale = params
        comps = [
            module.Normal(loc[i], scale[i]) if i % 2 else module.HalfNormal(scale[i])
            for i in range(k)
        ]
        m = module.MixtureGeneral(
            module.Categorical(probs=w), comps, support=module.constraints.real
        )
        return m.log_prob(x).sum()

    params = (jnp.ones(k) / k, jnp.zeros(k), jnp.ones(k))
    best = np.inf
    for _ in range(repeats):
        fn = jax.jit(jax.value_and_grad(f))
        start = time.perf_counter()
        fn.lower(params, x).compile()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)

    x = jax.random.normal(jax.random.key(0), (args.n,)) * 2.0 + 0.5
    params = (
        jnp.array([0.2, 0.3, 0.5]),
        jnp.array([0.0, 1.0, -0.5]),
        jnp.array([1.0, 2.0, 0.7]),
    )
    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, N = {args.n}, median of {args.repeats}"
    )
    print(f"{'case':58s} {'ours ms':>9s} {'ref ms':>9s} {'ratio':>7s}")

    def row(label, times, a, b):
        print(
            f"{label:58s} {1e3 * times[a]:9.3f} {1e3 * times[b]:9.3f} {times[a] / times[b]:7.3f}"
        )

    t = _interleaved(
        {
            "ours": _objective(lambda p: _normals(ours, p)),
            "stock": _objective(lambda p: _normals(stock, p)),
        },
        (params, x),
        args.repeats,
    )
    row("(a) three Normals: ours / NumPyro MixtureGeneral", t, "ours", "stock")

    t = _interleaved(
        {
            "ours": _objective(lambda p: _mixed(ours, p)),
            "stock_real": _objective(
                lambda p: _mixed(stock, p, support=stock.constraints.real)
            ),
            "by_hand": jax.jit(jax.value_and_grad(_mixed_by_hand)),
        },
        (params, x),
        args.repeats,
    )
    row(
        "(b) Normal+HalfNormal+LogNormal: ours / NumPyro support=real",
        t,
        "ours",
        "stock_real",
    )
    row(
        "(c) Normal+HalfNormal+LogNormal: ours / hand-written jnp", t, "ours", "by_hand"
    )

    print(
        f"{'(d) compile time, K components':58s} {'ours s':>9s} {'ref s':>9s} {'ratio':>7s}"
    )
    for k in (2, 8, 32):
        a, b = _compile_time(ours, k, x), _compile_time(stock, k, x)
        print(
            f"{'    K = ' + str(k) + ': ours / NumPyro':58s} {a:9.3f} {b:9.3f} {a / b:7.3f}"
        )


if __name__ == "__main__":
    main()
