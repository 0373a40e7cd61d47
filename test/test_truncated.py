# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0

from functools import partial
import warnings

import numpy as np
from numpy.testing import assert_allclose
import pytest
from scipy import integrate, stats

import jax
import jax.numpy as jnp

from numpyro.distributions import Cauchy, Logistic, Normal
from numpyro_mixsupport.distributions.truncated import (
    DoublyTruncatedPowerLaw,
    TruncatedCauchy,
    TruncatedDistribution,
    TruncatedNormal,
    TwoSidedTruncatedDistribution,
)

ALPHAS = [-3.4, -2.0, -1.0, -1.0 + 1e-8, -0.5, 0.0, 1.5]
BOUNDS = [(5.0, 87.0), (0.1, 3.0), (1.0, 1e3)]


def _values(low, high):
    """Points inside the support, and both ends."""
    return [low, low * 1.3, float(np.sqrt(low * high)), high * 0.9, high]


def _grid():
    for alpha in ALPHAS:
        for low, high in BOUNDS:
            for value in _values(low, high):
                yield alpha, low, high, value


def _ids(params):
    return "-".join(f"{p:g}" for p in params)


GRID = list(_grid())
GRID_IDS = [_ids(params) for params in GRID]


def _finite_difference(fn, args, index, lower=-np.inf, upper=np.inf, step=None):
    """Derivative of ``fn`` in ``args[index]``, central where both neighbours are
    in ``[lower, upper]``, otherwise a second-order one-sided stencil pointing
    inside; the step is ``step``, or ``1e-5`` relative to the argument."""
    x = args[index]
    h = 1e-5 * max(abs(x), 1.0) if step is None else step

    def at(shift):
        shifted = list(args)
        shifted[index] = x + shift
        return float(fn(*shifted))

    if x - h < lower:
        return (-3 * at(0.0) + 4 * at(h) - at(2 * h)) / (2 * h)
    if x + h > upper:
        return (3 * at(0.0) - 4 * at(-h) + at(-2 * h)) / (2 * h)
    return (at(h) - at(-h)) / (2 * h)


def _unnormalized_mass(alpha, a, b):
    return integrate.quad(lambda x: x**alpha, a, b, epsabs=0, epsrel=1e-13)[0]


def _exact_cdf(alpha, low, high):
    s = alpha + 1
    if s == 0:
        return lambda x: np.log(np.clip(x, low, high) / low) / np.log(high / low)
    return lambda x: (np.clip(x, low, high) ** s - low**s) / (high**s - low**s)


def _log_prob(alpha, low, high, value):
    return DoublyTruncatedPowerLaw(alpha, low, high).log_prob(jnp.asarray(value))


def test_reported_gradients():
    # The reproduction from the bug report: NumPyro 0.22 gave 0.126 and 7.7e-6.
    x = jnp.array([6.0, 20.0, 50.0])

    def total(alpha, low, high):
        return DoublyTruncatedPowerLaw(alpha, low, high).log_prob(x).sum()

    grads = jax.grad(total, argnums=(0, 1, 2))(-3.4, 5.0, 87.0)
    s = -2.4
    width = 87.0**s - 5.0**s
    expected_low = 3 * s * 5.0**-3.4 / width
    expected_high = -3 * s * 87.0**-3.4 / width
    assert_allclose(grads[1], expected_low, rtol=1e-10)
    assert_allclose(grads[2], expected_high, rtol=1e-10)
    assert_allclose(grads[1], 1.4415188, rtol=1e-7)
    assert_allclose(grads[2], -8.72877e-5, rtol=1e-5)


@pytest.mark.parametrize("alpha, low, high, value", GRID, ids=GRID_IDS)
def test_power_law_log_prob_matches_quadrature(alpha, low, high, value):
    actual = _log_prob(alpha, low, high, value)
    expected = alpha * np.log(value) - np.log(_unnormalized_mass(alpha, low, high))
    assert_allclose(actual, expected, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("alpha, low, high, value", GRID, ids=GRID_IDS)
def test_power_law_log_prob_gradients(alpha, low, high, value):
    args = (alpha, low, high, value)
    grads = jax.grad(_log_prob, argnums=(0, 1, 2, 3))(*args)
    # Moving an end of the support past ``value`` leaves the support, so the
    # finite differences only step inwards there.
    limits = [
        (-np.inf, np.inf),
        (-np.inf, value),
        (value, np.inf),
        (low, high),
    ]
    for index, (lower, upper) in enumerate(limits):
        expected = _finite_difference(_log_prob, args, index, lower, upper)
        assert np.isfinite(grads[index])
        assert_allclose(grads[index], expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("alpha", [-1.0, -1.0 + 1e-8, -1.0 - 1e-8, -1 + 1e-13])
def test_power_law_alpha_gradient_at_minus_one(alpha):
    # d/dalpha log p = log x - E[log X]; at alpha = -1, E[log X] = (log a + log b) / 2
    low, high, value = 5.0, 87.0, 20.0
    grad = jax.grad(_log_prob)(alpha, low, high, value)
    assert_allclose(grad, np.log(value) - 0.5 * np.log(low * high), rtol=1e-6)


@pytest.mark.parametrize("alpha, low, high, value", GRID, ids=GRID_IDS)
def test_power_law_cdf(alpha, low, high, value):
    d = DoublyTruncatedPowerLaw(alpha, low, high)
    expected = _unnormalized_mass(alpha, low, value) / _unnormalized_mass(
        alpha, low, high
    )
    assert_allclose(d.cdf(jnp.asarray(value)), expected, rtol=1e-9, atol=1e-12)
    assert_allclose(d.icdf(d.cdf(jnp.asarray(value))), value, rtol=1e-8)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("low, high", BOUNDS)
@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_power_law_cdf_icdf_gradients(alpha, low, high, q):
    def cdf(alpha, low, high, value):
        return DoublyTruncatedPowerLaw(alpha, low, high).cdf(jnp.asarray(value))

    def icdf(alpha, low, high, q):
        return DoublyTruncatedPowerLaw(alpha, low, high).icdf(jnp.asarray(q))

    x = float(icdf(alpha, low, high, q))
    assert_allclose(cdf(alpha, low, high, x), q, rtol=1e-10, atol=1e-15)
    # at the ends of the support, differentiate from inside it
    cdf_limits = [(-np.inf, np.inf), (-np.inf, x), (x, np.inf), (low, high)]
    icdf_limits = [(-np.inf, np.inf)] * 3 + [(0.0, 1.0)]
    for fn, args, limits in [
        (cdf, (alpha, low, high, x), cdf_limits),
        (icdf, (alpha, low, high, q), icdf_limits),
    ]:
        grads = jax.grad(fn, argnums=(0, 1, 2, 3))(*args)
        for index, (lower, upper) in enumerate(limits):
            if fn is icdf and index == 3:
                # dx/dq = 1 / p(x); finite differences are too coarse for the
                # curvature of the quantile function at the ends.
                expected = np.exp(-float(_log_prob(alpha, low, high, x)))
            else:
                expected = _finite_difference(fn, args, index, lower, upper)
            scale = high if fn is icdf else 1.0
            assert_allclose(grads[index], expected, rtol=1e-5, atol=1e-9 * scale)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("low, high", BOUNDS)
def test_power_law_outside_support(alpha, low, high):
    outside = jnp.array([-1.0, 0.0, low * 0.999, high * 1.001, 10 * high])

    def log_prob(params, value, validate_args):
        d = DoublyTruncatedPowerLaw(*params, validate_args=validate_args)
        return d.log_prob(value)

    params = (alpha, low, high)
    # with the check of values, -inf with zero gradients in the parameters
    with pytest.warns(UserWarning, match="Out-of-support"):
        assert np.all(log_prob(params, outside, True) == -np.inf)
        grads = jax.grad(lambda p: log_prob(p, outside, True).sum())(params)
    assert all(g == 0.0 for g in grads)
    # without it, as everywhere in NumPyro, the expression at the values, which
    # has finite gradients in the parameters and the value
    d = DoublyTruncatedPowerLaw(alpha, low, high, validate_args=False)
    positive = outside > 0
    assert np.all(np.isfinite(d.log_prob(outside)[positive]))
    assert np.all(d.log_prob(outside)[~positive] == -np.inf)
    grads = jax.grad(lambda p: log_prob(p, outside, False).sum())(params)
    assert all(np.isfinite(g) for g in grads)
    assert np.all(np.isfinite(jax.grad(lambda x: d.log_prob(x).sum())(outside)))
    assert_allclose(d.cdf(outside), [0.0, 0.0, 0.0, 1.0, 1.0])
    assert np.all(np.isnan(d.icdf(jnp.array([-0.1, 1.1]))))


def test_power_law_validate_args_warns_outside_support():
    d = DoublyTruncatedPowerLaw(-2.0, 1.0, 10.0, validate_args=True)
    with pytest.warns(UserWarning, match="Out-of-support"):
        log_prob = d.log_prob(np.array([0.5, 2.0]))
    assert log_prob[0] == -np.inf
    assert np.isfinite(log_prob[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d.log_prob(np.array([1.0, 10.0]))


@pytest.mark.parametrize(
    "alpha", [-1.0, -1.0 + 1e-8, -1.0 - 1e-8, -1.0 + 1e-15, -1.0 + 3e-3, -3.4, 1.5]
)
def test_power_law_no_nan(alpha):
    low, high = 0.1, 3.0
    values = jnp.array([low, 0.5, high])
    qs = jnp.array([0.0, 0.5, 1.0])

    def objectives(alpha, low, high, values, qs):
        d = DoublyTruncatedPowerLaw(alpha, low, high)
        return d.log_prob(values).sum() + d.cdf(values).sum() + d.icdf(qs).sum()

    value = objectives(alpha, low, high, values, qs)
    grads = jax.grad(objectives, argnums=(0, 1, 2, 3, 4))(alpha, low, high, values, qs)
    assert np.isfinite(value)
    for grad in grads:
        assert np.all(np.isfinite(grad))

    def sample_mean(alpha, low, high):
        d = DoublyTruncatedPowerLaw(alpha, low, high)
        return d.sample(jax.random.key(0), (100,)).mean()

    grads = jax.grad(sample_mean, argnums=(0, 1, 2))(alpha, low, high)
    assert all(np.isfinite(g) for g in grads)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("low, high", BOUNDS)
def test_power_law_sample(alpha, low, high):
    d = DoublyTruncatedPowerLaw(alpha, low, high)
    samples = np.asarray(d.sample(jax.random.key(1), (4000,)))
    assert samples.shape == (4000,)
    assert np.all((samples >= low) & (samples <= high))
    assert stats.kstest(samples, _exact_cdf(alpha, low, high)).pvalue > 0.01


@pytest.mark.parametrize("alpha", ALPHAS)
def test_power_law_icdf_ends(alpha):
    d = DoublyTruncatedPowerLaw(alpha, 0.1, 3.0)
    assert_allclose(d.icdf(jnp.array([0.0, 1.0])), [0.1, 3.0], rtol=1e-12)


def test_power_law_zero_low():
    alpha, high = 1.5, 3.0
    d = DoublyTruncatedPowerLaw(alpha, 0.0, high)
    x = jnp.array([0.5, 1.0, high])
    mass = high ** (alpha + 1) / (alpha + 1)
    assert_allclose(d.log_prob(x), alpha * np.log(x) - np.log(mass), rtol=1e-12)
    assert d.log_prob(jnp.array(0.0)) == -np.inf
    assert_allclose(d.cdf(x), (x / high) ** (alpha + 1), rtol=1e-12)
    assert_allclose(d.icdf(d.cdf(x)), x, rtol=1e-12)
    samples = np.asarray(d.sample(jax.random.key(2), (4000,)))
    assert stats.kstest(samples, lambda v: (v / high) ** (alpha + 1)).pvalue > 0.01

    def log_prob(alpha, high):
        return DoublyTruncatedPowerLaw(alpha, 0.0, high).log_prob(jnp.array(1.0))

    grads = jax.grad(log_prob, argnums=(0, 1))(alpha, high)
    for index in range(2):
        expected = _finite_difference(log_prob, (alpha, high), index)
        assert_allclose(grads[index], expected, rtol=1e-6)


def test_power_law_jit_vmap():
    alphas = jnp.array(ALPHAS)
    low, high, value = 5.0, 87.0, 20.0

    def log_prob(alpha):
        return DoublyTruncatedPowerLaw(alpha, low, high).log_prob(value)

    grad_fn = jax.jit(jax.vmap(jax.value_and_grad(log_prob)))
    values, grads = grad_fn(alphas)
    for i, alpha in enumerate(ALPHAS):
        expected_value, expected_grad = jax.value_and_grad(log_prob)(alpha)
        assert_allclose(values[i], expected_value, rtol=1e-12)
        assert_allclose(grads[i], expected_grad, rtol=1e-10)

    # batched parameters, jitted through the pytree
    d = DoublyTruncatedPowerLaw(alphas, low, jnp.full(len(ALPHAS), high))
    assert d.batch_shape == (len(ALPHAS),)
    log_probs = jax.jit(lambda d, x: d.log_prob(x))(d, value)
    assert_allclose(log_probs, values, rtol=1e-12)
    samples = jax.jit(lambda d: d.sample(jax.random.key(3), (5,)))(d)
    assert samples.shape == (5, len(ALPHAS))
    assert np.all((samples >= low) & (samples <= high))


# -- TwoSidedTruncatedDistribution / TruncatedNormal --------------------------

TRUNCATION_CASES = [
    # loc, scale, low, high, value
    (0.3, 1.7, -1.0, 2.5, 0.7),
    (5.0, 0.5, -1.0, 2.0, 1.5),
    (-3.0, 1.0, 0.5, 4.0, 1.0),
    (0.0, 1.0, 8.0, 9.0, 8.5),  # far in the right tail
    (0.0, 1.0, -9.0, -8.0, -8.5),  # far in the left tail
    (1.0, 2.0, 0.0, 3.0, 3.0),  # value at an end
]
CASE_IDS = [_ids(case) for case in TRUNCATION_CASES]


def _truncnorm(loc, scale, low, high):
    return stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale)


@pytest.mark.parametrize("case", TRUNCATION_CASES, ids=CASE_IDS)
def test_truncated_normal_matches_scipy(case):
    loc, scale, low, high, value = case
    d = TruncatedNormal(loc, scale, low=low, high=high)
    assert isinstance(d, TwoSidedTruncatedDistribution)
    reference = _truncnorm(loc, scale, low, high)
    value = jnp.asarray(value)
    assert_allclose(d.log_prob(value), reference.logpdf(value), rtol=1e-9)
    assert_allclose(d.cdf(value), reference.cdf(value), rtol=1e-7, atol=1e-12)
    for q in [0.1, 0.5, 0.9]:
        assert_allclose(d.icdf(q), reference.ppf(q), rtol=1e-8)
    assert_allclose(d.mean, reference.mean(), rtol=1e-7)
    assert_allclose(d.variance, reference.var(), rtol=1e-6)


@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf"])
@pytest.mark.parametrize("case", TRUNCATION_CASES, ids=CASE_IDS)
def test_truncated_normal_gradients(case, method):
    loc, scale, low, high, value = case
    if method == "icdf":
        value = 0.3

    def fn(loc, scale, low, high, value):
        d = TruncatedNormal(loc, scale, low=low, high=high)
        return getattr(d, method)(jnp.asarray(value))

    args = (loc, scale, low, high, value)
    grads = jax.grad(fn, argnums=(0, 1, 2, 3, 4))(*args)
    limits = [(-np.inf, np.inf)] * 5
    if method != "icdf":
        limits[2] = (-np.inf, value)
        limits[3] = (value, np.inf)
        limits[4] = (low, high)
    for index, (lower, upper) in enumerate(limits):
        expected = _finite_difference(fn, args, index, lower, upper)
        assert np.isfinite(grads[index])
        assert_allclose(grads[index], expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("base", [Normal, Cauchy, Logistic])
@pytest.mark.parametrize("case", TRUNCATION_CASES, ids=CASE_IDS)
def test_two_sided_normalizer(base, case):
    # the density integrates to one, and agrees with TruncatedDistribution
    loc, scale, low, high, _ = case
    d = TwoSidedTruncatedDistribution(base(loc, scale), low=low, high=high)
    assert isinstance(TruncatedDistribution(base(loc, scale), low, high), type(d))
    density = np.vectorize(lambda x: float(np.exp(d.log_prob(jnp.asarray(x)))))
    mass = integrate.quad(density, low, high, epsabs=0, epsrel=1e-10)[0]
    assert_allclose(mass, 1.0, rtol=1e-8)
    samples = np.asarray(d.sample(jax.random.key(4), (2000,)))
    assert np.all((samples >= low) & (samples <= high))
    assert stats.kstest(samples, lambda x: np.asarray(d.cdf(x))).pvalue > 0.01


def test_truncated_cauchy_gradients():
    def log_prob(loc, scale, low, high, value):
        d = TruncatedCauchy(loc, scale, low=low, high=high)
        return d.log_prob(jnp.asarray(value))

    args = (0.5, 2.0, 30.0, 40.0, 35.0)
    grads = jax.grad(log_prob, argnums=(0, 1, 2, 3, 4))(*args)
    for index in range(5):
        expected = _finite_difference(log_prob, args, index)
        assert_allclose(grads[index], expected, rtol=1e-5)


def test_truncated_normal_jit_vmap():
    lows = jnp.array([-1.0, 0.5, 8.0])
    highs = lows + 1.0

    def log_prob(low, high):
        return TruncatedNormal(0.0, 1.0, low=low, high=high).log_prob(low + 0.5)

    fn = jax.jit(jax.vmap(jax.value_and_grad(log_prob, argnums=(0, 1))))
    values, (grad_low, grad_high) = fn(lows, highs)
    for i in range(3):
        reference = _truncnorm(0.0, 1.0, float(lows[i]), float(highs[i]))
        assert_allclose(values[i], reference.logpdf(float(lows[i]) + 0.5), rtol=1e-9)
        expected = jax.grad(log_prob, argnums=(0, 1))(lows[i], highs[i])
        assert_allclose(grad_low[i], expected[0], rtol=1e-10)
        assert_allclose(grad_high[i], expected[1], rtol=1e-10)


# -- Left, right and two-sided truncation far in the tails, float32 and float64 --

TAIL_SCALES = [0.0, 1.0, 5.0, 6.0, 13.0, 30.0]
SIDES = ["left", "right", "two-sided"]
TAIL_DTYPES = {"float32": np.float32, "float64": np.float64}


def _tail_truncation(side, k, dtype, loc=0.5, scale=2.0):
    """Parameters (in ``dtype``) truncating ``Normal(loc, scale)`` ``k`` scales into
    a tail: ``[low, inf)`` above ``loc``, ``(-inf, high]`` below it, or
    ``[low, low + scale]`` above it."""
    loc, scale = dtype(loc), dtype(scale)
    if side == "left":
        return loc, scale, dtype(loc + k * scale), None
    if side == "right":
        return loc, scale, None, dtype(loc - k * scale)
    low = dtype(loc + k * scale)
    return loc, scale, low, dtype(low + scale)


def _tail_reference(loc, scale, low, high):
    # scipy in float64, at the float32-rounded parameters
    loc, scale = float(loc), float(scale)
    a = -np.inf if low is None else (float(low) - loc) / scale
    b = np.inf if high is None else (float(high) - loc) / scale
    return stats.truncnorm(a, b, loc, scale)


def _tail_points(loc, scale, low, high, dtype):
    """Points inside the support: at and near the finite ends, and further in."""
    offsets = np.array([0.0, 1e-3, 0.02, 0.1, 0.5, 1.0])
    if high is None:
        points = float(low) + float(scale) * offsets
    elif low is None:
        points = float(high) - float(scale) * offsets
    else:
        points = float(low) + (float(high) - float(low)) * offsets
    return points.astype(dtype)


TAIL_CASES = [
    (side, k, dtype) for side in SIDES for k in TAIL_SCALES for dtype in TAIL_DTYPES
]
TAIL_IDS = [f"{side}-{k:g}-{dtype}" for side, k, dtype in TAIL_CASES]


@pytest.mark.parametrize("side, k, dtype", TAIL_CASES, ids=TAIL_IDS)
def test_truncated_normal_tails_match_scipy(side, k, dtype):
    np_dtype = TAIL_DTYPES[dtype]
    loc, scale, low, high = _tail_truncation(side, k, np_dtype)
    d = TruncatedNormal(loc, scale, low=low, high=high)
    expected_type = {
        "left": "LeftTruncatedDistribution",
        "right": "RightTruncatedDistribution",
        "two-sided": "TwoSidedTruncatedDistribution",
    }[side]
    assert type(d).__name__ == expected_type
    reference = _tail_reference(loc, scale, low, high)
    x = _tail_points(loc, scale, low, high, np_dtype)
    x64 = x.astype(np.float64)
    single = dtype == "float32"

    log_prob = np.asarray(d.log_prob(jnp.asarray(x)))
    assert log_prob.dtype == np_dtype
    assert_allclose(log_prob, reference.logpdf(x64), rtol=1e-4 if single else 1e-9)

    cdf = np.asarray(d.cdf(jnp.asarray(x)))
    assert cdf.dtype == np_dtype
    assert_allclose(cdf, reference.cdf(x64), atol=1e-5 if single else 1e-12)

    q = np.array([1e-6, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 1e-6], np_dtype)
    quantile = np.asarray(d.icdf(jnp.asarray(q)))
    assert np.isfinite(quantile).all()
    # quantiles to a small fraction of the width of the bulk of the distribution
    spread = reference.ppf(0.99) - reference.ppf(0.01)
    atol = (1e-5 if single else 1e-10) * max(spread, abs(float(loc)) + k * 2.0)
    assert_allclose(quantile, reference.ppf(q.astype(np.float64)), atol=atol)
    # round trip
    round_trip = np.asarray(d.cdf(d.icdf(jnp.asarray(q))))
    assert_allclose(round_trip, q, atol=1e-4 if single else 1e-9)

    samples = d.sample(jax.random.key(0), (4000,))
    # as NumPyro's: uniform draws of the default float dtype, pushed through icdf
    assert samples.dtype == jnp.result_type(np_dtype, jnp.result_type(float))
    samples = np.asarray(samples)
    assert np.isfinite(samples).all()
    assert bool(d.support(jnp.asarray(samples)).all())
    assert np.isfinite(np.asarray(d.log_prob(jnp.asarray(samples)))).all()
    assert abs(samples.mean() - reference.mean()) < 5 * reference.std() / np.sqrt(
        len(samples)
    ) + (1e-5 if single else 1e-12) * abs(reference.mean())
    assert_allclose(d.mean, reference.mean(), rtol=1e-4 if single else 1e-9)
    if not single:
        assert_allclose(d.variance, reference.var(), rtol=1e-3)


TAIL_GRADIENT_CASES = [(side, k) for side in SIDES for k in TAIL_SCALES]


@pytest.mark.parametrize("method", ["log_prob", "cdf"])
@pytest.mark.parametrize(
    "side, k", TAIL_GRADIENT_CASES, ids=[f"{s}-{k:g}" for s, k in TAIL_GRADIENT_CASES]
)
def test_truncated_normal_tail_gradients(side, k, method):
    loc, scale, low, high = _tail_truncation(side, k, np.float64)
    end = low if high is None or low is not None else high
    inward = 1.0 if end == low else -1.0
    value = end + inward * 0.05 * scale

    def fn(loc, scale, end, value):
        if side == "left":
            d = TruncatedNormal(loc, scale, low=end)
        elif side == "right":
            d = TruncatedNormal(loc, scale, high=end)
        else:
            d = TruncatedNormal(loc, scale, low=end, high=end + 2.0)
        return getattr(d, method)(jnp.asarray(value))

    args = (loc, scale, end, value)
    grads = jax.grad(fn, argnums=(0, 1, 2, 3))(*args)
    for index in range(4):
        # a small step: far in the tail the functions curve on a scale of 1 / k
        expected = _finite_difference(fn, args, index, step=1e-6)
        assert np.isfinite(grads[index])
        assert_allclose(grads[index], expected, rtol=1e-5, atol=1e-8)

    # float32: finite gradients with respect to everything. Far in the tail the
    # gradient of log_prob is the small difference of terms of size k / scale and
    # k**2 / scale (from the density and from the normalizer), so float32 gives
    # it to about 1e-4 of those terms.
    args32 = tuple(np.float32(a) for a in args)
    grads32 = jax.grad(fn, argnums=(0, 1, 2, 3))(*args32)
    assert all(np.isfinite(g) for g in grads32)
    assert_allclose(
        np.asarray(grads32, np.float64),
        np.asarray(grads),
        rtol=2e-2,
        atol=1e-4 * (1 + k**2 / scale),
    )


@pytest.mark.parametrize("k", TAIL_SCALES)
def test_tail_mirror_images(k):
    # Left truncation k scales above loc is the mirror image of right truncation k
    # scales below it.
    left = TruncatedNormal(0.5, 2.0, low=0.5 + 2.0 * k)
    right = TruncatedNormal(0.5, 2.0, high=0.5 - 2.0 * k)
    x = 0.5 + 2.0 * (k + jnp.array([0.0, 0.01, 0.3, 2.0]))
    assert_allclose(left.log_prob(x), right.log_prob(1.0 - x), rtol=1e-12)
    assert_allclose(left.cdf(x), 1 - right.cdf(1.0 - x), atol=1e-14)
    q = jnp.array([0.01, 0.5, 0.99])
    assert_allclose(left.icdf(q), 1.0 - right.icdf(1 - q), rtol=1e-12)


def test_left_right_interface():
    # NumPyro's interface: fields, constraints, nan outside [0, 1], 0 and 1 beyond
    # the ends.
    from numpyro.distributions import truncated as upstream
    import numpyro_mixsupport.distributions as dist

    assert dist.LeftTruncatedDistribution.__module__.startswith("numpyro_mixsupport")
    assert dist.RightTruncatedDistribution.__module__.startswith("numpyro_mixsupport")
    for ours, theirs in [
        (dist.LeftTruncatedDistribution, upstream.LeftTruncatedDistribution),
        (dist.RightTruncatedDistribution, upstream.RightTruncatedDistribution),
    ]:
        assert ours.pytree_data_fields == theirs.pytree_data_fields
        assert ours.reparametrized_params == theirs.reparametrized_params
        assert ours.supported_types == theirs.supported_types
        assert ours.arg_constraints.keys() == theirs.arg_constraints.keys()
    left = dist.LeftTruncatedDistribution(Normal(0.0, 1.0), low=1.0)
    right = dist.RightTruncatedDistribution(Normal(0.0, 1.0), high=1.0)
    assert np.isnan(left.icdf(-0.1)) and np.isnan(right.icdf(1.1))
    assert left.cdf(0.5) == 0.0 and right.cdf(1.5) == 1.0
    assert left.icdf(1.0) == np.inf and right.icdf(0.0) == -np.inf
    with pytest.raises(AssertionError, match="not supported by this class"):
        dist.LeftTruncatedDistribution(dist.Gamma(1.0, 1.0))
    for base in [Cauchy(0.5, 2.0), Logistic(0.5, 2.0)]:
        for d in [
            dist.LeftTruncatedDistribution(base, low=3.0),
            dist.RightTruncatedDistribution(base, high=-3.0),
        ]:
            mass = integrate.quad(
                lambda v: float(np.exp(d.log_prob(jnp.asarray(v)))),
                *(
                    (3.0, np.inf)
                    if isinstance(d, dist.LeftTruncatedDistribution)
                    else (-np.inf, -3.0)
                ),
            )[0]
            assert_allclose(mass, 1.0, rtol=1e-7)
            assert_allclose(d.cdf(d.icdf(jnp.array([0.1, 0.5, 0.9]))), [0.1, 0.5, 0.9])
    # batched and jitted through the pytree
    d = dist.LeftTruncatedDistribution(
        Normal(jnp.zeros(3), 1.0), low=jnp.array([-1.0, 5.0, 30.0])
    )
    samples = jax.jit(lambda d: d.sample(jax.random.key(1), (5,)))(d)
    assert samples.shape == (5, 3)
    assert bool((samples >= d.low).all())


def test_ndtri_exp():
    from scipy import special

    from numpyro_mixsupport.distributions.truncated import _ndtri_exp

    log_p = np.array([-1e4, -700.0, -200.0, -80.0, -50.0, -5.0, -0.7, -0.1, -1e-8])
    for dtype, rtol in [(np.float64, 1e-12), (np.float32, 1e-5)]:
        x = np.asarray(_ndtri_exp(jnp.asarray(log_p, dtype)))
        assert x.dtype == dtype
        assert_allclose(x, special.ndtri_exp(log_p.astype(dtype)), rtol=rtol)
        slope = np.asarray(jax.vmap(jax.grad(_ndtri_exp))(jnp.asarray(log_p, dtype)))
        expected = np.exp(log_p - stats.norm.logpdf(x.astype(np.float64)))
        assert_allclose(slope, expected, rtol=100 * rtol)
    assert _ndtri_exp(-jnp.inf) == -jnp.inf
    assert jax.grad(_ndtri_exp)(-jnp.inf) == 0.0


@pytest.mark.parametrize("base", ["Normal", "Cauchy", "Logistic", "StudentT"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_one_sided_agrees_with_numpyro_away_from_the_tails(base, side):
    # Where NumPyro 0.22's one-sided classes are accurate (ends within a few
    # scales of ``loc``) the mirrored, log-space ones agree with them.
    from numpyro.distributions import StudentT, truncated as upstream
    import numpyro_mixsupport.distributions as dist

    bases = {
        "Normal": Normal(0.5, 2.0),
        "Cauchy": Cauchy(0.5, 2.0),
        "Logistic": Logistic(0.5, 2.0),
        "StudentT": StudentT(4.0, 0.5, 2.0),
    }
    ends = jnp.array([-4.5, -1.5, 0.5, 2.5, 5.5])  # -2.5 to 2.5 scales from loc
    if side == "left":
        ours = dist.LeftTruncatedDistribution(bases[base], low=ends)
        theirs = upstream.LeftTruncatedDistribution(bases[base], low=ends)
        x = ends + jnp.array([[0.0], [0.3], [2.0], [7.0]])
    else:
        ours = dist.RightTruncatedDistribution(bases[base], high=ends)
        theirs = upstream.RightTruncatedDistribution(bases[base], high=ends)
        x = ends - jnp.array([[0.0], [0.3], [2.0], [7.0]])
    assert_allclose(ours.log_prob(x), theirs.log_prob(x), rtol=1e-9)
    assert_allclose(ours.cdf(x), theirs.cdf(x), rtol=1e-8, atol=1e-12)
    if base != "StudentT":  # StudentT.icdf needs tensorflow_probability
        q = jnp.array([[0.01], [0.3], [0.5], [0.9], [0.999]])
        assert_allclose(ours.icdf(q), theirs.icdf(q), rtol=1e-7)
    if base == "Normal":
        assert_allclose(ours.mean, theirs.mean, rtol=1e-9)
        assert_allclose(ours.variance, theirs.variance, rtol=1e-8)


def test_truncated_cauchy_far_in_a_tail_float32():
    # 15 scales into the right tail, where 1/2 + atan(z) / pi cancels in float32.
    def fn(loc, scale, low, x):
        return TruncatedCauchy(loc, scale, low=low, high=low + 0.2).log_prob(
            jnp.asarray(x)
        )

    x = np.linspace(4.63, 4.82, 5)
    args64 = (0.0, 0.3, 4.625721, x)
    expected = fn(*args64)
    reference = stats.cauchy(0.0, 0.3)
    mass = reference.sf(4.625721) - reference.sf(4.825721)
    assert_allclose(expected, reference.logpdf(x) - np.log(mass), rtol=1e-10)
    # float32, against float64 at the same (rounded) inputs
    args32 = tuple(np.asarray(a, np.float32) for a in args64)
    args64 = tuple(np.asarray(a, np.float64) for a in args32)
    # (the mass is a difference of two tail probabilities 25 times larger)
    assert_allclose(fn(*args32), fn(*args64), rtol=1e-5)

    def total(*args):
        return fn(*args).sum()

    grads64 = jax.grad(total, argnums=(0, 1, 2))(*args64)
    grads32 = jax.grad(total, argnums=(0, 1, 2))(*args32)
    for g32, g64 in zip(grads32, grads64):
        assert_allclose(g32, g64, rtol=1e-3, atol=1e-4)
    d = TruncatedCauchy(*args32[:2], low=args32[2], high=args32[2] + np.float32(0.2))
    q = jnp.asarray([0.01, 0.5, 0.99], jnp.float32)
    cut = reference.cdf(4.625721)
    assert_allclose(
        d.icdf(q), reference.ppf(cut + np.asarray(q, float) * mass), rtol=1e-6
    )


# -- NumPyro's random stream and dtypes; bases far in a tail ---------------------

STREAM_CASES = {
    # truncations within a few scales of loc, where NumPyro 0.22 is accurate
    "left-below-loc": lambda m, b: m.LeftTruncatedDistribution(b, low=-1.0),
    "left-above-loc": lambda m, b: m.LeftTruncatedDistribution(b, low=3.0),
    "right-below-loc": lambda m, b: m.RightTruncatedDistribution(b, high=-2.0),
    "right-above-loc": lambda m, b: m.RightTruncatedDistribution(b, high=2.5),
    "two-sided": lambda m, b: m.TwoSidedTruncatedDistribution(b, -1.5, 4.0),
    "two-sided-above-loc": lambda m, b: m.TwoSidedTruncatedDistribution(b, 1.0, 6.0),
}
STREAM_BASES = ["Normal", "Cauchy", "Laplace", "Logistic", "SoftLaplace"]


def _stream_base(name, dtype):
    from numpyro.distributions import Laplace, SoftLaplace

    loc, scale = dtype(0.5), dtype(1.5)
    bases = {
        "Normal": Normal,
        "Cauchy": Cauchy,
        "Laplace": Laplace,
        "Logistic": Logistic,
        "SoftLaplace": SoftLaplace,
    }
    return bases[name](loc, scale)


class _SoftLaplace:
    """The standard SoftLaplace distribution function and quantile, in NumPy."""

    @staticmethod
    def cdf(z):
        return 2 / np.pi * np.arctan(np.exp(z))

    @staticmethod
    def ppf(p):
        return np.log(np.tan(np.pi / 2 * p))


_STANDARD = {
    "Normal": stats.norm,
    "Cauchy": stats.cauchy,
    "Laplace": stats.laplace,
    "Logistic": stats.logistic,
    "SoftLaplace": _SoftLaplace,
}


def _reference_quantile(d, base, u):
    """The truncated quantile of ``u`` in float64."""
    loc, scale = float(d.base_dist.loc), float(d.base_dist.scale)
    low = float(getattr(d, "low", -np.inf))
    high = float(getattr(d, "high", np.inf))
    standard = _STANDARD[base]
    cdf_low = standard.cdf((low - loc) / scale)
    cdf_high = standard.cdf((high - loc) / scale)
    return loc + scale * standard.ppf(cdf_low + u * (cdf_high - cdf_low))


@pytest.mark.parametrize(
    "dtype, x64",
    [(np.float32, False), (np.float32, True), (np.float64, True)],
    ids=["f32", "f32-x64", "f64-x64"],
)
@pytest.mark.parametrize("base", STREAM_BASES)
@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_samples_are_numpyros_draws(case, base, dtype, x64):
    # The same key gives NumPyro 0.22's draws, in its dtype (uniform draws of the
    # default float dtype, float64 under x64 whatever the parameters, pushed
    # through icdf), wherever those are right; ours are right everywhere.
    from numpyro.distributions import truncated as upstream
    from numpyro_mixsupport.distributions import truncated as ours

    with jax.enable_x64(x64):
        key = jax.random.key(7)
        mine = STREAM_CASES[case](ours, _stream_base(base, dtype))
        theirs = STREAM_CASES[case](upstream, _stream_base(base, dtype))
        x, expected = mine.sample(key, (2000,)), theirs.sample(key, (2000,))
        assert x.dtype == expected.dtype == jnp.result_type(float)
        assert x.shape == expected.shape == (2000,)
        tiny = jnp.finfo(jnp.result_type(float)).tiny
        u = np.asarray(jax.random.uniform(key, (2000,), minval=tiny), np.float64)
    reference = _reference_quantile(mine, base, u)
    # errors relative to the size of x and of the scale; the parameters' precision
    # bounds them
    single = dtype is np.float32 or not x64
    tolerance = 2e-6 if single else 1e-10
    size = np.abs(reference) + float(mine.base_dist.scale)
    error = np.abs(np.asarray(x, np.float64) - reference) / size
    assert error.max() < tolerance
    right = np.abs(np.asarray(expected, np.float64) - reference) / size < tolerance
    assert right.mean() > 0.9
    assert_allclose(
        x[right], expected[right], rtol=0, atol=2 * tolerance * size[right].max()
    )


@pytest.mark.parametrize("x64", [True, False], ids=["x64", "x32"])
def test_power_law_samples_are_numpyros_draws(x64):
    from numpyro.distributions import truncated as upstream

    with jax.enable_x64(x64):
        args = (np.float32(-2.3), np.float32(5.0), np.float32(87.0))
        key = jax.random.key(3)
        x = DoublyTruncatedPowerLaw(*args).sample(key, (2000,))
        expected = upstream.DoublyTruncatedPowerLaw(*args).sample(key, (2000,))
        assert x.dtype == expected.dtype
        assert_allclose(x, expected, rtol=1e-5)


EXPONENTIAL_TAIL_BASES = ["Laplace", "Logistic", "SoftLaplace"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("k", [30.0, 100.0, 200.0])
@pytest.mark.parametrize("base", EXPONENTIAL_TAIL_BASES)
def test_exponential_tails_far_out(base, k, dtype):
    # Far in their tails these bases are exponential: truncated k scales out they
    # are (nearly) an Exponential(1 / scale) from the end. NumPyro 0.22 gives inf
    # or nan there (1 - F(low) cancels to 0); the right values are finite.
    from numpyro.distributions import Laplace, SoftLaplace

    bases = {"Laplace": Laplace, "Logistic": Logistic, "SoftLaplace": SoftLaplace}
    loc, scale = dtype(0.0), dtype(2.0)
    low = dtype(k * 2.0)
    left = TruncatedDistribution(bases[base](loc, scale), low=low)
    right = TruncatedDistribution(bases[base](loc, scale), high=-low)
    two = TruncatedDistribution(bases[base](loc, scale), low=low, high=low + scale)
    x = low + np.array([0.0, 0.1, 1.0, 5.0], dtype) * scale
    # at the points as rounded; exponential up to relative corrections of
    # exp(-k), invisible here
    d = x.astype(np.float64) - float(low)
    x = jnp.asarray(x)
    exact_log_prob = -np.log(scale) - d / scale
    exact_cdf = -np.expm1(-d / scale)
    for dist_, points, flip in [(left, x, 1.0), (right, -x, -1.0)]:
        log_prob = np.asarray(dist_.log_prob(points))
        assert log_prob.dtype == dtype
        assert_allclose(log_prob, exact_log_prob, rtol=1e-5, atol=1e-5)
        cdf = np.asarray(dist_.cdf(points))
        expected = exact_cdf if flip > 0 else 1 - exact_cdf
        assert_allclose(cdf, expected, rtol=1e-5, atol=1e-6)
        q = jnp.asarray([0.0, 0.3, 0.9, 1 - 1e-6], dtype)
        quantile = np.asarray(dist_.icdf(q if flip > 0 else 1 - q))
        expected = low - scale * np.log1p(-np.asarray(q, np.float64))
        assert_allclose(flip * quantile, expected, rtol=1e-5)
        samples = np.asarray(dist_.sample(jax.random.key(0), (1000,)))
        assert np.isfinite(samples).all()
        assert np.all(flip * samples >= low)
        assert abs(np.mean(flip * samples) - (low + scale)) < 5 * scale / np.sqrt(1000)
    # the two-sided truncation to one scale: Exponential truncated to [0, 1]
    exact_two = exact_log_prob[:3] - np.log(-np.expm1(-1.0))
    assert_allclose(two.log_prob(x[:3]), exact_two, rtol=1e-5, atol=1e-5)

    def total(loc, scale, low):
        d = TruncatedDistribution(bases[base](loc, scale), low=low)
        return (d.log_prob(low + scale * jnp.asarray(d_unit)).sum(),)

    d_unit = np.array([0.1, 1.0, 5.0], dtype)
    grads = jax.grad(lambda *a: total(*a)[0], argnums=(0, 1, 2))(loc, scale, low)
    assert all(np.isfinite(g) for g in grads)
    # d/dlow at fixed x - low is zero, and d/dloc of an exponential tail is zero
    assert_allclose(grads[0], 0.0, atol=1e-3)
    assert_allclose(grads[2], 0.0, atol=1e-3)


def test_left_truncated_laplace_30_scales_out():
    # The reported case: NumPyro 0.22 gives inf, a NaN-producing fix gave nan.
    from numpyro.distributions import Laplace
    from numpyro_mixsupport.distributions import LeftTruncatedDistribution

    for dtype in [np.float32, np.float64]:
        d = LeftTruncatedDistribution(Laplace(dtype(0.0), dtype(1.0)), dtype(30.0))
        x = jnp.asarray([30.0, 31.0, 40.0], dtype)
        assert_allclose(d.log_prob(x), [0.0, -1.0, -10.0], rtol=1e-6, atol=1e-6)
        assert_allclose(d.cdf(x), -np.expm1(-np.array([0.0, 1.0, 10.0])), rtol=1e-6)
        assert_allclose(d.icdf(jnp.asarray(0.5, dtype)), 30 + np.log(2), rtol=1e-6)
        grad = jax.grad(
            lambda low: LeftTruncatedDistribution(
                Laplace(dtype(0.0), dtype(1.0)), low
            ).log_prob(jnp.asarray(31.0, dtype))
        )(dtype(30.0))
        assert_allclose(grad, 1.0, rtol=1e-6)


@pytest.mark.parametrize("base", ["Laplace", "SoftLaplace", "Logistic"])
@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_agrees_with_numpyro_away_from_the_tails(case, base):
    # log_prob, cdf and icdf agree with NumPyro 0.22 where it is accurate (the
    # Normal, Cauchy, Logistic and StudentT one-sided cases are checked above).
    from numpyro.distributions import truncated as upstream
    from numpyro_mixsupport.distributions import truncated as ours

    mine = STREAM_CASES[case](ours, _stream_base(base, np.float64))
    theirs = STREAM_CASES[case](upstream, _stream_base(base, np.float64))
    q = jnp.array([0.01, 0.2, 0.5, 0.8, 0.99])
    x = theirs.icdf(q)
    assert_allclose(mine.icdf(q), x, rtol=1e-9)
    assert_allclose(mine.log_prob(x), theirs.log_prob(x), rtol=1e-9)
    assert_allclose(mine.cdf(x), theirs.cdf(x), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    "dtype, x64",
    [(np.float32, False), (np.float32, True), (np.float64, True)],
    ids=["f32", "f32-x64", "f64-x64"],
)
@pytest.mark.parametrize("k", [0.0, 6.0, 13.0, 30.0, 40.0])
@pytest.mark.parametrize("side", SIDES)
def test_samples_are_the_quantiles_of_the_draws(side, k, dtype, x64):
    # Short of the depth where the tail probability of a draw can underflow,
    # sample takes ndtri alone; the samples, and their gradients, are icdf's at
    # the same uniform draws on either side of that depth, and in a batch that
    # holds both.
    loc, scale, low, high = _tail_truncation(side, k, dtype)
    ends = {"low": low, "high": high}
    names = [name for name, end in ends.items() if end is not None]
    args = (loc, *(ends[name] for name in names))

    def make(loc, *values):
        # a batch of two: k scales into the tail, and one scale
        batch = [
            jnp.stack([v, v - jnp.sign(v - loc) * (k - 1) * scale]) for v in values
        ]
        return TruncatedNormal(loc, scale, **dict(zip(names, batch)))

    def mean(how, *args):
        d = make(*args)
        return (d.sample(key, (500,)) if how == "sample" else d.icdf(u)).mean()

    with jax.enable_x64(x64):
        key = jax.random.key(3)
        tiny = jnp.finfo(jnp.result_type(float)).tiny
        u = jax.random.uniform(key, (500, 2), minval=tiny)
        samples = make(*args).sample(key, (500,))
        assert samples.dtype == u.dtype
        single = u.dtype == jnp.float32 or dtype is np.float32
        assert_allclose(samples, make(*args).icdf(u), rtol=1e-6 if single else 1e-12)
        assert bool(make(*args).support(samples).all())
        grads = {
            how: jax.grad(partial(mean, how), argnums=tuple(range(len(args))))(*args)
            for how in ("sample", "icdf")
        }
    assert all(np.isfinite(g) for g in grads["sample"])
    # the gradients are differences of terms of size k, rounded to about eps times
    # those
    eps = float(np.finfo(np.float32 if single else np.float64).eps)
    assert_allclose(grads["sample"], grads["icdf"], rtol=0, atol=4 * eps * (1 + k))


@pytest.mark.parametrize("side", ["left", "right", "two-sided"])
@pytest.mark.parametrize("k", [0.0, 3.0, 13.0, 30.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_icdf_and_sample_gradients_finite(side, k, dtype):
    # Gradients of icdf (so of reparametrized samples) with respect to every
    # parameter are finite at every q in [0, 1] where the quantile is, in float32
    # deep in a tail too.
    loc, scale, low, high = _tail_truncation(side, k, dtype)
    ends = {"low": low, "high": high}
    names = [name for name, end in ends.items() if end is not None]

    def icdf(q, loc, scale, *values):
        d = TruncatedNormal(loc, scale, **dict(zip(names, values)))
        return d.icdf(q)

    qs = jnp.asarray([0.0, 1e-30, 1e-6, 0.3, 0.5, 0.9, 1 - 1e-7, 1.0], dtype)
    args = (loc, scale, *(ends[name] for name in names))
    values = np.asarray(icdf(qs, *args))
    finite = np.isfinite(values)
    # only the infinite ends of a one-sided support are not finite
    assert finite[1:-1].all()
    grad = jax.grad(icdf, argnums=tuple(range(1, 1 + len(args))))
    grads = jax.jit(jax.vmap(grad, in_axes=(0,) + (None,) * len(args)))(qs, *args)
    for g in grads:
        assert np.isfinite(np.asarray(g)[finite]).all()

    def sample_mean(*args):
        return icdf(jax.random.uniform(jax.random.key(1), (200,)), *args).mean()

    grads = jax.grad(sample_mean, argnums=tuple(range(len(args))))(*args)
    assert all(np.isfinite(g) for g in grads)


def test_icdf_median_gradient_of_a_symmetric_truncation():
    # At the median of a truncation symmetric about loc the two tail
    # probabilities are equal; the quantile moves with loc.
    def median(loc, scale):
        return TruncatedNormal(loc, scale, low=loc - 1.0, high=loc + 1.0).icdf(0.5)

    assert_allclose(median(2.0, 1.5), 2.0)
    assert_allclose(jax.grad(median, argnums=(0, 1))(2.0, 1.5), (1.0, 0.0), atol=1e-12)


def test_icdf_float32_parameters_float64_probabilities():
    # Under x64 the draws of sample are float64 while the parameters may be
    # float32: the quantile is taken in float64 from float32 tail probabilities,
    # also where F(b) underflows float32 but not float64.
    for k in [5.0, 12.9, 13.5, 30.0]:
        low = np.float32(k)
        d = TruncatedNormal(np.float32(0.0), np.float32(1.0), low=low)
        q = jnp.asarray([1e-9, 0.1, 0.5, 0.9, 1 - 1e-9])
        x = np.asarray(d.icdf(q))
        assert x.dtype == np.float64
        expected = stats.truncnorm(float(low), np.inf).ppf(np.asarray(q))
        assert_allclose(x, expected, rtol=1e-6)
