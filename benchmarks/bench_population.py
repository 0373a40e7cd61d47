# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The hierarchical likelihood of ``examples/population.py`` and its gradient:
ours, a hand-written ``jax.numpy`` version and gwpopulation, side by side.

All three compute the same thing in float64: the log-likelihood estimate from
per-event posterior samples and found injections, its variance, the effective
sample sizes and the convergence checks, for N events x S samples + M found
injections, at (70, 4000, 10^5) and (300, 4000, 10^6).

1. ``value_and_grad`` under ``jit``: median and min-max over interleaved
   repeats, and the ratio to the hand-written version taken repeat by repeat
   (median and min-max). Ours: ``population.log_likelihood`` (a ``MixtureGeneral``
   of ``DoublyTruncatedPowerLaw`` and ``TruncatedNormal``), with the plain
   gradient and with the smoothed one that the example's NUTS follows.
   gwpopulation: ``HyperparameterLikelihood`` with ``ResamplingVT`` on its JAX
   backend (``two_component_single``'s log density), run in its own process,
   since the backend is global, and timed there against the same hand-written
   version.
2. compile time (``lower`` + ``compile``) and XLA's memory for the compiled
   function (arguments, outputs and temporaries), and the peak resident memory
   of gwpopulation's process.
3. the likelihood with the samples and injections sharded over 8 CPU devices
   (``--xla_force_host_platform_device_count=8``, in a subprocess) against one
   device: same value, time ratio.

    python benchmarks/bench_population.py [--quick]
"""

import argparse
import importlib.util
import json
import os
from pathlib import Path
import subprocess
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import pin_malloc  # noqa: E402

M_GMAX = 100.0
# A point inside the posterior of the example's catalogue.
THETA = [3.4, 5.0, 87.0, 0.04, 34.0, 3.6]
SIZES = [(70, 4000, 100_000), (300, 4000, 1_000_000)]


def load_population():
    spec = importlib.util.spec_from_file_location(
        "population", HERE.parent / "examples" / "population.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_data(num_events, num_samples, num_found, seed=0):
    """The example's catalogue and the first ``num_found`` found injections
    (``total_generated`` counts the draws up to the last of them)."""
    population = load_population()
    catalogue = population.simulate_catalogue(seed, num_events, num_samples)
    draws = int(num_found / 0.2)
    injections = population.simulate_injections(seed + 1, draws)
    found = len(injections["m1"])
    assert found >= num_found, (found, num_found)
    return {
        "m1": catalogue["m1"],
        "ln_prior": catalogue["ln_prior"],
        "inj_m1": injections["m1"][:num_found],
        "inj_ln_prior": injections["ln_prior"][:num_found],
        "total_generated": float(round(draws * num_found / found)),
    }


def by_hand(theta, data):
    """The same estimate, written directly: densities in linear space (float64),
    with log m1 and 1 / prior computed once outside, as the data."""
    import jax.numpy as jnp
    from jax.scipy.special import ndtr

    alpha, m_min, m_max, lam, mu, sigma = (theta[i] for i in range(6))
    a1 = 1.0 - alpha
    near_one = jnp.abs(a1) < 1e-8
    safe_a1 = jnp.where(near_one, 1.0, a1)
    norm_pl = jnp.where(
        near_one,
        jnp.log(m_max / m_min),
        (jnp.exp(safe_a1 * jnp.log(m_max)) - jnp.exp(safe_a1 * jnp.log(m_min)))
        / safe_a1,
    )
    c_pl = (1.0 - lam) / norm_pl
    z_low = (m_min - mu) / sigma
    z_high = (M_GMAX - mu) / sigma
    c_g = lam / (sigma * jnp.sqrt(2 * jnp.pi) * (ndtr(z_high) - ndtr(z_low)))

    def weights(m, log_m, inv_prior):
        pl = jnp.where((m >= m_min) & (m <= m_max), jnp.exp(-alpha * log_m), 0.0)
        z = (m - mu) / sigma
        g = jnp.where((m >= m_min) & (m <= M_GMAX), jnp.exp(-0.5 * z * z), 0.0)
        return (c_pl * pl + c_g * g) * inv_prior

    def sums(w):
        s1 = jnp.sum(w, axis=-1)
        s2 = jnp.sum(w * w, axis=-1)
        empty = s1 <= 0
        s1 = jnp.where(empty, 1.0, s1)
        s2 = jnp.where(empty, 1.0, s2)
        ess = jnp.where(empty, 0.0, s1 * s1 / s2)
        return jnp.where(empty, -jnp.inf, jnp.log(s1)), s2 / (s1 * s1), ess, empty

    num_events, num_samples = data["m1"].shape
    w = weights(data["m1"], data["log_m1"], data["inv_prior"])
    log_s1, ratio, event_ess, empty = sums(w)
    wi = weights(data["inj_m1"], data["inj_log_m1"], data["inj_inv_prior"])
    log_xi_sum, sel_ratio, _, _ = sums(wi)
    n_draw = data["total_generated"]
    log_xi = log_xi_sum - jnp.log(n_draw)
    value = jnp.sum(log_s1) - num_events * jnp.log(num_samples) - num_events * log_xi
    selection_rel_var = sel_ratio - 1.0 / n_draw
    event_variance = jnp.where(empty, jnp.inf, ratio - 1.0 / num_samples)
    variance = jnp.sum(event_variance) + num_events**2 * selection_rel_var
    trusted = (1.0 / selection_rel_var > 4.0 * num_events) & (
        jnp.min(event_ess) > num_events
    )
    return jnp.where(trusted, value, -jnp.inf), variance


def hand_data(data):
    import jax.numpy as jnp

    return {
        "m1": jnp.asarray(data["m1"]),
        "log_m1": jnp.log(jnp.asarray(data["m1"])),
        "inv_prior": jnp.exp(-jnp.asarray(data["ln_prior"])),
        "inj_m1": jnp.asarray(data["inj_m1"]),
        "inj_log_m1": jnp.log(jnp.asarray(data["inj_m1"])),
        "inj_inv_prior": jnp.exp(-jnp.asarray(data["inj_ln_prior"])),
        "total_generated": data["total_generated"],
    }


def ours_fns(population, data):
    import jax.numpy as jnp

    events = {"m1": jnp.asarray(data["m1"]), "ln_prior": jnp.asarray(data["ln_prior"])}
    injections = {
        "m1": jnp.asarray(data["inj_m1"]),
        "ln_prior": jnp.asarray(data["inj_ln_prior"]),
        "total_generated": data["total_generated"],
    }

    def make(smoothing):
        def value(theta, events, injections):
            params = dict(zip(population.NAMES, (theta[i] for i in range(6))))
            return population.log_likelihood(
                params, events, injections, smoothing=smoothing
            )[0]

        return value

    return {"ours": make(0.0), "ours_smooth": make(population.SMOOTHING)}, (
        events,
        injections,
    )


def timed_compile(fn, args):
    import jax

    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(fn)).lower(*args).compile()
    elapsed = time.perf_counter() - start
    memory = compiled.memory_analysis()
    total = (
        memory.argument_size_in_bytes
        + memory.output_size_in_bytes
        + memory.temp_size_in_bytes
    )
    return compiled, elapsed, total, memory.temp_size_in_bytes


def interleaved(calls, repeats):
    """Each call run once to warm up, then ``repeats`` rounds of all of them."""
    import jax

    for call in calls.values():
        jax.block_until_ready(call())
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            jax.block_until_ready(call())
            times[name].append(time.perf_counter() - start)
    return {name: np.asarray(t) for name, t in times.items()}


def spread(x, scale=1.0):
    x = np.asarray(x) * scale
    return f"{np.median(x):8.3f} [{x.min():.3f}, {x.max():.3f}]"


GWPOP_SCRIPT = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from gwpopulation.backend import set_backend
set_backend("jax")
import jax, jax.numpy as jnp
import pandas as pd
from gwpopulation.hyperpe import HyperparameterLikelihood, Model
from gwpopulation.models.mass import ln_two_component_single, two_component_single
from gwpopulation.vt import ResamplingVT
import bench_population as bench

def primary_mass(dataset, alpha, mmin, mmax, lam, mpp, sigpp):
    return two_component_single(dataset["mass_1"], alpha, mmin, mmax, lam, mpp, sigpp)

def _ln(dataset, alpha, mmin, mmax, lam, mpp, sigpp):
    return ln_two_component_single(dataset["mass_1"], alpha, mmin, mmax, lam, mpp, sigpp)

primary_mass.ln_prob = _ln
names = ["alpha", "mmin", "mmax", "lam", "mpp", "sigpp"]
sizes, repeats = json.loads(sys.argv[2]), int(sys.argv[3])
theta = jnp.asarray(bench.THETA)
out = {}
for n, s, m in sizes:
    data = bench.make_data(n, s, m)
    posteriors = [pd.DataFrame({"mass_1": a, "prior": np.exp(b)})
                  for a, b in zip(data["m1"], data["ln_prior"])]
    selection = ResamplingVT(
        model=Model([primary_mass], cache=False),
        data={"mass_1": data["inj_m1"], "prior": np.exp(data["inj_ln_prior"]),
              "total_generated": data["total_generated"], "analysis_time": 1.0},
        n_events=n,
    )
    likelihood = HyperparameterLikelihood(
        posteriors, Model([primary_mass], cache=False),
        selection_function=selection, require_equal_samples=True,
    )
    def gwpop(theta):
        return likelihood.log_likelihood_ratio(dict(zip(names, (theta[i] for i in range(6)))))
    hd = bench.hand_data(data)
    def hand(theta, hd):
        return bench.by_hand(theta, hd)[0]
    t0 = time.perf_counter()
    g = jax.jit(jax.value_and_grad(gwpop)).lower(theta).compile()
    t_gw = time.perf_counter() - t0
    mem = g.memory_analysis()
    g_mem = mem.argument_size_in_bytes + mem.output_size_in_bytes + mem.temp_size_in_bytes
    g_temp = mem.temp_size_in_bytes
    compiled, t_hand, h_mem, h_temp = bench.timed_compile(hand, (theta, hd))
    value, grad = g(theta)
    hand_value = compiled(theta, hd)[0]
    times = bench.interleaved({"gwpop": lambda: g(theta), "hand": lambda: compiled(theta, hd)}, repeats)
    out[str(n)] = {
        "gwpop": times["gwpop"].tolist(), "hand": times["hand"].tolist(),
        "value": float(value), "hand_value": float(hand_value),
        "grad_finite": bool(np.all(np.isfinite(np.asarray(grad)))),
        "compile": t_gw, "hand_compile": t_hand, "memory": g_mem, "temp": g_temp,
        "hand_memory": h_mem,
    }
    del likelihood, selection, posteriors
out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def _run_script(script, args, env=None):
    """Run ``script`` in a fresh Python with this folder and ``args`` as its
    arguments; returns the JSON of the last line it prints."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(HERE), *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def gwpopulation_run(sizes, repeats):
    return _run_script(GWPOP_SCRIPT, [json.dumps(sizes), str(repeats)])


SHARDING_SCRIPT = r"""
import os
os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
import json, sys
sys.path.insert(0, sys.argv[1])
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import bench_population as bench

n, s, m = json.loads(sys.argv[2]); repeats = int(sys.argv[3])
population = bench.load_population()
data = bench.make_data(n, s, m)
fns, (events, injections) = bench.ours_fns(population, data)
hd = bench.hand_data(data)
mesh = Mesh(np.array(jax.devices()), ("d",))
samples = NamedSharding(mesh, P(None, "d"))
found = NamedSharding(mesh, P("d"))
events8 = {k: jax.device_put(v, samples) for k, v in events.items()}
injections8 = dict(injections, m1=jax.device_put(injections["m1"], found),
                   ln_prior=jax.device_put(injections["ln_prior"], found))
hd8 = {k: (jax.device_put(v, samples) if k in ("m1", "log_m1", "inv_prior") else
           jax.device_put(v, found) if k.startswith("inj_") else v) for k, v in hd.items()}
theta = jnp.asarray(bench.THETA)
ours = jax.jit(jax.value_and_grad(fns["ours"]))
def hand_value(theta, hd):
    return bench.by_hand(theta, hd)[0]
hand = jax.jit(jax.value_and_grad(hand_value))
calls = {
    "ours_1": lambda: ours(theta, events, injections),
    "ours_8": lambda: ours(theta, events8, injections8),
    "hand_1": lambda: hand(theta, hd),
    "hand_8": lambda: hand(theta, hd8),
}
values = {k: float(c()[0]) for k, c in calls.items()}
grads = {k: np.asarray(c()[1]).tolist() for k, c in calls.items()}
times = bench.interleaved(calls, repeats)
print(json.dumps({"devices": len(jax.devices()), "values": values, "grads": grads,
                  "times": {k: v.tolist() for k, v in times.items()}}))
"""


def sharding_run(size, repeats):
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    return _run_script(SHARDING_SCRIPT, [json.dumps(size), str(repeats)], env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the small size only, fewer repeats"
    )
    args = parser.parse_args(argv)
    allocator = pin_malloc()
    sizes = SIZES[:1] if args.quick else SIZES
    repeats = 5 if args.quick else 15

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    population = load_population()
    print(
        f"jax {jax.__version__}, {jax.devices()[0].device_kind}, float64,"
        f" {os.cpu_count()} CPU cores; {repeats} interleaved repeats;"
        " times in ms, median [min, max]"
    )
    print(allocator)
    gw = gwpopulation_run(sizes, repeats)
    theta = jnp.asarray(THETA)
    memory_rows = []
    for n, s, m in sizes:
        data = make_data(n, s, m)
        fns, (events, injections) = ours_fns(population, data)
        hd = hand_data(data)

        def hand(theta, hd):
            return by_hand(theta, hd)[0]

        compiled = {}
        compile_s = {}
        memory = {}
        for name, fn in fns.items():
            compiled[name], compile_s[name], memory[name], _ = timed_compile(
                fn, (theta, events, injections)
            )
        compiled["hand"], compile_s["hand"], memory["hand"], _ = timed_compile(
            hand, (theta, hd)
        )
        values = {
            "ours": compiled["ours"](theta, events, injections),
            "ours_smooth": compiled["ours_smooth"](theta, events, injections),
            "hand": compiled["hand"](theta, hd),
        }
        np.testing.assert_allclose(
            float(values["ours"][0]), float(values["hand"][0]), rtol=1e-9
        )
        np.testing.assert_allclose(
            np.asarray(values["ours"][1]), np.asarray(values["hand"][1]), rtol=1e-6
        )
        np.testing.assert_allclose(
            float(values["ours_smooth"][0]), float(values["ours"][0]), rtol=1e-12
        )
        g = gw[str(n)]
        np.testing.assert_allclose(g["value"], float(values["ours"][0]), rtol=1e-9)
        times = interleaved(
            {
                "ours": lambda: compiled["ours"](theta, events, injections),
                "ours_smooth": lambda: compiled["ours_smooth"](
                    theta, events, injections
                ),
                "hand": lambda: compiled["hand"](theta, hd),
            },
            repeats,
        )
        print(
            f"\n1. {n} events x {s} samples + {m:.0e} injections:"
            f" log-likelihood {float(values['ours'][0]):.6f} (all three agree)"
        )
        print(f"   {'':32s} {'time':>26s} {'/ hand-written':>26s}")
        print(f"   {'hand-written jax.numpy':32s} {spread(times['hand'], 1e3)}")
        for name, label in (
            ("ours", "ours"),
            ("ours_smooth", "ours, smoothed gradient"),
        ):
            print(
                f"   {label:32s} {spread(times[name], 1e3)}"
                f" {spread(times[name] / times['hand'])}"
            )
        gw_times, gw_hand = np.asarray(g["gwpop"]), np.asarray(g["hand"])
        print(
            f"   {'gwpopulation (own process)':32s} {spread(gw_times, 1e3)}"
            f" {spread(gw_times / gw_hand)}"
            f"   (hand-written there: {np.median(gw_hand) * 1e3:.3f} ms;"
            f" gradient finite: {'yes' if g['grad_finite'] else 'NO'})"
        )
        memory_rows.append((n, s, m, compile_s, memory, g))

    print("\n2. compile time (s) and XLA memory of the compiled value_and_grad (MiB)")
    print(
        f"   {'size':>20s} {'hand':>12s} {'ours':>12s} {'ours smooth':>12s} {'gwpop':>12s}"
    )
    mib = 2**20
    for n, s, m, compile_s, memory, g in memory_rows:
        label = f"{n}x{s}+{m:.0e}"
        print(
            f"   {label:>20s} {compile_s['hand']:12.2f} {compile_s['ours']:12.2f}"
            f" {compile_s['ours_smooth']:12.2f} {g['compile']:12.2f}  compile"
        )
        print(
            f"   {'':>20s} {memory['hand'] / mib:12.1f} {memory['ours'] / mib:12.1f}"
            f" {memory['ours_smooth'] / mib:12.1f} {g['memory'] / mib:12.1f}  memory"
        )
    print(
        f"   gwpopulation's process, peak resident memory: {gw['peak_rss'] / mib:.0f} MiB"
    )

    size = list(sizes[-1])
    shard = sharding_run(size, repeats)
    t = {k: np.asarray(v) for k, v in shard["times"].items()}
    v = shard["values"]
    for a, b in (("ours_8", "ours_1"), ("hand_8", "hand_1"), ("hand_1", "ours_1")):
        np.testing.assert_allclose(v[a], v[b], rtol=1e-9)
        np.testing.assert_allclose(
            shard["grads"][a], shard["grads"][b], rtol=1e-6, atol=1e-9
        )
    print(
        f"\n3. {size[0]} events x {size[1]} samples + {size[2]:.0e} injections,"
        f" samples and injections sharded over {shard['devices']} CPU devices"
        " (same value and gradient)"
    )
    for name in ("ours", "hand"):
        print(
            f"   {name:5s} 1 device {spread(t[name + '_1'], 1e3)} ms,"
            f" 8 devices {spread(t[name + '_8'], 1e3)} ms,"
            f" 8 / 1 {spread(t[name + '_8'] / t[name + '_1'])}"
        )


if __name__ == "__main__":
    main()
