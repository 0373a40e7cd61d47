# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Evaluate gwkokab's models that are built on NumPyro's ``MixtureGeneral`` and
``TruncatedNormal``, for comparison between two environments.

Run with the interpreter of an environment that has gwkokab and a NumPyro
(stock or the fork)::

    python downstream/gwkokab_probe.py --out build/downstream/probe-stock-float32

It writes ``<out>.npz`` (the arrays) and ``<out>.json`` (parameters, shapes,
errors, warnings). For every case it records, each under its own ``try``:
building the distribution, ``log_prob`` at fixed points, the gradient of
``log_prob`` at each point with respect to every float parameter, samples for a
fixed key and ``log_prob`` of those samples. Everything runs under ``jit``.
``--x64`` runs in float64.

This file is standalone (standard library, NumPy, JAX, NumPyro, gwkokab): it
runs inside the downstream environments, not in this project's own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
import json
import sys
import time
import traceback
import warnings

import numpy as np

N_POINTS = 64
N_SAMPLES = 256
SEED = 20240601


#: Where each model is defined.
MODELS = {
    "TwoTruncatedNormalMixture": "gwkokab.models.sundry.TwoTruncatedNormalMixture",
    "NDTwoTruncatedNormalMixture": "gwkokab.models.sundry.NDTwoTruncatedNormalMixture",
    "NDIsotropicAndTruncatedNormalMixture": (
        "gwkokab.models.sundry.NDIsotropicAndTruncatedNormalMixture"
    ),
    "GenericTiltModel": "gwkokab.models.spin.GenericTiltModel",
    "NPowerlawMGaussian": "gwkokab.models.NPowerlawMGaussian",
}


@dataclass
class Case:
    """One model at one parameter point."""

    name: str
    model: str
    params: dict
    points: Callable[[np.random.Generator, int], np.ndarray]
    static: dict = field(default_factory=dict)
    #: Also run in float64 (``--x64`` runs only these).
    x64: bool = True


def uniform_columns(*bounds: tuple[float, float]) -> Callable:
    """Points with independent uniform columns; one column gives a 1-D array."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        cols = [rng.uniform(lo, hi, n) for lo, hi in bounds]
        return cols[0] if len(cols) == 1 else np.stack(cols, axis=-1)

    return draw


def masses_then(*bounds: tuple[float, float]) -> Callable:
    """(m1, m2, ...): m1 in [2, 160], m2 = q m1 with q in [0.02, 1.05] (a few
    points have m2 > m1, outside every mass support), then uniform columns."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        m1 = rng.uniform(2.0, 160.0, n)
        m2 = m1 * rng.uniform(0.02, 1.05, n)
        cols = [m1, m2] + [rng.uniform(lo, hi, n) for lo, hi in bounds]
        return np.stack(cols, axis=-1)

    return draw


def _npmg_mass_params(n_pl: int, n_g: int) -> dict:
    params = {}
    pl = [(2.0, 3.0, 10.0, 70.0), (-1.5, -1.0, 20.0, 100.0)]
    g = [(35.0, 4.0, 10.0, 80.0, 25.0, 5.0), (60.0, 6.0, 5.0, 120.0, 40.0, 8.0)]
    for i in range(n_pl):
        a, b, lo, hi = pl[i]
        params |= {f"alpha_pl_{i}": a, f"beta_pl_{i}": b, f"mmin_pl_{i}": lo}
        params[f"mmax_pl_{i}"] = hi
    for i in range(n_g):
        m1_loc, m1_scale, low, high, m2_loc, m2_scale = g[i]
        params |= {
            f"m1_loc_g_{i}": m1_loc,
            f"m1_scale_g_{i}": m1_scale,
            f"m1_low_g_{i}": low,
            f"m1_high_g_{i}": high,
            f"m2_loc_g_{i}": m2_loc,
            f"m2_scale_g_{i}": m2_scale,
            f"m2_low_g_{i}": low,
            f"m2_high_g_{i}": high,
        }
    for i in range(n_pl + n_g):
        params[f"log_rate_{i}"] = [-2.0, 1.0, 0.5, 1.5][i]
    return params


def _per_component(n_pl: int, n_g: int, make: Callable[[str, int, int], dict]) -> dict:
    """Parameters for each component: ``make(kind, index, k)``, k counting all."""
    params = {}
    k = 0
    for kind, n in (("pl", n_pl), ("g", n_g)):
        for i in range(n):
            params |= make(kind, i, k)
            k += 1
    return params


def _tilt(kind: str, i: int, k: int) -> dict:
    s = f"_{kind}_{i}"
    return {
        "cos_tilt_zeta" + s: [0.3, 0.7, 0.5, 0.6][k],
        "cos_tilt_1_loc" + s: [1.0, 0.5, 0.0, 0.8][k],
        "cos_tilt_2_loc" + s: [0.9, 0.2, 0.1, 1.0][k],
        "cos_tilt_1_scale" + s: [0.4, 0.3, 0.8, 0.5][k],
        "cos_tilt_2_scale" + s: [0.5, 0.6, 0.2, 0.3][k],
    }


def _spin_magnitude(kind: str, i: int, k: int) -> dict:
    s = f"_{kind}_{i}"
    out = {"a_zeta" + s: [0.2, 0.6, 0.4, 0.5][k]}
    for a, (l1, s1, l2, s2) in (
        ("a_1", (0.1, 0.1, 0.6, 0.2)),
        ("a_2", (0.2, 0.2, 0.7, 0.1)),
    ):
        out |= {
            f"{a}_comp1_loc{s}": l1 + 0.05 * k,
            f"{a}_comp1_scale{s}": s1,
            f"{a}_comp2_loc{s}": l2,
            f"{a}_comp2_scale{s}": s2 + 0.02 * k,
        }
    return out


def _two_tn(name: str, lows: tuple, highs: tuple) -> Callable:
    def make(kind: str, i: int, k: int) -> dict:
        s = f"_{kind}_{i}"
        return {
            f"{name}_zeta{s}": [0.3, 0.6, 0.5, 0.4][k],
            f"{name}_comp1_loc{s}": [0.05, 0.1, 0.0, 0.2][k],
            f"{name}_comp1_scale{s}": [0.1, 0.2, 0.15, 0.1][k],
            f"{name}_comp1_low{s}": lows[0],
            f"{name}_comp1_high{s}": highs[0],
            f"{name}_comp2_loc{s}": [0.5, 0.4, 0.6, 0.3][k],
            f"{name}_comp2_scale{s}": [0.3, 0.25, 0.2, 0.3][k],
            f"{name}_comp2_low{s}": lows[1],
            f"{name}_comp2_high{s}": highs[1],
        }

    return make


def _spin_z(kind: str, i: int, k: int) -> dict:
    s = f"_{kind}_{i}"
    return {
        "spin_1z_loc" + s: [0.1, 0.0, 0.3, -0.2][k],
        "spin_1z_scale" + s: [0.2, 0.4, 0.3, 0.5][k],
        "spin_1z_low" + s: -1.0,
        "spin_1z_high" + s: 1.0,
        "spin_2z_loc" + s: [0.0, 0.2, -0.1, 0.1][k],
        "spin_2z_scale" + s: [0.3, 0.2, 0.6, 0.4][k],
        "spin_2z_low" + s: -1.0,
        "spin_2z_high" + s: 1.0,
    }


def cases() -> list[Case]:
    """The models of gwkokab 0.3.1 that build on ``MixtureGeneral`` or
    ``TruncatedNormal``, each at a few parameter points."""
    tn2 = "TwoTruncatedNormalMixture"
    two_tn = dict(comp1_loc=0.2, comp1_scale=0.1, comp2_loc=1.0, comp2_scale=0.3)
    out = [
        Case(f"{tn2}/overlapping", tn2,
             two_tn | dict(comp1_low=0.0, comp1_high=1.0, comp2_low=0.5, comp2_high=1.5, zeta=0.4),
             uniform_columns((-0.5, 2.0))),
        Case(f"{tn2}/disjoint", tn2,
             two_tn | dict(comp1_low=0.0, comp1_high=1.0, comp2_low=2.0, comp2_high=3.0,
                           comp2_loc=2.4, zeta=0.3),
             uniform_columns((-0.5, 3.5))),
        Case(f"{tn2}/one-sided", tn2,
             two_tn | dict(comp1_low=0.0, comp2_low=0.5, comp2_high=1.5, zeta=0.5),
             uniform_columns((-0.5, 3.0)), static=dict(comp1_high=None)),
        # The first component is truncated 15 to 16 scales above its mean.
        Case(f"{tn2}/far-tail", tn2,
             dict(comp1_loc=0.0, comp1_scale=1.0, comp1_low=15.0, comp1_high=16.0,
                  comp2_loc=15.0, comp2_scale=2.0, comp2_low=10.0, comp2_high=20.0, zeta=0.5),
             uniform_columns((9.0, 21.0))),
        Case("NDTwoTruncatedNormalMixture/spin-magnitudes", "NDTwoTruncatedNormalMixture",
             dict(comp1_loc=[0.1, 0.2], comp1_scale=[0.1, 0.2], comp1_low=[0.0, 0.0],
                  comp1_high=[1.0, 1.0], comp2_loc=[0.7, 0.6], comp2_scale=[0.2, 0.1],
                  comp2_low=[0.0, 0.0], comp2_high=[1.0, 1.0], zeta=0.3),
             uniform_columns((-0.2, 1.2), (-0.2, 1.2))),
        Case("NDTwoTruncatedNormalMixture/different-boxes", "NDTwoTruncatedNormalMixture",
             dict(comp1_loc=[0.1, 0.2], comp1_scale=[0.1, 0.2], comp1_low=[0.0, 0.0],
                  comp1_high=[1.0, 1.0], comp2_loc=[1.0, 0.9], comp2_scale=[0.2, 0.3],
                  comp2_low=[0.5, 0.5], comp2_high=[1.5, 1.5], zeta=0.6),
             uniform_columns((-0.2, 1.7), (-0.2, 1.7))),
        Case("NDIsotropicAndTruncatedNormalMixture/box", "NDIsotropicAndTruncatedNormalMixture",
             dict(zeta=0.6, loc=[0.1, 0.5], scale=[0.3, 0.4], isotropic_low=[-1.0, -1.0],
                  isotropic_high=[1.0, 1.0], gaussian_low=[-1.0, -1.0],
                  gaussian_high=[1.0, 1.0]),
             uniform_columns((-1.2, 1.2), (-1.2, 1.2))),
        Case("GenericTiltModel/full-range", "GenericTiltModel",
             dict(zeta=0.5, loc1=1.0, loc2=0.8, scale1=0.5, scale2=0.3),
             uniform_columns((-1.1, 1.1), (-1.1, 1.1))),
        Case("GenericTiltModel/narrow", "GenericTiltModel",
             dict(zeta=0.3, loc1=0.2, loc2=-0.1, scale1=0.2, scale2=0.4, low1=-0.5,
                  low2=-0.8, high1=0.9, high2=1.0),
             uniform_columns((-1.1, 1.1), (-1.1, 1.1))),
    ]  # fmt: skip
    npmg = "NPowerlawMGaussian"
    for n_pl, n_g in ((1, 1), (2, 2)):
        out.append(
            Case(f"{npmg}/masses-{n_pl}pl-{n_g}g", npmg, _npmg_mass_params(n_pl, n_g),
                 masses_then(), static=dict(N_pl=n_pl, N_g=n_g), x64=False)
        )  # fmt: skip
    # Each flag adds a MixtureGeneral (tilt, spin magnitudes) or a mixture of
    # truncated normals (chi_eff) to every component of the population.
    flags = [
        ("use_tilt", _tilt, [(-1.1, 1.1), (-1.1, 1.1)]),
        ("use_spin_magnitude_mixture", _spin_magnitude, [(-0.1, 1.1), (-0.1, 1.1)]),
        ("use_chi_eff_mixture", _two_tn("chi_eff", (-1.0, -1.0), (1.0, 1.0)), [(-1.1, 1.1)]),
    ]  # fmt: skip
    for flag, make, bounds in flags:
        params = _npmg_mass_params(1, 1) | _per_component(1, 1, make)
        out.append(
            Case(f"{npmg}/{flag}-1pl-1g", npmg, params, masses_then(*bounds),
                 static={"N_pl": 1, "N_g": 1, flag: True}, x64=False)
        )  # fmt: skip
    return out


def _error(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip().replace("\n", " ")
    return text[:400]


def run_case(case: Case, dtype, arrays: dict) -> dict:
    import importlib

    import jax
    import jax.numpy as jnp

    module, _, attr = MODELS[case.model].rpartition(".")
    model = getattr(importlib.import_module(module), attr)
    params = {k: jnp.asarray(v, dtype) for k, v in case.params.items()}
    meta = {
        "model": case.model,
        "static": case.static,
        "params": case.params,
        "errors": {},
        "warnings": [],
    }

    def build(p):
        return model(**case.static, **p)

    rng = np.random.default_rng(SEED)
    x = jnp.asarray(case.points(rng, N_POINTS), dtype)
    arrays[f"{case.name}/points"] = np.asarray(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            d = build(params)
            meta["batch_shape"] = list(d.batch_shape)
            meta["event_shape"] = list(d.event_shape)
            meta["support"] = type(d.support).__name__
        except Exception as exc:
            meta["errors"]["build"] = _error(exc)
        meta["warnings"] = sorted(
            {f"{w.category.__name__}: {w.message}" for w in caught}
        )
    if "build" in meta["errors"]:
        return meta

    def log_prob(p, v):
        return build(p).log_prob(v)

    meta["seconds"] = {}

    def step(name, fn):
        start = time.perf_counter()
        try:
            return jax.block_until_ready(fn())
        except Exception as exc:
            meta["errors"][name] = _error(exc)
            return None
        finally:
            meta["seconds"][name] = round(time.perf_counter() - start, 3)

    samples = step(
        "samples",
        lambda: jax.jit(lambda p, k: build(p).sample(k, (N_SAMPLES,)))(
            params, jax.random.key(0)
        ),
    )
    # One evaluation at the fixed points and the samples, so one compilation.
    where = x if samples is None else jnp.concatenate([x, samples.astype(dtype)])
    n = x.shape[0]
    fields = {"logp": lambda: jax.jit(log_prob)(params, where)}
    fields["grad"] = lambda: jax.jit(jax.vmap(jax.grad(log_prob), in_axes=(None, 0)))(
        params, where
    )
    if samples is not None:
        arrays[f"{case.name}/samples"] = np.asarray(samples)
    for name, fn in fields.items():
        value = step(name, fn)
        if value is None:
            continue
        for key, v in value.items() if name == "grad" else [(None, value)]:
            v = np.asarray(v)
            suffix = "" if key is None else "/" + key
            arrays[f"{case.name}/{name}{suffix}"] = v[:n]
            if samples is not None:
                arrays[f"{case.name}/{name}_samples{suffix}"] = v[n:]
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output path without suffix")
    parser.add_argument(
        "--x64", action="store_true", help="run the cases marked x64 in float64"
    )
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args(argv)
    import jax

    jax.config.update("jax_platform_name", "cpu")
    if args.x64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import numpyro

    dtype = jnp.float64 if args.x64 else jnp.float32
    arrays: dict[str, np.ndarray] = {}
    report = {
        "numpyro": numpyro.__version__,
        "jax": jax.__version__,
        "dtype": np.dtype(dtype).name,
        "cases": {},
    }
    for case in cases():
        if args.only and args.only not in case.name:
            continue
        if args.x64 and not case.x64:
            continue
        report["cases"][case.name] = run_case(case, dtype, arrays)
    np.savez(args.out + ".npz", **arrays)
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
