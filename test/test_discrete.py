# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Mixtures of discrete components with different integer supports: values
against scipy's pmfs, the union of integer supports, ``enumerate_support``, and a
discrete latent with such a mixture under NumPyro's discrete samplers
(``DiscreteHMCGibbs``, ``MixedHMC``) and under enumeration (``config_enumerate``,
``infer_discrete``) checked against exact enumeration.

As in NumPyro, a mixture does not claim ``has_enumerate_support``: its
discrete samplers and enumeration refuse such a latent with NumPyro's own errors
(they would take its values to be ``0, ..., n - 1``).
"""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
import pytest
from scipy import stats

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import HMC, MCMC, NUTS, DiscreteHMCGibbs, MixedHMC
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints as C

INF = np.inf

# Values outside the support are part of what is tested: NumPyro's validation
# warning about them (an error under this project's warning filters) is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Out-of-support values:UserWarning")


def _cat(*probs):
    return dist.Categorical(probs=jnp.asarray(probs))


# name: (weights, numpyro components, scipy pmfs, integer supports as (lo, hi))
MIXTURES = {
    "poisson_binomial_geometric": (
        (0.2, 0.5, 0.3),
        [dist.Poisson(3.5), dist.Binomial(10, 0.35), dist.Geometric(probs=0.25)],
        # NumPyro's Geometric counts failures: scipy's geom shifted by one.
        [stats.poisson(3.5), stats.binom(10, 0.35), stats.geom(0.25, loc=-1)],
        [(0, INF), (0, 10), (0, INF)],
    ),
    "binomial_geometric": (
        (0.6, 0.4),
        [dist.Binomial(10, 0.7), dist.Geometric(probs=0.5)],
        [stats.binom(10, 0.7), stats.geom(0.5, loc=-1)],
        [(0, 10), (0, INF)],
    ),
    "shifted_ranges": (
        (0.25, 0.35, 0.4),
        [
            dist.DiscreteUniform(-3, -1),
            dist.Categorical(probs=jnp.array([0.2, 0.3, 0.5])),
            dist.DiscreteUniform(5, 6),
        ],
        [
            stats.randint(-3, 0),
            stats.rv_discrete(values=([0, 1, 2], [0.2, 0.3, 0.5])),
            stats.randint(5, 7),
        ],
        [(-3, -1), (0, 2), (5, 6)],
    ),
    "binomial_and_far_uniform": (
        (0.3, 0.7),
        [dist.Binomial(4, 0.4), dist.DiscreteUniform(6, 8)],
        [stats.binom(4, 0.4), stats.randint(6, 9)],
        [(0, 4), (6, 8)],
    ),
    "binomial_categorical": (
        (0.45, 0.55),
        [
            dist.Binomial(4, 0.4),
            dist.Categorical(probs=jnp.array([0.05, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3])),
        ],
        [
            stats.binom(4, 0.4),
            stats.rv_discrete(
                values=(np.arange(7), [0.05, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3])
            ),
        ],
        [(0, 4), (0, 6)],
    ),
    "poisson_and_negative_range": (
        (0.5, 0.5),
        [dist.Poisson(2.0), dist.DiscreteUniform(-5, -2)],
        [stats.poisson(2.0), stats.randint(-5, -1)],
        [(0, INF), (-5, -2)],
    ),
}
GRID = np.arange(-7, 31)


def _expected_pmf(name, x):
    weights, _, pmfs, spans = MIXTURES[name]
    x = np.asarray(x, np.float64)
    total = np.zeros_like(x)
    for w, pmf, (lo, hi) in zip(weights, pmfs, spans):
        inside = (x >= lo) & (x <= hi) & (x == np.round(x))
        total += w * np.where(inside, pmf.pmf(np.where(inside, x, lo)), 0.0)
    return total


def _in_union(name, x):
    _, _, _, spans = MIXTURES[name]
    x = np.asarray(x, np.float64)
    return np.any([(x >= lo) & (x <= hi) for lo, hi in spans], axis=0) & (
        x == np.round(x)
    )


def _mixture(name):
    weights, components, _, _ = MIXTURES[name]
    return dist.MixtureGeneral(_cat(*weights), components)


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_log_prob_against_scipy(name):
    m = _mixture(name)
    assert m.is_discrete
    expected = _expected_pmf(name, GRID)
    with np.errstate(divide="ignore"):
        assert_allclose(m.log_prob(jnp.asarray(GRID)), np.log(expected), rtol=1e-9)
    # Outside the union: exactly -inf, and no NaN anywhere.
    lp = np.asarray(m.log_prob(jnp.asarray(GRID)))
    assert (lp[~_in_union(name, GRID)] == -INF).all()
    assert np.isfinite(lp[_in_union(name, GRID)]).all()


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_support_is_the_union_of_integer_supports(name):
    m = _mixture(name)
    support = m.support
    assert support.is_discrete and support.event_dim == 0
    assert_array_equal(np.asarray(support(jnp.asarray(GRID))), _in_union(name, GRID))
    # Integers only: a non-integer inside a range is outside.
    assert not bool(support(jnp.asarray(0.5)))


@pytest.mark.parametrize(
    "name, parts",
    [
        # supports equal to an earlier one are dropped; none are merged
        (
            "poisson_binomial_geometric",
            [C.nonnegative_integer, C.integer_interval(0, 10)],
        ),
        ("binomial_geometric", [C.integer_interval(0, 10), C.nonnegative_integer]),
        (
            "shifted_ranges",
            [
                C.integer_interval(-3, -1),
                C.integer_interval(0, 2),
                C.integer_interval(5, 6),
            ],
        ),
        (
            "poisson_and_negative_range",
            [C.nonnegative_integer, C.integer_interval(-5, -2)],
        ),
    ],
)
def test_support_parts(name, parts):
    support = _mixture(name).support
    got = support.parts if isinstance(support, C._Union) else (support,)
    assert len(got) == len(parts)
    for a, b in zip(got, parts):
        assert type(a) is type(b)
        assert C._interval_span(a)[:2] == C._interval_span(b)[:2]


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_enumerate_support_when_the_union_is_finite(name):
    m = _mixture(name)
    finite = all(np.isfinite(hi) for _, hi in MIXTURES[name][3])
    expected = GRID[_in_union(name, GRID)]
    assert not m.has_enumerate_support
    if not finite:
        with pytest.raises(NotImplementedError, match="finite supports"):
            m.enumerate_support()
        return
    values = np.asarray(m.enumerate_support())
    assert_array_equal(values, expected)
    assert_allclose(jnp.exp(m.log_prob(jnp.asarray(values))).sum(), 1.0, rtol=1e-12)
    # Batched: (n,) + batch_shape, or (n, 1) unexpanded.
    batched = m.expand((3,))
    assert batched.enumerate_support().shape == (len(expected), 3)
    assert batched.enumerate_support(expand=False).shape == (len(expected), 1)


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_samples_follow_the_pmf(name):
    m = _mixture(name)
    x = np.asarray(m.sample(jax.random.key(0), (20000,)))
    assert _in_union(name, x).all()
    assert bool(m.support(jnp.asarray(x)).all())
    values = np.arange(-7, 31)
    freq = np.array([(x == v).mean() for v in values])
    pmf = _expected_pmf(name, values)
    # 4.5 standard errors of a frequency from 20000 draws.
    assert (np.abs(freq - pmf) <= 4.5 * np.sqrt(pmf * (1 - pmf) / 20000) + 1e-4).all()


def test_gradients_with_respect_to_rates_probs_and_weights():
    def log_prob(rate, p, w, x):
        m = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.stack([w, 1 - w])),
            [dist.Poisson(rate), dist.Binomial(10, probs=p)],
        )
        return m.log_prob(x).sum()

    # 12 and 30 are outside the Binomial's support, -1 outside both.
    x = jnp.array([-1, 0, 3, 10, 12, 30])
    grads = jax.grad(log_prob, argnums=(0, 1, 2))(2.0, 0.3, 0.4, x[1:])
    assert all(bool(jnp.isfinite(g)) for g in grads)
    grads = jax.grad(log_prob, argnums=(0, 1, 2))(2.0, 0.3, 0.4, x)
    assert not any(bool(jnp.isnan(g)) for g in grads)
    eps = 1e-6
    fd = (
        log_prob(2.0 + eps, 0.3, 0.4, x[1:]) - log_prob(2.0 - eps, 0.3, 0.4, x[1:])
    ) / (2 * eps)
    assert_allclose(jax.grad(log_prob)(2.0, 0.3, 0.4, x[1:]), fd, rtol=1e-6)


# ---------------------------------------------------------------------------
# A discrete latent whose prior is such a mixture, with a continuous latent.
# ---------------------------------------------------------------------------

Y = np.array([2.6, 3.4, 1.9])
PRIOR_SCALE = 2.0


def _zero_based_prior():
    # Union {0, ..., 6}: Binomial(4) on {0..4} and a Categorical on {0..6}.
    return _mixture("binomial_categorical")


def _gapped_prior():
    # Union {0, ..., 4} and {6, 7, 8}: not 0, ..., n - 1.
    return _mixture("binomial_and_far_uniform")


def _model(prior):
    def model():
        n = numpyro.sample("n", prior())
        mu = numpyro.sample("mu", dist.Normal(0.0, PRIOR_SCALE))
        with numpyro.plate("data", len(Y)):
            numpyro.sample("y", dist.Normal(n + mu, 1.0), obs=Y)

    return model


def _kernel(kind, model):
    if kind == "DiscreteHMCGibbs":
        return DiscreteHMCGibbs(NUTS(model), modified=True)
    return MixedHMC(HMC(model, trajectory_length=1.2), num_discrete_updates=8)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("DiscreteHMCGibbs", "owns no sites"),
        ("MixedHMC", "Cannot detect any discrete latent variables"),
        ("NUTS", "does not have enumerate support"),
    ],
)
@pytest.mark.parametrize("prior", [_zero_based_prior, _gapped_prior])
def test_discrete_latent_is_refused_as_in_numpyro(kind, message, prior):
    # NumPyro's discrete samplers propose the values 0, ..., n - 1 of sites that
    # have enumerate support. A mixture has none, as in NumPyro, and the
    # samplers say so with NumPyro's own errors.
    error = RuntimeError if kind == "NUTS" else ValueError
    kernel = NUTS(_model(prior)) if kind == "NUTS" else _kernel(kind, _model(prior))
    with pytest.raises(error, match=message):
        MCMC(kernel, num_warmup=10, num_samples=10, progress_bar=False).run(
            jax.random.key(0)
        )
