# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""gwkokab's models on the fork against stock NumPyro: compile time and run time.

Each row is one of gwkokab's models (the cases of ``downstream/gwkokab_probe.py``)
at N points drawn from the model. The timed function is
``jit(value_and_grad(lambda p, x: log_prob(p, x).sum()))`` with respect to every
float parameter; compile time is tracing, lowering and compiling it, run time the
median of calls of the compiled function. Every repeat is a fresh process in the
stock environment and one in the fork's (so compile times are cold), taking
turns which goes first; the table gives the median of the per-repeat ratios
fork / stock with their min-max.

The environments are the downstream ones (``make downstream`` creates them under
``build/downstream/``; this script creates them too when they are missing, from
the fork wheel in ``dist/``, see ``make fork``).

    python benchmarks/bench_downstream.py [--quick] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import subprocess
import sys
import time

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

CASES = (
    "TwoTruncatedNormalMixture/overlapping",
    "NDTwoTruncatedNormalMixture/spin-magnitudes",
    "GenericTiltModel/full-range",
    "NPowerlawMGaussian/masses-2pl-2g",
    "NPowerlawMGaussian/use_tilt-1pl-1g",
    "NPowerlawMGaussian/use_spin_magnitude_mixture-1pl-1g",
)
QUICK_CASES = CASES[:1] + CASES[2:5]
SIZES = (1_000, 100_000)


def worker(cases: list[str], sizes: list[int], calls: int) -> dict:
    """In a downstream environment: time each case at each size."""
    sys.path.insert(0, str(REPO_ROOT / "downstream"))
    import importlib

    import gwkokab_probe as probe

    import jax
    import jax.numpy as jnp

    jax.config.update("jax_platform_name", "cpu")
    by_name = {c.name: c for c in probe.cases()}
    out = {}
    for name in cases:
        case = by_name[name]
        module, _, attr = probe.MODELS[case.model].rpartition(".")
        model = getattr(importlib.import_module(module), attr)
        params = {k: jnp.asarray(v, jnp.float32) for k, v in case.params.items()}

        def total(p, x, model=model, case=case):
            return model(**case.static, **p).log_prob(x).sum()

        for n in sizes:
            try:
                out[f"{name} N={n}"] = _time_one(model, case, params, n, total, calls)
            except Exception as exc:  # a model this NumPyro cannot build or run
                out[f"{name} N={n}"] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return out


def _time_one(model, case, params, n: int, total, calls: int) -> dict:
    import jax

    def draw(p, key):
        return model(**case.static, **p).sample(key, (n,))

    x = jax.jit(draw)(params, jax.random.key(1))
    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(total)).lower(params, x).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(params, x))
    runs = []
    for _ in range(calls):
        start = time.perf_counter()
        jax.block_until_ready(compiled(params, x))
        runs.append(time.perf_counter() - start)
    return {"compile": compile_s, "run": float(np.median(runs))}


def environments() -> dict[str, Path]:
    sys.path.insert(0, str(REPO_ROOT))
    from downstream import harness
    from downstream.projects import GWKOKAB

    root = REPO_ROOT / "build" / "downstream"
    pythons = {
        env: root / f"venv-{GWKOKAB.name}-{env}" / "bin" / "python"
        for env in harness.ENVS
    }
    if not all(p.exists() for p in pythons.values()):
        print("creating the downstream environments (as `make downstream` does)")
        wheel = harness.fork_wheel(REPO_ROOT / "dist")
        sdists = harness.download_sdists(GWKOKAB, root / "sdist")
        pythons = harness.make_envs(GWKOKAB, root, wheel, sdists, fresh=False)
    problems = harness.check_envs(pythons)
    if problems:
        raise SystemExit("the environments differ: " + "; ".join(problems))
    return pythons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and repeats")
    parser.add_argument("--repeats", type=int, help="processes per environment")
    parser.add_argument("--calls", type=int, help="timed calls per process")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(worker(spec["cases"], spec["sizes"], spec["calls"])))
        return 0
    cases = list(QUICK_CASES if args.quick else CASES)
    repeats = args.repeats or (3 if args.quick else 7)
    calls = args.calls or (5 if args.quick else 20)
    pythons = environments()
    spec = json.dumps({"cases": cases, "sizes": list(SIZES), "calls": calls})
    results: dict[str, list[dict]] = {"stock": [], "fork": []}
    print(f"{repeats} repeats x 2 environments, {calls} timed calls each")
    for r in range(repeats):
        order = ("stock", "fork") if r % 2 == 0 else ("fork", "stock")
        for env in order:
            out = subprocess.run(
                [str(pythons[env]), __file__, "--worker", spec],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[env].append(json.loads(out.strip().splitlines()[-1]))
        print(f"  repeat {r + 1}/{repeats} done", flush=True)
    print(format_table(results))
    return 0


def format_table(results: dict[str, list[dict]]) -> str:
    """Per row: stock and fork medians and the median (min-max) of the
    per-repeat ratios fork / stock, for compile and for run time."""
    rows = list(results["stock"][0])
    width = max(len(r) for r in rows)
    lines = [
        f"{'gwkokab model':<{width}}  {'compile s':>15}  {'fork/stock':>17}"
        f"  {'run ms':>17}  {'fork/stock':>17}",
        f"{'':<{width}}  {'stock':>7} {'fork':>7}  {'median (min-max)':>17}"
        f"  {'stock':>8} {'fork':>8}  {'median (min-max)':>17}",
    ]
    for row in rows:
        errors = {
            env: rep[row]["error"]
            for env in ("stock", "fork")
            for rep in results[env][:1]
            if "error" in rep[row]
        }
        if errors:
            text = "; ".join(f"{env} fails: {e}" for env, e in errors.items())
            lines.append(f"{row:<{width}}  {text}")
            continue
        cells = []
        for what, unit in (("compile", 1.0), ("run", 1e3)):
            s = np.array([rep[row][what] for rep in results["stock"]])
            f = np.array([rep[row][what] for rep in results["fork"]])
            ratio = f / s
            digits = 2 if what == "compile" else 3
            width_v = 7 if what == "compile" else 8
            cells.append(
                f"{np.median(s) * unit:>{width_v}.{digits}f} "
                f"{np.median(f) * unit:>{width_v}.{digits}f}  "
                f"{np.median(ratio):>5.2f} ({ratio.min():.2f}-{ratio.max():.2f})"
            )
        lines.append(f"{row:<{width}}  {cells[0]}  {cells[1]}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
