# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The Power Law + Peak mass model as a MixtureGeneral, cross-checked against
gwpopulation's ``two_component_single`` (on its NumPy backend)."""

from gwpopulation.models.mass import two_component_single
import numpy as np
from numpy.testing import assert_allclose
import pytest

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist

M_GMAX = 100.0


def power_law_peak(alpha, m_min, m_max, lam, mu, sigma, m_gmax=M_GMAX):
    mixing = dist.Categorical(probs=jnp.stack([1.0 - lam, lam], axis=-1))
    return dist.MixtureGeneral(
        mixing,
        [
            dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max),
            dist.TruncatedNormal(mu, sigma, low=m_min, high=m_gmax),
        ],
        validate_args=False,
    )


PARAMETERS = [
    dict(alpha=3.4, mmin=5.0, mmax=87.0, lam=0.04, mpp=34.0, sigpp=3.6),
    dict(alpha=2.0, mmin=3.0, mmax=60.0, lam=0.2, mpp=30.0, sigpp=5.0),
    dict(alpha=1.0, mmin=6.0, mmax=80.0, lam=0.1, mpp=35.0, sigpp=2.0),
    dict(alpha=-0.5, mmin=8.0, mmax=95.0, lam=0.5, mpp=40.0, sigpp=8.0),
    dict(alpha=2.5, mmin=4.0, mmax=120.0, lam=0.1, mpp=35.0, sigpp=4.0),
]


def _grid(p):
    inside = np.linspace(p["mmin"], min(p["mmax"], M_GMAX), 37)[1:-1]
    special = [
        p["mmin"] - 2.0,  # below m_min
        p["mmin"],  # on m_min
        p["mmax"],  # on m_max
        0.5 * (p["mmax"] + M_GMAX),  # between m_max and m_gmax (or above m_gmax)
        M_GMAX,
        M_GMAX + 10.0,  # above m_gmax
        p["mmax"] + 10.0,
    ]
    return np.concatenate([inside, special])


@pytest.mark.parametrize("p", PARAMETERS, ids=lambda p: f"alpha={p['alpha']}")
def test_log_density_matches_gwpopulation(p):
    m = _grid(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.log(two_component_single(m, **p))
    actual = power_law_peak(
        p["alpha"], p["mmin"], p["mmax"], p["lam"], p["mpp"], p["sigpp"]
    ).log_prob(jnp.asarray(m))
    assert_allclose(np.isneginf(actual), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert finite.sum() >= 36
    assert_allclose(np.asarray(actual)[finite], expected[finite], rtol=1e-6)


@pytest.mark.parametrize("p", PARAMETERS[:2], ids=lambda p: f"alpha={p['alpha']}")
def test_gradients_match_finite_differences(p):
    m = jnp.asarray(_grid(p))
    names = ["alpha", "mmin", "mmax", "lam", "mpp", "sigpp"]

    def total(theta):
        d = power_law_peak(*theta)
        lp = d.log_prob(m)
        return jnp.where(jnp.isfinite(lp), lp, 0.0).sum()

    theta = jnp.array([p[n] for n in names])
    grad = jax.grad(total)(theta)
    assert bool(jnp.isfinite(grad).all())
    eps = 1e-6
    for i, name in enumerate(names):
        step = jnp.zeros(6).at[i].set(eps)
        # Evaluated away from the bounds' own values, where the set of finite
        # terms does not change under the step.
        fd = (total(theta + step) - total(theta - step)) / (2 * eps)
        if name in ("mmin", "mmax"):
            continue
        assert_allclose(grad[i], fd, rtol=1e-5, err_msg=name)
    # d/dm_min and d/dm_max at data strictly inside the support.
    inner = m[(m > p["mmin"] + 1) & (m < p["mmax"] - 1)]

    def inner_total(theta):
        return power_law_peak(*theta).log_prob(inner).sum()

    grad = jax.grad(inner_total)(theta)
    for i in (1, 2):
        step = jnp.zeros(6).at[i].set(eps)
        fd = (inner_total(theta + step) - inner_total(theta - step)) / (2 * eps)
        # atol: the round-off of a central difference of a sum near 100 at eps.
        assert_allclose(grad[i], fd, rtol=1e-5, atol=1e-7, err_msg=names[i])


def _model(masses, observed_min, observed_max):
    alpha = numpyro.sample("alpha", dist.Uniform(0.0, 8.0))
    m_min = numpyro.sample("m_min", dist.Uniform(2.0, observed_min))
    m_max = numpyro.sample("m_max", dist.Uniform(observed_max, 150.0))
    lam = numpyro.sample("lam", dist.Uniform(0.0, 1.0))
    mu = numpyro.sample("mu", dist.Uniform(20.0, 50.0))
    sigma = numpyro.sample("sigma", dist.Uniform(1.0, 10.0))
    with numpyro.plate("events", masses.shape[0]):
        numpyro.sample(
            "m1", power_law_peak(alpha, m_min, m_max, lam, mu, sigma), obs=masses
        )


def test_coverage_over_repeated_catalogues():
    """Ten synthetic catalogues of 300 events drawn from the prior's interior:
    the 90% intervals of the six hyperparameters hold the truth about 90% of the
    time (54 of 60 expected; fewer than 45 has probability below 1e-4)."""
    truth = dict(alpha=3.0, m_min=5.0, m_max=70.0, lam=0.15, mu=33.0, sigma=4.0)
    covered, total = 0, 0
    for seed in range(10):
        key_data, key_fit = jax.random.split(jax.random.key(100 + seed))
        masses = power_law_peak(*truth.values()).sample(key_data, (300,))
        mcmc = MCMC(
            NUTS(_model, target_accept_prob=0.9),
            num_warmup=300,
            num_samples=400,
            progress_bar=False,
        )
        mcmc.run(key_fit, masses, float(masses.min()), float(masses.max()))
        samples = mcmc.get_samples()
        for name, value in truth.items():
            lo, hi = np.quantile(np.asarray(samples[name]), [0.05, 0.95])
            covered += int(lo <= value <= hi)
            total += 1
    assert total == 60
    assert 45 <= covered <= 59, covered
