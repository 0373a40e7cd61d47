# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""
A mixture density network whose components have different supports
===================================================================

A response is sometimes measurement noise around zero and sometimes a positive,
heavy-tailed signal, and how often each happens depends on the input ``x``. A
small `Flax NNX <https://flax.readthedocs.io>`_ network maps each ``x`` to the
parameters of a two-component mixture,

.. math::

    p(y \\mid x) = (1 - w(x))\\, \\mathcal{N}(y; 0, s(x))
        + w(x)\\, \\mathrm{LogNormal}(y; \\mu(x), \\tau(x)),

a ``MixtureGeneral`` of a ``Normal`` on the real line and a ``LogNormal`` on the
positive reals. The mixture's support is inferred (their union, the real line),
and the ``LogNormal`` is evaluated only at positive responses, so the negative
responses leave no NaN in the gradients that train the network. The network is
registered with :func:`numpyro.contrib.module.nnx_module` and its weights are
fitted by maximum likelihood with SVI (the guide is empty: there is no latent).

The example prints the training loss (SVI's progress bar), checks that draws from
the fitted model (``Predictive``) are finite, and writes a figure of the fitted
predictive 5%, 50% and 95% quantiles (by bisection on the mixture's cdf) against
the data and the true quantiles, and of the fitted probability of the positive
component against the true one.

    python examples/mixture_density_network.py --out out/mixture_density_network
"""

import argparse
from pathlib import Path
import time

import numpy as np

from flax import nnx
import jax
import jax.numpy as jnp

import numpyro
from numpyro.contrib.module import nnx_module
from numpyro.infer import SVI, Predictive, Trace_ELBO
import numpyro_mixsupport.distributions as dist

X_RANGE = (-3.0, 3.0)
QUANTILES = (0.05, 0.5, 0.95)


def true_distribution(x):
    """The data-generating distribution of ``y`` given ``x``."""
    x = jnp.asarray(x)
    w = jax.nn.sigmoid(1.5 * x)  # probability of the heavy-tailed signal
    noise = dist.Normal(0.0, 0.15 + 0.05 * (x - X_RANGE[0]))
    signal = dist.LogNormal(0.6 + 0.25 * x, 0.7 + 0.05 * x)
    mixing = dist.Categorical(probs=jnp.stack([1 - w, w], axis=-1))
    return dist.MixtureGeneral(mixing, [noise, signal])


def simulate(key, num_points):
    key_x, key_y = jax.random.split(key)
    x = jax.random.uniform(key_x, (num_points,), minval=X_RANGE[0], maxval=X_RANGE[1])
    return x, true_distribution(x).sample(key_y)


class MDN(nnx.Module):
    """A two-layer perceptron with one output per mixture parameter."""

    num_outputs = 4

    def __init__(self, hidden: int, *, rngs: nnx.Rngs):
        self.hidden_1 = nnx.Linear(1, hidden, rngs=rngs)
        self.hidden_2 = nnx.Linear(hidden, hidden, rngs=rngs)
        self.output = nnx.Linear(hidden, self.num_outputs, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        h = jnp.tanh(self.hidden_1(x))
        h = jnp.tanh(self.hidden_2(h))
        return self.output(h)


def mixture_from_outputs(out):
    """The mixture for each row of network outputs."""
    logit, raw_scale, log_loc, raw_log_scale = jnp.moveaxis(out, -1, 0)
    mixing = dist.Categorical(logits=jnp.stack([jnp.zeros_like(logit), logit], -1))
    noise = dist.Normal(0.0, jax.nn.softplus(raw_scale) + 1e-3)
    signal = dist.LogNormal(log_loc, jax.nn.softplus(raw_log_scale) + 1e-3)
    return dist.MixtureGeneral(mixing, [noise, signal])


def make_model(network):
    """The model: the network's mixture as the likelihood of each response."""

    def model(x, y=None):
        net = nnx_module("mdn", network)
        mixture = mixture_from_outputs(net(x[:, None]))
        with numpyro.plate("data", x.shape[0]):
            numpyro.sample("y", mixture, obs=y)

    return model


def guide(x, y=None):
    """No latent variable: the network's weights are parameters of the model."""


def fit(model, x, y, key, num_steps, learning_rate, progress_bar=True):
    # Adam, with the step size decaying tenfold over the run.
    def step_size(i):
        return learning_rate * 0.1 ** (i / num_steps)

    svi = SVI(model, guide, numpyro.optim.Adam(step_size), Trace_ELBO())
    return svi.run(key, num_steps, x, y, progress_bar=progress_bar)


def fitted_distribution(model, params, x):
    """The fitted mixture at each ``x``: the distribution of the site ``y``."""
    model = numpyro.handlers.substitute(numpyro.handlers.seed(model, 0), params)
    return numpyro.handlers.trace(model).get_trace(x)["y"]["fn"]


@jax.jit
def quantiles(d):
    """``QUANTILES`` of the scalar distribution ``d`` at each batch index, by
    bisection on its cdf (a mixture's is 0 below and 1 above each component's
    support, so the bisection may start anywhere)."""

    def bisect(q):
        def step(_, bracket):
            lo, hi = bracket
            mid = (lo + hi) / 2
            below = d.cdf(mid) < q
            return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

        lo = jnp.full(d.batch_shape, -1e3)
        lo, hi = jax.lax.fori_loop(0, 64, step, (lo, -lo))
        return (lo + hi) / 2

    return jnp.stack([bisect(q) for q in QUANTILES])


def plot(x, y, grid, fitted, truth, weight, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    x, y = np.asarray(x), np.asarray(y)
    fig, (ax, ax_w) = plt.subplots(
        2, 1, figsize=(7.5, 7), sharex=True, height_ratios=[3, 1]
    )
    ax.scatter(x, y, s=4, color="0.55", alpha=0.5, lw=0, label="data")
    ax.fill_between(
        grid, fitted[0], fitted[2], color="C0", alpha=0.25, label="fitted 5%-95%"
    )
    ax.plot(grid, fitted[1], color="C0", lw=2, label="fitted median")
    for i, q in enumerate(truth):
        ax.plot(grid, q, "k--", lw=1, label="true 5%, 50%, 95%" if i == 0 else None)
    ax.axhline(0.0, color="0.3", lw=0.5)
    ax.set_yscale("symlog", linthresh=1.0, linscale=1.5)
    ax.set_ylim(-2.0, max(60.0, float(np.max(y)) * 1.2))
    ax.set_ylabel("y  (symmetric log scale)")
    ax.set_title("Mixture density network: Normal on the reals + LogNormal on y > 0")
    ax.legend(loc="upper left", framealpha=0.9)

    ax_w.plot(grid, weight["fitted"], color="C0", lw=2, label="fitted")
    ax_w.plot(grid, weight["true"], "k--", lw=1, label="true")
    ax_w.set_ylim(0, 1)
    ax_w.set_xlabel("x")
    ax_w.set_ylabel("P(LogNormal)")
    ax_w.legend(loc="upper left")
    fig.tight_layout()
    path = out / "quantiles.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit a mixture density network with components on different supports."
    )
    parser.add_argument("--num-points", type=int, default=4000)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/mixture_density_network"))
    parser.add_argument("--no-progress-bar", action="store_true")
    args = parser.parse_args(argv)

    key_data, key_fit, key_pred = jax.random.split(jax.random.key(args.seed), 3)
    x, y = simulate(key_data, args.num_points)
    print(
        f"data: {args.num_points} points, {float((y <= 0).mean()):.0%} at or below "
        f"zero, largest y {float(y.max()):.1f}"
    )
    model = make_model(MDN(args.hidden, rngs=nnx.Rngs(args.seed)))
    start = time.perf_counter()
    result = fit(
        model,
        x,
        y,
        key_fit,
        args.steps,
        args.learning_rate,
        progress_bar=not args.no_progress_bar,
    )
    losses = np.asarray(result.losses)
    window = max(1, min(100, len(losses) // 10))
    print(
        f"SVI: {args.steps} steps in {time.perf_counter() - start:.1f} s, loss "
        f"{losses[:window].mean():.1f} (first {window}) -> "
        f"{losses[-window:].mean():.1f} (last {window})"
    )

    # Predictive draws of y on a grid of inputs, and the quantiles of the fitted
    # and of the true distribution there.
    grid = jnp.linspace(*X_RANGE, 200)
    predictive = Predictive(model, params=result.params, num_samples=args.num_samples)
    draws = np.asarray(predictive(key_pred, grid)["y"])
    fitted_grid = fitted_distribution(model, result.params, grid)
    fitted = np.asarray(quantiles(fitted_grid))
    truth = np.asarray(quantiles(true_distribution(grid)))
    print(
        f"predictive: {draws.size} draws of y, "
        f"{'all finite' if np.isfinite(draws).all() else 'NOT ALL FINITE'}"
    )
    low, _, high = np.asarray(quantiles(fitted_distribution(model, result.params, x)))
    inside = float(((low <= y) & (y <= high)).mean())
    print(f"data inside the fitted 5%-95% interval at their x: {inside:.1%}")
    print(f"{'x':>6s} " + " ".join(f"{f'q{q:.0%}':>15s}" for q in QUANTILES))
    for i in np.linspace(0, len(grid) - 1, 5).astype(int):
        cells = " ".join(
            f"{fitted[j, i]:7.2f} ({truth[j, i]:5.2f})" for j in range(len(QUANTILES))
        )
        print(f"{float(grid[i]):6.2f} {cells}")
    print("(fitted, true in brackets)")
    weight = {
        "fitted": np.asarray(fitted_grid.mixing_distribution.probs[..., 1]),
        "true": np.asarray(true_distribution(grid).mixing_distribution.probs[..., 1]),
    }
    path = plot(x, y, grid, fitted, truth, weight, args.out)
    print(f"wrote {path}")
    return dict(
        losses=losses,
        draws=draws,
        fitted=fitted,
        truth=truth,
        inside=inside,
        figure=path,
    )


if __name__ == "__main__":
    main()
