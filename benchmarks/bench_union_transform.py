# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""NUTS on a latent whose support is a union of intervals: the effective sample
size per draw of the piece indicator, and the mass of each piece, under the
union transform that gives every interval the same room and under the plain
translation of the intervals next to each other (the previous transform),
side by side on the same seeds.

For intervals of equal width the two pulled-back densities are the same up to
an affine change of the collapsed coordinate, which ``biject_to`` of the
collapsed interval absorbs, so their figures should agree; for intervals of
different widths the translation leaves a barrier of about ``-log(width
ratio)`` nats, and NUTS stops moving between the pieces.

Then the cases of ``test/test_union_mixing.py`` (intervals 1e-1 to 1e-6 wide
next to one of width 1, intervals 1e4 apart, a finite interval 1e-4 wide
between two rays) in float32 and float64: the mass of each piece and the split
r_hat of its indicator, which the test checks (within 0.03, below 1.01).

    python benchmarks/bench_union_transform.py [--quick]
"""

import argparse
import contextlib
from pathlib import Path
import sys

import numpy as np

import jax
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import transforms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test"))
import test_union_mixing  # noqa: E402

CASES = {
    # equal widths
    "0.5 U(0, 1) + 0.5 U(2, 3)": ((0.5, 0.5), ((0.0, 1.0), (2.0, 3.0))),
    "0.3 U(0, 10) + 0.7 U(20, 30)": ((0.3, 0.7), ((0.0, 10.0), (20.0, 30.0))),
    "0.2 U(0, 1) + 0.3 U(2, 3) + 0.5 U(4, 5)": (
        (0.2, 0.3, 0.5),
        ((0.0, 1.0), (2.0, 3.0), (4.0, 5.0)),
    ),
    # different widths
    "0.5 U(0, 1e-3) + 0.5 U(1, 2)": ((0.5, 0.5), ((0.0, 1e-3), (1.0, 2.0))),
}


@contextlib.contextmanager
def translation_only():
    """The collapse that translates each interval next to the previous one and
    keeps its width (the previous union transform)."""
    layout_of = transforms._collapse_layout

    def translated(spans, dtype_like, shape):
        layout = layout_of(spans, dtype_like, shape)
        if "collapsed" not in layout:
            return layout
        length = layout["collapsed"] * layout["width"]
        total = jnp.sum(length, axis=-1)
        layout.update(
            collapsed=length,
            collapsed_start=jnp.cumsum(length, axis=-1) - length,
            width=jnp.ones_like(length),
            log_width=jnp.zeros_like(length),
            total=total,
        )
        base = layout["base"]
        if isinstance(base, transforms.IdentityTransform):
            return layout
        low_open, high_open = layout["low_open"], layout["high_open"]
        if low_open:
            layout["base"] = transforms.biject_to(dist.constraints.less_than(total))
        elif not high_open:
            layout["base"] = transforms.biject_to(
                dist.constraints.interval(jnp.zeros_like(total), total)
            )
        return layout

    transforms._collapse_layout = translated
    try:
        yield
    finally:
        transforms._collapse_layout = layout_of


def _draws(model, seed, warmup, draws, chains) -> np.ndarray:
    """Draws of ``x`` by chain from NUTS with vectorized chains."""
    mcmc = MCMC(
        NUTS(model),
        num_warmup=warmup,
        num_samples=draws,
        num_chains=chains,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(seed))
    return np.asarray(mcmc.get_samples(group_by_chain=True)["x"])


def run(weights, pieces, seed, warmup, draws, chains):
    def model():
        numpyro.sample(
            "x",
            dist.MixtureGeneral(
                dist.Categorical(probs=jnp.asarray(weights)),
                [dist.Uniform(lo, hi) for lo, hi in pieces],
            ),
        )

    x = _draws(model, seed, warmup, draws, chains).astype(np.float64)
    masses, r_hats = test_union_mixing.piece_diagnostics(x, pieces)
    ess = []
    for lo, hi in pieces:
        indicator = ((x >= lo) & (x <= hi)).astype(np.float64)
        ess.append(effective_sample_size(indicator) / indicator.size)
    # the piece with the smallest ESS per draw
    k = int(np.nanargmin(ess)) if np.isfinite(ess).any() else 0
    error = float(np.max(np.abs(np.array(masses) - np.array(weights))))
    return float(ess[k]), float(np.nanmax(r_hats)), error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    seeds = args.seeds or (2 if args.quick else 5)
    warmup, draws, chains = (300, 500, 2) if args.quick else (1000, 2000, 4)
    print(
        f"NUTS, {chains} chains x {draws} draws (vectorized), float32, {seeds} seeds;"
        " ESS per draw of the piece indicator (the smallest over the pieces),"
        " median [min, max] over seeds; max split r_hat; max |mass - truth|\n"
    )
    header = (
        f"{'case':<42} {'transform':<12} {'ESS/draw':>22} {'r_hat':>7} {'mass err':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, (weights, pieces) in CASES.items():
        results = {}
        for label in ("translation", "equal room"):
            rows = []
            for seed in range(seeds):
                context = (
                    translation_only()
                    if label == "translation"
                    else contextlib.nullcontext()
                )
                with context:
                    rows.append(run(weights, pieces, seed, warmup, draws, chains))
            results[label] = np.array(rows)
        for label, rows in results.items():
            ess, r_hat, error = rows[:, 0], rows[:, 1], rows[:, 2]
            cell = (
                f"{np.median(ess):.3f} [{np.min(ess):.3f}, {np.max(ess):.3f}]"
                if np.isfinite(ess).all()
                else "not finite"
            )
            print(
                f"{name:<42} {label:<12} {cell:>22} "
                f"{np.nanmax(r_hat):>7.3f} {np.max(error):>9.3f}"
            )
        ratio = results["equal room"][:, 0] / results["translation"][:, 0]
        if np.isfinite(ratio).all():
            print(
                f"{'':<42} {'new / old':<12} {np.median(ratio):>10.2f}"
                f" [{np.min(ratio):.2f}, {np.max(ratio):.2f}]"
            )
    mixing_table(warmup, draws, chains)


def mixing_table(warmup: int, draws: int, chains: int) -> None:
    print(
        f"\nNUTS, {chains} chains x {draws} draws (vectorized), the cases of "
        "test/test_union_mixing.py: mass of each piece (truth) and max split r_hat "
        "of the piece indicators"
    )
    for name, (weights, pieces, make) in sorted(test_union_mixing.CASES.items()):
        for dtype in ("float32", "float64"):

            def model():
                numpyro.sample("x", make())

            with jax.enable_x64(dtype == "float64"):
                x = _draws(model, 1, warmup, draws, chains)
            masses, r_hats = test_union_mixing.piece_diagnostics(x, pieces)
            shown = " ".join(f"{m:.3f} ({w})" for m, w in zip(masses, weights))
            print(f"{name:<14} {dtype:<8} {shown:<40} r_hat {np.max(r_hats):.4f}")


if __name__ == "__main__":
    main()
