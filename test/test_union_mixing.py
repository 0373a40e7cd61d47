# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""NUTS on latents whose support is a union of intervals of very different widths
and distances: the mass of each piece within 0.03 of the truth and the split
r_hat of the piece indicator below 1.01, in float32 and float64."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import split_gelman_rubin
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions.transforms import AffineTransform


def _uniforms(weights, pieces):
    return (
        weights,
        pieces,
        lambda: dist.MixtureGeneral(
            dist.Categorical(probs=jnp.asarray(weights)),
            [dist.Uniform(lo, hi) for lo, hi in pieces],
        ),
    )


def _three_pieces():
    # (-inf, -3] and [5, inf) as shifted and flipped Exponentials, and a finite
    # piece 1e-4 wide between them
    weights = (0.3, 0.3, 0.4)
    pieces = ((-np.inf, -3.0), (0.0, 1e-4), (5.0, np.inf))

    def make():
        below = dist.TransformedDistribution(
            dist.Exponential(1.0), AffineTransform(-3.0, -1.0)
        )
        above = dist.TransformedDistribution(
            dist.Exponential(1.0), AffineTransform(5.0, 1.0)
        )
        return dist.MixtureGeneral(
            dist.Categorical(probs=jnp.asarray(weights)),
            [below, dist.Uniform(0.0, 1e-4), above],
        )

    return weights, pieces, make


CASES = {
    "narrow_1e-1": _uniforms((0.5, 0.5), ((0.0, 1e-1), (1.0, 2.0))),
    "narrow_1e-3": _uniforms((0.5, 0.5), ((0.0, 1e-3), (1.0, 2.0))),
    "narrow_1e-6": _uniforms((0.5, 0.5), ((0.0, 1e-6), (1.0, 2.0))),
    "far_and_wide": _uniforms((0.3, 0.7), ((0.0, 1.0), (1e4, 1e4 + 1e3))),
    "three_pieces": _three_pieces(),
}


def piece_diagnostics(x: np.ndarray, pieces) -> tuple[np.ndarray, np.ndarray]:
    """Mass of each piece and split r_hat of its indicator, for draws ``x`` of
    shape (chains, draws)."""
    masses, r_hats = [], []
    for lo, hi in pieces:
        indicator = ((x >= lo) & (x <= hi)).astype(np.float64)
        masses.append(indicator.mean())
        r_hats.append(split_gelman_rubin(indicator))
    return np.array(masses), np.array(r_hats)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_nuts_mixes_between_pieces(name, dtype):
    weights, pieces, make = CASES[name]

    def model():
        numpyro.sample("x", make())

    with jax.enable_x64(dtype == "float64"):
        mcmc = MCMC(
            NUTS(model),
            num_warmup=1000,
            num_samples=2000,
            num_chains=4,
            chain_method="vectorized",
            progress_bar=False,
        )
        mcmc.run(jax.random.key(1))
        x = np.asarray(mcmc.get_samples(group_by_chain=True)["x"])
    assert x.dtype == np.dtype(dtype)
    assert bool(make().support(jnp.asarray(x)).all())
    masses, r_hats = piece_diagnostics(x, pieces)
    np.testing.assert_allclose(masses, weights, atol=0.03)
    assert (r_hats < 1.01).all(), r_hats
