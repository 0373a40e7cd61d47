import numpy as np
from numpy.testing import assert_allclose
import pytest
import scipy.stats as osp

import jax
import jax.numpy as jnp

import numpyro.distributions as dist


def _far_truncation(side, k, loc, scale, width):
    # the ends (float32, None where missing) of a truncation k scales into a
    # tail: [low, inf) above loc, (-inf, high] below it, or [low, low + width]
    # above it
    if side == "left":
        return np.float32(loc + k * scale), None
    if side == "right":
        return None, np.float32(loc - k * scale)
    low = np.float32(loc + k * scale)
    return low, np.float32(low + width)


def _standard_ends(loc, scale, low, high):
    a = -np.inf if low is None else (float(low) - loc) / scale
    b = np.inf if high is None else (float(high) - loc) / scale
    return a, b


def _log_mass(sp_dist, a, b):
    # log(F(b) - F(a)) of a symmetric standard distribution, in float64, from
    # the tail on the side of the interval; -inf where b = a
    if a > 0:
        log_near, log_far = sp_dist.logsf(a), sp_dist.logsf(b)
    else:
        log_near, log_far = sp_dist.logcdf(b), sp_dist.logcdf(a)
    with np.errstate(divide="ignore"):
        return log_near + np.log1p(-np.exp(log_far - log_near))


def _points_inside(low, high, scale):
    # points at and near the finite ends and further in, in float32
    offsets = np.array([0.0, 1e-3, 0.02, 0.1, 0.5])
    if high is None:
        return (float(low) + scale * offsets).astype(np.float32)
    if low is None:
        return (float(high) - scale * offsets).astype(np.float32)
    return (float(low) + (float(high) - float(low)) * offsets).astype(np.float32)


@pytest.mark.parametrize("k", [10.0, 40.0])
@pytest.mark.parametrize("side", ["left", "right", "two-sided"])
def test_truncated_normal_far_in_a_tail(side, k):
    # Phi(-40) underflows float64 and Phi(-13) float32: the tail probabilities
    # must be taken in log space
    loc, scale = 0.5, 2.0
    low, high = _far_truncation(side, k, loc, scale, width=scale)
    d = dist.TruncatedNormal(loc, scale, low=low, high=high)
    a, b = _standard_ends(loc, scale, low, high)
    reference = osp.truncnorm(a, b, loc=loc, scale=scale)
    x = _points_inside(low, high, scale)
    x64 = x.astype(np.float64)
    # float32 rounds log_prob, whose terms are of size k**2 / 2, to about
    # k**2 * eps; cdf and the quantile's position in the support to about eps
    eps = float(np.finfo(np.float32).eps)

    log_prob = d.log_prob(jnp.asarray(x))
    assert log_prob.dtype == jnp.float32
    assert_allclose(log_prob, reference.logpdf(x64), atol=2 * eps * (1 + k**2))
    assert_allclose(d.cdf(jnp.asarray(x)), reference.cdf(x64), atol=1e-5)

    q = np.array([1e-6, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 1e-6], np.float32)
    quantile = np.asarray(d.icdf(jnp.asarray(q)))
    assert np.isfinite(quantile).all()
    assert bool(d.support(jnp.asarray(quantile)).all())
    spread = reference.ppf(0.99) - reference.ppf(0.01)
    assert_allclose(
        quantile,
        reference.ppf(q.astype(np.float64)),
        atol=1e-4 * spread + 4 * eps * abs(loc + k * scale),
    )
    assert_allclose(d.cdf(d.icdf(jnp.asarray(q))), q, atol=1e-4)

    samples = d.sample(jax.random.key(0), (4000,))
    assert np.isfinite(samples).all()
    assert bool(d.support(samples).all())
    standard_error = reference.std() / np.sqrt(len(samples))
    assert abs(float(samples.mean()) - reference.mean()) < 5 * standard_error
    # the mean is loc + scale**2 times the density at the ends, as precise as
    # log_prob
    assert_allclose(d.mean, reference.mean(), rtol=2 * eps * (1 + k**2))


def _truncated_normal_log_prob_gradients(loc, scale, low, high, x):
    # derivatives of log p(x) = log phi(z) - log scale - log M, where
    # M = Phi(b) - Phi(a), in float64
    a, b = _standard_ends(loc, scale, low, high)
    z = (x - loc) / scale
    log_mass = _log_mass(osp.norm, a, b)
    pdf_a = 0.0 if low is None else np.exp(osp.norm.logpdf(a) - log_mass)
    pdf_b = 0.0 if high is None else np.exp(osp.norm.logpdf(b) - log_mass)
    a_pdf_a = 0.0 if low is None else a * pdf_a
    b_pdf_b = 0.0 if high is None else b * pdf_b
    return {
        "loc": (z + pdf_b - pdf_a) / scale,
        "scale": (z * z - 1 + b_pdf_b - a_pdf_a) / scale,
        "low": pdf_a / scale,
        "high": -pdf_b / scale,
    }


@pytest.mark.parametrize("k", [0.0, 10.0, 40.0])
@pytest.mark.parametrize("side", ["left", "right", "two-sided"])
def test_truncated_normal_far_in_a_tail_gradients(side, k):
    loc, scale = 0.5, 2.0
    low, high = _far_truncation(side, k, loc, scale, width=scale)
    x = _points_inside(low, high, scale)[1]
    params = {"loc": np.float32(loc), "scale": np.float32(scale)}
    if low is not None:
        params["low"] = low
    if high is not None:
        params["high"] = high

    def log_prob(params):
        return dist.TruncatedNormal(**params).log_prob(jnp.asarray(x))

    grads = jax.grad(log_prob)(params)
    expected = _truncated_normal_log_prob_gradients(loc, scale, low, high, float(x))
    # far in the tail the gradients are small differences of terms of size
    # k / scale (k**2 / scale for the scale), which float32 rounds to about eps
    # times those
    eps = float(np.finfo(np.float32).eps)
    for name, grad in grads.items():
        size = (1 + k**2 if name == "scale" else 1 + k) / scale
        assert np.isfinite(grad), name
        assert_allclose(grad, expected[name], rtol=1e-5, atol=32 * eps * size)

    def sample_mean(params):
        return dist.TruncatedNormal(**params).sample(jax.random.key(0), (100,)).mean()

    for name, grad in jax.grad(sample_mean)(params).items():
        assert np.isfinite(grad), name


# base distribution, its scipy counterpart, and how many scales into its tail
FAR_TAILS = [
    (dist.Cauchy, osp.cauchy, 1e4),
    (dist.Laplace, osp.laplace, 100.0),
    (dist.Logistic, osp.logistic, 100.0),
]


@pytest.mark.parametrize("side", ["left", "right", "two-sided"])
@pytest.mark.parametrize("base, sp_dist, k", FAR_TAILS)
def test_truncated_far_in_a_tail(base, sp_dist, k, side):
    loc, scale = 0.5, 2.0
    low, high = _far_truncation(side, k, loc, scale, width=k * scale)
    d = dist.TruncatedDistribution(base(loc, scale), low=low, high=high)
    a, b = _standard_ends(loc, scale, low, high)
    log_mass = _log_mass(sp_dist, a, b)
    x = _points_inside(low, high, k * scale)
    z = (x.astype(np.float64) - loc) / scale
    eps = float(np.finfo(np.float32).eps)

    expected_log_prob = sp_dist.logpdf(z) - np.log(scale) - log_mass
    assert_allclose(d.log_prob(jnp.asarray(x)), expected_log_prob, atol=64 * eps)
    expected_cdf = np.exp(_log_mass(sp_dist, a, z) - log_mass)
    assert_allclose(d.cdf(jnp.asarray(x)), expected_cdf, atol=1e-5)

    q = np.array([0.01, 0.1, 0.5, 0.9, 0.99], np.float32)
    quantile = np.asarray(d.icdf(jnp.asarray(q)))
    assert np.isfinite(quantile).all()
    assert bool(d.support(jnp.asarray(quantile)).all())
    assert_allclose(d.cdf(jnp.asarray(quantile)), q, atol=1e-4)
    samples = d.sample(jax.random.key(0), (1000,))
    assert np.isfinite(samples).all()
    assert bool(d.support(samples).all())

    params = {"loc": np.float32(loc), "scale": np.float32(scale)}
    ends = {"low": low, "high": high}
    params.update((name, end) for name, end in ends.items() if end is not None)

    def total_log_prob(params):
        params = dict(params)
        base_dist = base(params.pop("loc"), params.pop("scale"))
        d = dist.TruncatedDistribution(base_dist, **params)
        return d.log_prob(jnp.asarray(x)).sum()

    grads = jax.grad(total_log_prob)(params)
    assert all(np.isfinite(grad) for grad in grads.values())
    # d log p / d low = f(a) / (scale M), d log p / d high = -f(b) / (scale M)
    n = len(x)
    if low is not None:
        expected = n * np.exp(sp_dist.logpdf(a) - log_mass) / scale
        assert_allclose(grads["low"], expected, rtol=1e-4, atol=4 * eps)
    if high is not None:
        expected = -n * np.exp(sp_dist.logpdf(b) - log_mass) / scale
        assert_allclose(grads["high"], expected, rtol=1e-4, atol=4 * eps)
