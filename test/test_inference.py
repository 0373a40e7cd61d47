# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""End-to-end inference with a latent ``MixtureGeneral`` whose support is a
disjoint union of intervals: MCMC (NUTS, HMC), every init strategy, SVI with
autoguides and ``Predictive``.

Tolerances. A fraction ``p`` estimated from ``n`` effective draws has standard
deviation ``sqrt(p (1 - p) / n)``. Each test checks the effective sample size
its tolerance relies on and states how many standard deviations the tolerance
is (2.6 or more; 4 or more for the independent prior draws); the PRNG
keys are fixed, so the outcome is deterministic. A sampler stuck in one piece,
or leaking mass into a gap, misses by far more.
"""

import numpy as np
import pytest
from scipy import stats

import jax
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin, summary
from numpyro.infer import (
    HMC,
    MCMC,
    NUTS,
    SVI,
    Predictive,
    Trace_ELBO,
    init_to_feasible,
    init_to_mean,
    init_to_median,
    init_to_sample,
    init_to_uniform,
    init_to_value,
)
from numpyro.infer.autoguide import AutoDelta, AutoMultivariateNormal, AutoNormal
from numpyro.infer.util import initialize_model
from numpyro.optim import Adam
import numpyro_mixsupport.distributions as dist

# --------------------------------------------------------------------------
# Models and independent (numpy) descriptions of their supports and CDFs.
# --------------------------------------------------------------------------

TWO_WEIGHTS = (0.3, 0.7)
THREE_WEIGHTS = (0.2, 0.5, 0.3)


def two_uniforms(weights=TWO_WEIGHTS):
    return dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array(weights)),
        [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
    )


def three_pieces():
    # Supports less_than(-1), interval(0, 1), greater_than(3).
    return dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array(THREE_WEIGHTS)),
        [
            dist.TransformedDistribution(
                dist.Exponential(1.0), dist.transforms.AffineTransform(-1.0, -1.0)
            ),
            dist.Uniform(0.0, 1.0),
            dist.TransformedDistribution(
                dist.Exponential(1.0), dist.transforms.AffineTransform(3.0, 1.0)
            ),
        ],
    )


def two_uniform_model():
    numpyro.sample("x", two_uniforms())


def equal_two_uniform_model():
    # Median and mean (1.5) lie in the gap (1, 2).
    numpyro.sample("x", two_uniforms((0.5, 0.5)))


def three_piece_model():
    numpyro.sample("x", three_pieces())


def two_uniform_pieces(x):
    x = np.asarray(x)
    return [(x >= 0.0) & (x <= 1.0), (x >= 2.0) & (x <= 3.0)]


def three_pieces_pieces(x):
    x = np.asarray(x)
    return [x < -1.0, (x >= 0.0) & (x <= 1.0), x > 3.0]


def two_uniform_cdf(x):
    w0, w1 = TWO_WEIGHTS
    x = np.asarray(x, dtype=np.float64)
    return w0 * np.clip(x, 0.0, 1.0) + w1 * np.clip(x - 2.0, 0.0, 1.0)


def three_piece_cdf(x):
    w0, w1, w2 = THREE_WEIGHTS
    x = np.asarray(x, dtype=np.float64)
    # -1 - E <= x  <=>  E >= -1 - x;  3 + E <= x  <=>  E <= x - 3.
    low = np.exp(-np.maximum(-1.0 - x, 0.0))
    high = 1.0 - np.exp(-np.maximum(x - 3.0, 0.0))
    return w0 * low + w1 * np.clip(x, 0.0, 1.0) + w2 * high


def assert_in_support(x, pieces, support):
    """Every draw lies in exactly one piece (checked in numpy) and in the
    package's support constraint; no NaN."""
    x = np.asarray(x)
    assert np.all(np.isfinite(x)), "non-finite draws"
    inside = np.sum(np.stack(pieces(x)), axis=0)
    assert np.all(inside == 1), f"draws outside the support: {x[inside != 1][:10]}"
    assert bool(jnp.all(support(jnp.asarray(x))))


def piece_fractions(x, pieces):
    return np.array([np.mean(p) for p in pieces(x)])


# --------------------------------------------------------------------------
# 1. NUTS and HMC, sequential and vectorized chains.
# --------------------------------------------------------------------------


def _kernel(name):
    if name == "NUTS":
        return NUTS(two_uniform_model)
    # The potential jumps by log(0.7 / 0.3) at the seam between the pieces (the
    # bijection is a translation on each piece), an energy error that no step
    # size removes. With HMC's default fixed trajectory length (2 pi) about half
    # the trajectories cross the seam downhill in density and are accepted with
    # probability 3/7, so the mean acceptance stays below the 0.8 target, dual
    # averaging shrinks the step size without bound and the number of leapfrog
    # steps (2 pi / step size) explodes. A fixed number of steps, with the step
    # size still adapted (trajectory_length=None), has an equilibrium.
    return HMC(two_uniform_model, num_steps=5, trajectory_length=None)


@pytest.mark.parametrize("chain_method", ["sequential", "vectorized"])
@pytest.mark.parametrize("kernel", ["NUTS", "HMC"])
def test_mcmc_two_uniforms(kernel, chain_method):
    mcmc = MCMC(
        _kernel(kernel),
        num_warmup=500,
        num_samples=1000,
        num_chains=2,
        chain_method=chain_method,
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(1), extra_fields=("potential_energy", "diverging"))
    x = mcmc.get_samples(group_by_chain=True)["x"]
    assert x.shape == (2, 1000)
    assert_in_support(x, two_uniform_pieces, two_uniforms().support)

    extra = mcmc.get_extra_fields(group_by_chain=True)
    energy = np.asarray(extra["potential_energy"])
    assert energy.shape == (2, 1000)
    assert np.all(np.isfinite(energy))
    # Uniform pieces: potential = -log(weight) - log|J|, and the bijection onto
    # the collapsed interval (0, 2) has |J| = 2 sigmoid'(z) <= 1/2, so the
    # potential is never below log(2 / 0.7).
    assert np.all(energy >= np.log(2 / 0.7) - 1e-9)
    assert int(np.sum(extra["diverging"])) <= 5

    # Both chains visit both pieces, and the upper piece holds 0.7 of the mass.
    per_chain = np.stack([piece_fractions(c, two_uniform_pieces) for c in x])
    assert np.all(per_chain > 0.5 * np.array(TWO_WEIGHTS))
    upper = np.asarray(x > 2.0, dtype=np.float64)
    ess = float(effective_sample_size(upper))
    # sd of the fraction is sqrt(0.21 / ess) <= 0.019 at ess >= 600 (NUTS gets
    # about 720, HMC about 1670 here), so the tolerance 0.05 is >= 2.6 sd.
    assert ess >= 600, ess
    assert abs(upper.mean() - 0.7) < 0.05


# --------------------------------------------------------------------------
# 2. Long NUTS runs: per-piece mass, R-hat and a KS test against the exact CDF.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, pieces, cdf, weights, support",
    [
        (
            three_piece_model,
            three_pieces_pieces,
            three_piece_cdf,
            THREE_WEIGHTS,
            three_pieces().support,
        ),
        (
            two_uniform_model,
            two_uniform_pieces,
            two_uniform_cdf,
            TWO_WEIGHTS,
            two_uniforms().support,
        ),
    ],
    ids=["three_pieces_infinite_ends", "two_uniforms"],
)
def test_nuts_distribution(model, pieces, cdf, weights, support):
    mcmc = MCMC(
        NUTS(model),
        num_warmup=1000,
        num_samples=2000,
        num_chains=4,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(2), extra_fields=("potential_energy",))
    x = np.asarray(mcmc.get_samples(group_by_chain=True)["x"])
    assert x.shape == (4, 2000)
    assert_in_support(x, pieces, support)
    assert np.all(np.isfinite(mcmc.get_extra_fields()["potential_energy"]))

    # 8000 draws, ess of each piece indicator about 2650 here: sd of a fraction
    # <= 0.5 / sqrt(ess) <= 0.0112 at ess >= 2000, so 0.03 is >= 2.6 sd.
    fractions = piece_fractions(x, pieces)
    np.testing.assert_allclose(fractions, weights, atol=0.03)
    for p in pieces(x):
        assert float(effective_sample_size(p.astype(np.float64))) >= 2000

    assert float(split_gelman_rubin(x)) < 1.01
    assert float(summary({"x": x})["x"]["r_hat"]) < 1.01
    # Each chain's piece indicators agree too (mixing across the gaps).
    for p in pieces(x):
        assert float(split_gelman_rubin(p.astype(np.float64))) < 1.01

    # The thinned chains are close to independent; KS against the exact CDF.
    thinned = x[:, ::4].ravel()
    result = stats.kstest(thinned, cdf)
    assert result.pvalue > 0.01, result

    # Sanity of the test itself: the KS test does reject a wrong mixture weight.
    wrong = stats.kstest(thinned, lambda v: 0.5 * cdf(v) + 0.5 * (v > 2.0))
    assert wrong.pvalue < 1e-6


@pytest.mark.parametrize(
    "model",
    [three_piece_model, two_uniform_model],
    ids=["three_pieces", "two_uniforms"],
)
def test_jitted_potential_matches_eager(model):
    # MCMC and SVI trace the model under jit, where the mixture and its support
    # are rebuilt from traced computations; the potential (log density through
    # biject_to of the union) and its gradient must not depend on that.
    info = initialize_model(jax.random.PRNGKey(0), model)

    def potential(z):
        return info.potential_fn({"x": z})

    z = jnp.linspace(-4.0, 4.0, 33)
    eager = jax.vmap(jax.value_and_grad(potential))(z)
    jitted = jax.jit(jax.vmap(jax.value_and_grad(potential)))(z)
    for a, b in zip(eager, jitted):
        assert np.all(np.isfinite(np.asarray(b)))
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_exact_cdfs_are_cdfs():
    # The hand-written CDFs are what the tests above compare against; check them
    # against the numbers they must give.
    assert np.isclose(two_uniform_cdf(1.5), 0.3)
    assert np.isclose(two_uniform_cdf(2.5), 0.65)
    assert np.isclose(three_piece_cdf(-1.0), 0.2)
    assert np.isclose(three_piece_cdf(-2.0), 0.2 * np.exp(-1.0))
    assert np.isclose(three_piece_cdf(2.0), 0.7)
    assert np.isclose(three_piece_cdf(4.0), 0.7 + 0.3 * (1 - np.exp(-1.0)))
    grid = np.linspace(-20.0, 40.0, 2001)
    assert np.all(np.diff(three_piece_cdf(grid)) >= 0)
    assert np.isclose(three_piece_cdf(-50.0), 0.0, atol=1e-12)
    assert np.isclose(three_piece_cdf(60.0), 1.0)


# --------------------------------------------------------------------------
# 3. Every init strategy gives a valid start and in-support samples.
# --------------------------------------------------------------------------

INIT_STRATEGIES = {
    "median": init_to_median,
    "mean": init_to_mean,
    "uniform": init_to_uniform,
    "sample": init_to_sample,
    "feasible": init_to_feasible,
    "value": init_to_value(values={"x": 2.5}),
}


@pytest.mark.parametrize("name", list(INIT_STRATEGIES))
def test_init_strategies(name):
    strategy = INIT_STRATEGIES[name]
    support = two_uniforms((0.5, 0.5)).support
    info = initialize_model(
        jax.random.PRNGKey(3), equal_two_uniform_model, init_strategy=strategy
    )
    z = info.param_info.z["x"]
    assert np.isfinite(float(info.param_info.potential_energy))
    assert np.isfinite(float(info.param_info.z_grad["x"]))
    assert np.isfinite(float(info.potential_fn(info.param_info.z)))
    x0 = info.postprocess_fn(info.param_info.z)["x"]
    assert_in_support(x0, two_uniform_pieces, support)
    # The unconstrained point maps back to itself through the bijection.
    t = dist.biject_to(support)
    assert np.isclose(float(t.inv(x0)), float(z), atol=1e-6)
    if name == "value":
        assert np.isclose(float(x0), 2.5)

    mcmc = MCMC(
        NUTS(equal_two_uniform_model, init_strategy=strategy),
        num_warmup=200,
        num_samples=400,
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(4), extra_fields=("potential_energy",))
    x = mcmc.get_samples()["x"]
    assert_in_support(x, two_uniform_pieces, support)
    assert np.all(np.isfinite(mcmc.get_extra_fields()["potential_energy"]))
    # Equal weights: both pieces are visited, roughly equally.
    assert np.all(np.abs(piece_fractions(x, two_uniform_pieces) - 0.5) < 0.2)


# --------------------------------------------------------------------------
# 4. SVI with autoguides.
# --------------------------------------------------------------------------

Y = jnp.array([2.6, 2.4, 2.5])


def regression_model(y=Y):
    x = numpyro.sample("x", two_uniforms())
    with numpyro.plate("data", y.shape[0]):
        numpyro.sample("y", dist.Normal(x, 0.3), obs=y)


@pytest.mark.parametrize("guide_class", [AutoNormal, AutoDelta, AutoMultivariateNormal])
def test_svi_autoguides(guide_class):
    support = two_uniforms().support
    guide = guide_class(regression_model)
    svi = SVI(regression_model, guide, Adam(0.05), Trace_ELBO())
    result = svi.run(jax.random.PRNGKey(5), 400, progress_bar=False)
    losses = np.asarray(result.losses)
    assert np.all(np.isfinite(losses))
    # The posterior is essentially a normal around 2.5 (sd 0.17) inside (2, 3):
    # the loss drops as the guide moves there.
    assert losses[-50:].mean() < losses[:10].mean()
    params = result.params
    for value in jax.tree_util.tree_leaves(params):
        assert np.all(np.isfinite(np.asarray(value)))

    median = guide.median(params)["x"]
    assert_in_support(median, two_uniform_pieces, support)
    assert 2.3 < float(median) < 2.7
    if guide_class is not AutoDelta:
        quantiles = guide.quantiles(params, [0.05, 0.5, 0.95])["x"]
        assert_in_support(quantiles, two_uniform_pieces, support)
        assert np.all((np.asarray(quantiles) > 2.0) & (np.asarray(quantiles) < 3.0))
        assert np.all(np.diff(np.asarray(quantiles)) > 0)

    predictive = Predictive(
        regression_model,
        guide=guide,
        params=params,
        num_samples=200,
        return_sites=["x", "y"],
    )
    draws = predictive(jax.random.PRNGKey(6))
    x = draws["x"]
    assert x.shape == (200,)
    assert_in_support(x, two_uniform_pieces, support)
    if guide_class is not AutoDelta:
        # The guide puts (almost) all its mass in the upper piece.
        assert np.mean(np.asarray(x) > 2.0) > 0.95
    assert np.all(np.isfinite(np.asarray(draws["y"])))


# --------------------------------------------------------------------------
# 5. Prior draws through Predictive.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, pieces, weights, support",
    [
        (two_uniform_model, two_uniform_pieces, TWO_WEIGHTS, two_uniforms().support),
        (
            three_piece_model,
            three_pieces_pieces,
            THREE_WEIGHTS,
            three_pieces().support,
        ),
    ],
    ids=["two_uniforms", "three_pieces_infinite_ends"],
)
def test_prior_predictive(model, pieces, weights, support):
    x = Predictive(model, num_samples=20000)(jax.random.PRNGKey(7))["x"]
    assert x.shape == (20000,)
    assert_in_support(x, pieces, support)
    # Independent draws: sd of a fraction <= 0.0036; tolerance 0.015 is 4.2 sd.
    np.testing.assert_allclose(piece_fractions(x, pieces), weights, atol=0.015)
