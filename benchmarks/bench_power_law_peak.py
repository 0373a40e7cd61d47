# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Power Law + Peak: the mixture against a hand-written density, side by side.

Tables (each ratio is measured in one run, interleaving the candidates):

1. log-likelihood + gradient over N masses: ours / hand-written ``jax.numpy``,
   NumPyro's stock ``MixtureGeneral(support=...)`` / hand-written, and
   gwpopulation's ``two_component_single`` on its JAX backend (run in its own
   process, since its JAX backend turns on x64 globally) / hand-written there;
2. NUTS: ESS per second of the hyperparameters, ours / hand-written potential;
3. scaling: time against N and against the number of components K, and XLA's
   temporary memory at N = 10^7, ours / hand-written.

    python benchmarks/bench_power_law_peak.py [--quick]
"""

import argparse
import json
from pathlib import Path
import subprocess
import sys
import time

import numpy as np

import jax
from jax import lax
import jax.numpy as jnp
from jax.scipy.special import ndtr

import numpyro
import numpyro.distributions as stock
from numpyro.infer.hmc import hmc
from numpyro.infer.util import initialize_model
import numpyro_mixsupport.distributions as dist

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved as _interleaved, pin_malloc  # noqa: E402

M_GMAX = 100.0
THETA = jnp.array([3.4, 5.0, 87.0, 0.04, 34.0, 3.6])


def ours(theta, m):
    alpha, m_min, m_max, lam, mu, sigma = theta
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.stack([1 - lam, lam])),
        [
            dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max),
            dist.TruncatedNormal(mu, sigma, low=m_min, high=M_GMAX),
        ],
        validate_args=False,
    )
    return mixture.log_prob(m).sum()


def numpyro_stock(theta, m):
    alpha, m_min, m_max, lam, mu, sigma = theta
    mixture = stock.MixtureGeneral(
        stock.Categorical(probs=jnp.stack([1 - lam, lam])),
        [
            stock.DoublyTruncatedPowerLaw(-alpha, m_min, m_max),
            stock.TruncatedNormal(mu, sigma, low=m_min, high=M_GMAX),
        ],
        support=stock.constraints.positive,
        validate_args=False,
    )
    return mixture.log_prob(m).sum()


def by_hand(theta, m):
    """The same density, written directly, with the usual masking."""
    alpha, m_min, m_max, lam, mu, sigma = theta
    a1 = 1.0 - alpha
    log_norm_pl = jnp.log((m_max**a1 - m_min**a1) / a1)
    in_pl = (m >= m_min) & (m <= m_max)
    safe_pl = jnp.where(in_pl, m, m_min)
    log_pl = jnp.where(in_pl, -alpha * jnp.log(safe_pl) - log_norm_pl, -jnp.inf)
    in_g = (m >= m_min) & (m <= M_GMAX)
    z = (jnp.where(in_g, m, mu) - mu) / sigma
    log_norm_g = jnp.log(ndtr((M_GMAX - mu) / sigma) - ndtr((m_min - mu) / sigma))
    log_g = jnp.where(
        in_g,
        -0.5 * z**2 - jnp.log(sigma) - 0.5 * jnp.log(2 * jnp.pi) - log_norm_g,
        -jnp.inf,
    )
    # elementwise, which on the CPU beats a reduction along a short axis
    return jnp.logaddexp(jnp.log1p(-lam) + log_pl, jnp.log(lam) + log_g).sum()


def masses(n, seed=0):
    alpha, m_min, m_max, lam, mu, sigma = (float(v) for v in THETA)
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([1 - lam, lam])),
        [
            dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max),
            dist.TruncatedNormal(mu, sigma, low=m_min, high=M_GMAX),
        ],
    )
    return mixture.sample(jax.random.key(seed), (n,))


def interleaved(fns, args, repeats):
    """Median seconds per call of each function (see ``_timing.interleaved``)."""
    return {name: t.median for name, t in _interleaved(fns, args, repeats).items()}


GWPOP_SCRIPT = r"""
import json, sys, time
import numpy as np
from gwpopulation.backend import set_backend
set_backend("jax")
import jax, jax.numpy as jnp
from jax.scipy.special import ndtr
from gwpopulation.models.mass import two_component_single
sizes, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
theta = jnp.array([3.4, 5.0, 87.0, 0.04, 34.0, 3.6])
def gwpop(theta, m):
    a, lo, hi, lam, mu, s = theta
    return jnp.log(two_component_single(m, a, lo, hi, lam, mu, s)).sum()
%s
out = {}
for n in sizes:
    m = jnp.asarray(np.random.default_rng(0).uniform(5.5, 80.0, n))
    fns = {"gwpop": jax.jit(jax.value_and_grad(gwpop)), "by_hand": jax.jit(jax.value_and_grad(by_hand))}
    for f in fns.values():
        jax.block_until_ready(f(theta, m))
    t = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            s0 = time.perf_counter(); jax.block_until_ready(f(theta, m)); t[k].append(time.perf_counter() - s0)
    out[n] = {k: float(np.median(v)) for k, v in t.items()}
print(json.dumps(out))
"""


def gwpopulation_times(sizes, repeats):
    import inspect

    source = inspect.getsource(by_hand).replace(
        '"""The same density, written directly, with the usual masking."""', ""
    )
    script = GWPOP_SCRIPT % ("M_GMAX = 100.0\n" + source)
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(sizes), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        int(k): v for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items()
    }


def table_likelihood(sizes, repeats):
    print("\n1. log-likelihood + gradient (jit, median of interleaved repeats)")
    header = f"{'N':>9s} {'by hand ms':>11s} {'ours/hand':>10s} {'stock/hand':>11s} {'gwpop/hand':>11s}"
    print(header)
    gw = gwpopulation_times(sizes, repeats)
    for n in sizes:
        m = masses(n)
        fns = {
            "ours": jax.jit(jax.value_and_grad(ours)),
            "stock": jax.jit(jax.value_and_grad(numpyro_stock)),
            "by_hand": jax.jit(jax.value_and_grad(by_hand)),
        }
        values = [float(fn(THETA, m)[0]) for fn in fns.values()]
        assert np.allclose(values[0], values[2], rtol=1e-4), values
        t = interleaved(fns, (THETA, m), repeats)
        g = gw[n]["gwpop"] / gw[n]["by_hand"]
        print(
            f"{n:9d} {1e3 * t['by_hand']:11.3f} {t['ours'] / t['by_hand']:10.3f}"
            f" {t['stock'] / t['by_hand']:11.3f} {g:11.3f}"
        )


def _model_ours(m, observed_min, observed_max):
    alpha = numpyro.sample("alpha", dist.Uniform(0.0, 8.0))
    m_min = numpyro.sample("m_min", dist.Uniform(2.0, observed_min))
    m_max = numpyro.sample("m_max", dist.Uniform(observed_max, 150.0))
    lam = numpyro.sample("lam", dist.Uniform(0.0, 1.0))
    mu = numpyro.sample("mu", dist.Uniform(20.0, 50.0))
    sigma = numpyro.sample("sigma", dist.Uniform(1.0, 10.0))
    return jnp.stack([alpha, m_min, m_max, lam, mu, sigma])


def model_ours(m, observed_min, observed_max):
    theta = _model_ours(m, observed_min, observed_max)
    numpyro.factor("m1", ours(theta, m))


def model_by_hand(m, observed_min, observed_max):
    theta = _model_ours(m, observed_min, observed_max)
    numpyro.factor("m1", by_hand(theta, m))


def _nuts_chain(model, args, key, num_warmup, num_samples):
    """NUTS with NumPyro's kernel, warmup and sampling each one compiled loop;
    returns the seconds of the sampling loop (its second call, so without
    compilation), the draws and the number of leapfrog steps taken."""
    init_key, key = jax.random.split(key)
    info, potential_fn, _, _ = initialize_model(init_key, model, model_args=args)
    init_kernel, sample_kernel = hmc(potential_fn, algo="NUTS")
    state = init_kernel(info, num_warmup=num_warmup, rng_key=key)

    @jax.jit
    def warmup(state):
        return lax.fori_loop(0, num_warmup, lambda _, s: sample_kernel(s), state)

    @jax.jit
    def sample(state):
        def step(s, _):
            s = sample_kernel(s)
            return s, (s.z, s.num_steps)

        return lax.scan(step, state, None, length=num_samples)

    state = jax.block_until_ready(warmup(state))
    jax.block_until_ready(sample(state))
    start = time.perf_counter()
    _, (z, num_steps) = jax.block_until_ready(sample(state))
    return time.perf_counter() - start, z, int(np.sum(num_steps))


def _gradient_loop(f, steps):
    """``steps`` evaluations of ``value_and_grad(f)`` in one compiled loop, each
    at a point that depends on the last, as NUTS's leapfrog steps are."""
    grad = jax.value_and_grad(f)

    @jax.jit
    def loop(theta, m):
        def body(_, shift):
            value, g = grad(theta + shift, m)
            return 1e-9 * g + 1e-12 * value

        return lax.fori_loop(0, steps, body, jnp.zeros_like(theta))

    return loop


def table_nuts(sizes, num_warmup, num_samples, repeats):
    """``num_samples`` and ``repeats``: a number, or a number per size."""
    if isinstance(num_samples, int):
        num_samples = dict.fromkeys(sizes, num_samples)
    if isinstance(repeats, int):
        repeats = dict.fromkeys(sizes, repeats)
    counts = ", ".join(
        f"{repeats[n]} of {num_warmup} + {num_samples[n]} draws at N = {n}"
        for n in sizes
    )
    print(
        f"\n2. NUTS, repeats ({counts}) taking "
        "turns (same seed for both in a repeat): ESS/s of the hyperparameters (min "
        "over them) and time per leapfrog step, of sampling after warmup, "
        "compilation excluded; and the time of one log density with its gradient "
        "in a compiled loop of 2000 (what a leapfrog step costs beyond NUTS's own "
        "work); median [min, max]"
    )

    def cell(values, scale=1.0):
        v = scale * np.asarray(values)
        return f"{np.median(v):.3g} [{v.min():.3g}, {v.max():.3g}]"

    print(f"{'':>28s} {'ours':>26s} {'hand-written':>26s} {'ours / hand':>22s}")
    for n in sizes:
        m = masses(n, seed=1)
        args = (m, float(m.min()), float(m.max()))
        rates = {"ours": [], "by_hand": []}
        steps = {"ours": [], "by_hand": []}
        grads = {"ours": [], "by_hand": []}
        loops = {
            "ours": _gradient_loop(ours, 2000),
            "by_hand": _gradient_loop(by_hand, 2000),
        }
        for loop in loops.values():
            jax.block_until_ready(loop(THETA, m))
        for r in range(repeats[n]):
            order = (("ours", model_ours), ("by_hand", model_by_hand))
            for name, model in order if r % 2 == 0 else order[::-1]:
                seconds, z, num_steps = _nuts_chain(
                    model, args, jax.random.key(r), num_warmup, num_samples[n]
                )
                ess = min(
                    float(
                        numpyro.diagnostics.effective_sample_size(np.asarray(v)[None])
                    )
                    for v in z.values()
                )
                rates[name].append(ess / seconds)
                steps[name].append(seconds / num_steps)
                start = time.perf_counter()
                jax.block_until_ready(loops[name](THETA, m))
                grads[name].append((time.perf_counter() - start) / 2000)
        for label, values, scale in (
            ("ESS/s", rates, 1.0),
            ("us per leapfrog step", steps, 1e6),
            ("us per gradient", grads, 1e6),
        ):
            ratio = np.array(values["ours"]) / np.array(values["by_hand"])
            print(
                f"{f'N = {n}: {label}':>28s} {cell(values['ours'], scale):>26s}"
                f" {cell(values['by_hand'], scale):>26s} {cell(ratio):>22s}"
            )


def _k_peaks(k):
    def f(theta, m):
        alpha, m_min, m_max, lam, mu, sigma = theta
        weights = jnp.concatenate(
            [jnp.array([1 - lam]), jnp.full(k - 1, lam / (k - 1))]
        )
        comps = [dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max)]
        comps += [
            dist.TruncatedNormal(mu + 5.0 * i, sigma, low=m_min, high=M_GMAX)
            for i in range(k - 1)
        ]
        return (
            dist.MixtureGeneral(
                dist.Categorical(probs=weights), comps, validate_args=False
            )
            .log_prob(m)
            .sum()
        )

    return jax.jit(jax.value_and_grad(f))


def table_scaling(sizes, repeats, big):
    print("\n3. scaling")
    fn = jax.jit(jax.value_and_grad(ours))
    t_prev, n_prev = None, None
    print(f"{'N':>9s} {'ours ms':>9s} {'t(N)/t(N/10)':>13s}")
    for n in sizes:
        t = interleaved({"ours": fn}, (THETA, masses(n)), repeats)["ours"]
        growth = "" if t_prev is None else f"{t / t_prev:13.2f}"
        print(f"{n:9d} {1e3 * t:9.3f} {growth}")
        t_prev, n_prev = t, n
    del n_prev
    m = masses(100_000)
    print(f"{'K':>9s} {'ours ms':>9s} {'per component ms':>17s}")
    for k in (2, 4, 8, 16):
        t = interleaved({"k": _k_peaks(k)}, (THETA, m), repeats)["k"]
        print(f"{k:9d} {1e3 * t:9.3f} {1e3 * t / k:17.3f}")
    m = jax.ShapeDtypeStruct(
        (big,), jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    )
    mem = {}
    for name, f in (("ours", ours), ("by_hand", by_hand)):
        compiled = jax.jit(jax.value_and_grad(f)).lower(THETA, m).compile()
        analysis = compiled.memory_analysis()
        mem[name] = analysis.temp_size_in_bytes + analysis.argument_size_in_bytes
    print(
        f"XLA memory (arguments + temporaries) at N = {big:.0e}: ours {mem['ours'] / 2**20:.0f} MiB,"
        f" hand-written {mem['by_hand'] / 2**20:.0f} MiB, ratio {mem['ours'] / mem['by_hand']:.2f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes and fewer repeats"
    )
    args = parser.parse_args(argv)
    allocator = pin_malloc()
    sizes = (
        [1_000, 10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    )
    repeats = 5 if args.quick else 20
    print(f"jax {jax.__version__}, {jax.devices()[0].device_kind}, float32")
    print(allocator)
    table_likelihood(sizes, repeats)
    if args.quick:
        table_nuts([1000], 300, 300, 2)
    else:
        # a thousand events, and as many masses as a likelihood over events'
        # posterior samples has; the ESS of 1000 draws is uncertain by tens of
        # percent, which spreads the ratio of one repeat over a factor of five,
        # hence long chains (sampling costs little beside compiling at N = 1000)
        table_nuts(
            [1000, 30_000], 1000, {1000: 10_000, 30_000: 3000}, {1000: 16, 30_000: 8}
        )
    table_scaling(sizes, repeats, 1_000_000 if args.quick else 10_000_000)


if __name__ == "__main__":
    main()
