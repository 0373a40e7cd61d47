# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""
A latent that lives in one of several windows
=============================================

A quantity is known to lie in one of a few allowed windows (say, the energy of a
line that theory allows only in certain bands), with prior weights on the
windows, and is measured with Gaussian noise. Its prior is a ``MixtureGeneral``
of uniforms on disjoint intervals, so the latent's support is a union of disjoint
intervals. NUTS samples it through the bijection from the real line onto that
union, and moves between the windows freely: in the unconstrained space they sit
side by side.

The example prints, for each window, the posterior mass NUTS finds against the
exact one (by quadrature), the number of moves between windows, and writes a
figure of the samples against the exact posterior density.

    python examples/disjoint_windows.py --out out/disjoint_windows
"""

import argparse
from pathlib import Path

import numpy as np

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist

WINDOWS = [(1.0, 2.0), (4.0, 5.0), (8.0, 9.0)]
WEIGHTS = [0.5, 0.3, 0.2]
NOISE = 1.2


def prior(validate_args=None):
    return dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array(WEIGHTS)),
        [dist.Uniform(lo, hi) for lo, hi in WINDOWS],
        validate_args=validate_args,
    )


def model(y):
    x = numpyro.sample("x", prior())
    numpyro.sample("y", dist.Normal(x, NOISE), obs=y)


def exact_posterior(y, grid):
    """Posterior density of x on ``grid`` by normalizing prior x likelihood."""
    log_joint = prior(validate_args=False).log_prob(grid) + dist.Normal(
        grid, NOISE
    ).log_prob(y)
    density = jnp.exp(log_joint)
    return density / jnp.trapezoid(density, grid)


def window_masses(y):
    grid = jnp.linspace(0.0, 10.0, 200_001)
    density = exact_posterior(y, grid)
    return [
        float(jnp.trapezoid(jnp.where((grid >= lo) & (grid <= hi), density, 0.0), grid))
        for lo, hi in WINDOWS
    ]


def window_of(x):
    return np.select(
        [(x >= lo) & (x <= hi) for lo, hi in WINDOWS], range(len(WINDOWS)), -1
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="NUTS on a latent in disjoint windows."
    )
    parser.add_argument("--y", type=float, default=3.2, help="the measurement")
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/disjoint_windows"))
    args = parser.parse_args(argv)

    numpyro.enable_x64()
    print(f"support of the prior: {prior().support}")
    mcmc = MCMC(
        NUTS(model),
        num_warmup=args.num_warmup,
        num_samples=args.num_samples,
        progress_bar=False,
    )
    mcmc.run(jax.random.key(args.seed), args.y)
    x = np.asarray(mcmc.get_samples()["x"])
    which = window_of(x)
    exact = window_masses(args.y)
    print(f"{'window':>12s} {'NUTS':>7s} {'exact':>7s}")
    found = []
    for i, (lo, hi) in enumerate(WINDOWS):
        found.append(float((which == i).mean()))
        print(f"[{lo:4.1f}, {hi:4.1f}] {found[-1]:7.3f} {exact[i]:7.3f}")
    moves = int((np.diff(which) != 0).sum())
    print(f"samples outside every window: {int((which < 0).sum())}")
    print(f"moves between windows: {moves} in {len(x)} draws")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    grid = jnp.linspace(0.0, 10.0, 4001)
    fig, (ax, trace) = plt.subplots(2, 1, figsize=(7, 6), height_ratios=[2, 1])
    ax.hist(
        x, bins=200, range=(0, 10), density=True, color="C0", alpha=0.6, label="NUTS"
    )
    ax.plot(grid, exact_posterior(args.y, grid), "k", lw=1, label="exact posterior")
    ax.axvline(args.y, color="C3", ls=":", label=f"measurement y = {args.y}")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend()
    trace.plot(x[:1000], lw=0.5)
    for lo, hi in WINDOWS:
        trace.axhspan(lo, hi, color="0.9")
    trace.set_xlabel("draw")
    trace.set_ylabel("x")
    fig.tight_layout()
    path = args.out / "windows.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
    return found, exact, moves


if __name__ == "__main__":
    main()
