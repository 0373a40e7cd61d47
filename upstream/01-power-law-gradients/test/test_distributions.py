import numpy as np
from numpy.testing import assert_allclose
import pytest

import jax
import jax.numpy as jnp

import numpyro.distributions as dist


def _power_law_log_normalizer(alpha, low, high):
    # log of the integral of x**alpha over [low, high], in float64
    s = alpha + 1.0
    if low == 0.0:
        return s * np.log(high) - np.log(s)
    if s == 0.0:
        return np.log(np.log(high / low))
    return s * np.log(low) + np.log(np.expm1(s * np.log(high / low)) / s)


def _power_law_mean_log(alpha, low, high):
    # E[log X], the derivative of the log normalizer with respect to alpha
    s = alpha + 1.0
    if low == 0.0:
        return np.log(high) - 1.0 / s
    width = np.log(high / low)
    t = s * width
    if t == 0.0:
        return np.log(low) + width / 2
    return np.log(low) + width * (-1.0 / np.expm1(-t) - 1.0 / t)


def _power_law_cdf(alpha, low, high, x):
    s = alpha + 1.0
    if s == 0.0:
        return np.log(x / low) / np.log(high / low)
    return (x**s - low**s) / (high**s - low**s)


# (alpha, low, high); alpha = -1, next to it, and low = 0 are the special cases
POWER_LAW_CASES = [
    (-3.4, 5.0, 87.0),
    (-2.0, 1.0, 10.0),
    (-1.0, 5.0, 87.0),
    (-0.999, 5.0, 87.0),
    (-1.001, 0.1, 3.0),
    (-0.5, 0.1, 3.0),
    (0.0, 0.1, 3.0),
    (1.5, 1.0, 2.0),
    (1.5, 0.0, 3.0),
    (-0.5, 0.0, 3.0),
]


def _as_float32(*args):
    # the parameters as the float32 values the distribution sees, in float64
    return tuple(float(np.float32(a)) for a in args)


@pytest.mark.parametrize("alpha, low, high", POWER_LAW_CASES)
def test_doubly_truncated_power_law_log_prob_gradients(alpha, low, high):
    alpha, low, high = _as_float32(alpha, low, high)
    if low > 0:
        x = np.array([low, np.sqrt(low * high), high], np.float32)
    else:
        x = np.array([0.1 * high, 0.5 * high, high], np.float32)
    x64 = x.astype(np.float64)
    log_z = _power_law_log_normalizer(alpha, low, high)

    def total_log_prob(alpha, low, high):
        d = dist.DoublyTruncatedPowerLaw(alpha, low, high)
        return d.log_prob(jnp.asarray(x)).sum()

    d = dist.DoublyTruncatedPowerLaw(alpha, low, high)
    assert_allclose(d.log_prob(jnp.asarray(x)), alpha * np.log(x64) - log_z, rtol=2e-6)
    grads = jax.grad(total_log_prob, argnums=(0, 1, 2))(alpha, low, high)
    n = len(x)
    expected = [
        np.log(x64).sum() - n * _power_law_mean_log(alpha, low, high),
        # d log p / d low = low**alpha / Z; zero at low = 0 where alpha > 0
        n * np.exp(alpha * np.log(low) - log_z) if low > 0 else 0.0,
        -n * np.exp(alpha * np.log(high) - log_z),
    ]
    for grad, value in zip(grads, expected):
        assert np.isfinite(grad)
        assert_allclose(grad, value, rtol=5e-5, atol=2e-6)


@pytest.mark.parametrize("alpha, low, high", POWER_LAW_CASES)
def test_doubly_truncated_power_law_outside_support(alpha, low, high):
    # below zero, above high and, where low > 0, zero and below low
    x = [-1.0, 2.0 * high] + ([0.0, 0.5 * low] if low > 0 else [])
    x = np.array(x, np.float32)

    def total_log_prob(alpha, low, high):
        d = dist.DoublyTruncatedPowerLaw(alpha, low, high, validate_args=True)
        return d.log_prob(jnp.asarray(x)).sum()

    with pytest.warns(UserWarning, match="Out-of-support"):
        d = dist.DoublyTruncatedPowerLaw(alpha, low, high, validate_args=True)
        assert np.all(d.log_prob(jnp.asarray(x)) == -np.inf)
        grads = jax.grad(total_log_prob, argnums=(0, 1, 2))(alpha, low, high)
    assert_allclose(grads, 0.0)


@pytest.mark.parametrize("alpha", [-1.0, -1.0 + 1e-6, -1.0 - 1e-6])
def test_doubly_truncated_power_law_alpha_gradient_at_minus_one(alpha):
    # at alpha = -1, E[log X] = (log low + log high) / 2: the derivative of
    # log p(x) with respect to alpha is log x minus that
    low, high = 5.0, 87.0
    x = jnp.array([6.0, 20.0, 50.0])

    def log_prob(alpha):
        return dist.DoublyTruncatedPowerLaw(alpha, low, high).log_prob(x)

    grad = jax.jacobian(log_prob)(alpha)
    expected = np.log([6.0, 20.0, 50.0]) - 0.5 * np.log(low * high)
    assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("alpha, low, high", POWER_LAW_CASES)
def test_doubly_truncated_power_law_cdf_icdf(alpha, low, high):
    alpha, low, high = _as_float32(alpha, low, high)
    d = dist.DoublyTruncatedPowerLaw(alpha, low, high)
    q = np.array([0.0, 0.01, 0.25, 0.5, 0.9, 1.0], np.float32)
    x = np.asarray(d.icdf(jnp.asarray(q)))
    assert np.all((x >= np.float32(low)) & (x <= np.float32(high)))
    assert_allclose(x[[0, -1]], [low, high], rtol=1e-6)
    assert_allclose(d.cdf(jnp.asarray(x)), q, atol=1e-6)
    if low > 0:
        assert_allclose(
            _power_law_cdf(alpha, low, high, x.astype(np.float64)), q, atol=1e-6
        )

    # the derivatives of cdf and icdf in the value, in the bounds, and in alpha
    interior = jnp.asarray(x[1:-1])
    density = np.exp(np.asarray(d.log_prob(interior), np.float64))
    assert_allclose(jax.vmap(jax.grad(d.cdf))(interior), density, rtol=1e-5)
    assert_allclose(
        jax.vmap(jax.grad(d.icdf))(jnp.asarray(q[1:-1])), 1 / density, rtol=1e-5
    )
    if low > 0:
        # F = (G(x) - G(low)) / Z with G' = x**alpha
        cdf = q[1:-1].astype(np.float64)
        log_z = _power_law_log_normalizer(alpha, low, high)

        def cdf_at(low, high):
            return dist.DoublyTruncatedPowerLaw(alpha, low, high).cdf(interior)

        d_low, d_high = jax.jacobian(cdf_at, argnums=(0, 1))(low, high)
        d_low_expected = -np.exp(alpha * np.log(low) - log_z) * (1 - cdf)
        d_high_expected = -np.exp(alpha * np.log(high) - log_z) * cdf
        assert_allclose(d_low, d_low_expected, rtol=5e-5)
        assert_allclose(d_high, d_high_expected, rtol=5e-5)


@pytest.mark.parametrize("alpha, low, high", POWER_LAW_CASES)
def test_doubly_truncated_power_law_sample(alpha, low, high):
    def sample_mean(alpha, low, high):
        d = dist.DoublyTruncatedPowerLaw(alpha, low, high)
        return d.sample(jax.random.key(0), (1000,)).mean()

    grads = jax.grad(sample_mean, argnums=(0, 1, 2))(alpha, low, high)
    assert all(np.isfinite(g) for g in grads)
    samples = dist.DoublyTruncatedPowerLaw(alpha, low, high).sample(
        jax.random.key(1), (2000,)
    )
    assert bool(((samples >= low) & (samples <= high)).all())
    # the mean of the draws against that of the power law, within 5 standard errors
    log_z = _power_law_log_normalizer(alpha, low, high)
    mean = np.exp(_power_law_log_normalizer(alpha + 1.0, low, high) - log_z)
    second = np.exp(_power_law_log_normalizer(alpha + 2.0, low, high) - log_z)
    std = np.sqrt(second - mean**2)
    assert abs(float(samples.mean()) - mean) < 5 * std / np.sqrt(2000)
