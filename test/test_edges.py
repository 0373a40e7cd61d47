# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Edge cases of :class:`MixtureGeneral` and the union bijection: values on the
ends of the supports, infinite and NaN values, extreme gaps, extreme weights,
many components, a union whose bounds NUTS samples, and every bad input listed
in ``docs/bad_input.md`` with its exact exception or warning."""

import re
import warnings

import numpy as np
from numpy.testing import assert_allclose
import pytest
from scipy import stats

import jax
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import split_gelman_rubin
import numpyro.distributions as stock_dist
from numpyro.infer import MCMC, NUTS, init_to_value
from numpyro.infer.util import initialize_model
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints as C
from numpyro_mixsupport.distributions.transforms import (
    AffineTransform,
    IntervalUnionTransform,
    biject_to,
)

INF = np.inf

# Values outside the support are part of what is tested: NumPyro's validation
# warning about them (an error under this project's warning filters) is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Out-of-support values:UserWarning")


def _cat(*probs, dtype=None):
    return dist.Categorical(probs=jnp.asarray(probs, dtype))


def _shifted(c, sign=1.0):
    return dist.TransformedDistribution(dist.Exponential(1.0), AffineTransform(c, sign))


# ---------------------------------------------------------------------------
# Values exactly on the ends, as NumPyro declares them open or closed.
# ---------------------------------------------------------------------------

# (components, weights, x, exact density at x)
ENDS = {
    # Uniform: interval, both ends closed.
    "uniform_low": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 0.0, 0.3),
    "uniform_high": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 1.0, 0.3),
    "uniform_next_low": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 2.0, 0.7),
    "uniform_next_high": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 3.0, 0.7),
    "uniform_below": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], -1e-12, 0.0),
    "uniform_gap": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 1.5, 0.0),
    "uniform_above": ([dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)], 3.0 + 1e-12, 0),
    # HalfNormal: positive, 0 is outside although its formula is finite there.
    "half_normal_zero": ([dist.HalfNormal(1.0), dist.Uniform(2.0, 3.0)], 0.0, 0.0),
    "half_normal_tiny": (
        [dist.HalfNormal(1.0), dist.Uniform(2.0, 3.0)],
        1e-300,
        0.3 * stats.halfnorm.pdf(1e-300),
    ),
    # greater_than(3), open; less_than(-1), open.
    "shifted_end": ([_shifted(3.0), dist.Uniform(0.0, 1.0)], 3.0, 0.0),
    "shifted_inside": (
        [_shifted(3.0), dist.Uniform(0.0, 1.0)],
        3.5,
        0.3 * np.exp(-0.5),
    ),
    "flipped_end": ([_shifted(-1.0, -1.0), dist.Uniform(0.0, 1.0)], -1.0, 0.0),
    "flipped_inside": (
        [_shifted(-1.0, -1.0), dist.Uniform(0.0, 1.0)],
        -1.5,
        0.3 * np.exp(-0.5),
    ),
    # Left-truncated normal: greater_than_eq, closed.
    "left_truncated_end": (
        [dist.TruncatedNormal(0.0, 1.0, low=1.0), dist.Uniform(-3.0, -2.0)],
        1.0,
        0.3 * stats.norm.pdf(1.0) / stats.norm.sf(1.0),
    ),
    # Pareto: greater_than(scale), open.
    "pareto_end": ([dist.Pareto(1.0, 2.0), dist.Uniform(-1.0, 0.0)], 1.0, 0.0),
    # Touching closed pieces: the shared end is counted from both.
    "touching": ([dist.Uniform(0.0, 1.0), dist.Uniform(1.0, 3.0)], 1.0, 0.3 + 0.35),
    # A power law whose ends are the ends of the union.
    "power_law_low": (
        [dist.DoublyTruncatedPowerLaw(-2.0, 1.0, 2.0), dist.Uniform(3.0, 4.0)],
        1.0,
        0.3 * 2.0,
    ),
    "power_law_high": (
        [dist.DoublyTruncatedPowerLaw(-2.0, 1.0, 2.0), dist.Uniform(3.0, 4.0)],
        2.0,
        0.3 * 0.5,
    ),
}


@pytest.mark.parametrize("name", sorted(ENDS))
@pytest.mark.parametrize("validate_args", [False, True])
def test_values_on_the_ends(name, validate_args):
    components, x, density = ENDS[name]
    m = dist.MixtureGeneral(_cat(0.3, 0.7), components, validate_args=validate_args)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        lp = m.log_prob(jnp.asarray(x))
        g = jax.grad(m.log_prob)(jnp.asarray(x))
    if density == 0:
        assert float(lp) == -INF
    else:
        assert_allclose(float(lp), np.log(density), rtol=1e-10)
    assert bool(m.support(jnp.asarray(x))) == (density > 0)
    assert not bool(jnp.isnan(g))


# ---------------------------------------------------------------------------
# Infinite and NaN values.
# ---------------------------------------------------------------------------

NON_FINITE = {
    "normal_half_normal": lambda va: [
        dist.Normal(validate_args=va),
        dist.HalfNormal(validate_args=va),
    ],
    "two_uniforms": lambda va: [
        dist.Uniform(0.0, 1.0, validate_args=va),
        dist.Uniform(2.0, 3.0, validate_args=va),
    ],
    "normal_uniform": lambda va: [
        dist.Normal(validate_args=va),
        dist.Uniform(2.0, 3.0, validate_args=va),
    ],
    # Both positive: the mixture's support is theirs and is checked once.
    "gamma_exponential": lambda va: [
        dist.Gamma(2.0, 1.0, validate_args=va),
        dist.Exponential(1.0, validate_args=va),
    ],
    "shifted_flipped": lambda va: [
        dist.TransformedDistribution(
            dist.Exponential(1.0, validate_args=va), AffineTransform(3.0, 1.0)
        ),
        dist.TransformedDistribution(
            dist.Exponential(1.0, validate_args=va), AffineTransform(-1.0, -1.0)
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(NON_FINITE))
@pytest.mark.parametrize("validate_args", [False, True])
@pytest.mark.parametrize("x", [INF, -INF])
def test_infinite_values_have_zero_density_and_no_nan(name, validate_args, x):
    m = dist.MixtureGeneral(
        _cat(0.4, 0.6), NON_FINITE[name](validate_args), validate_args=validate_args
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        lp = m.log_prob(jnp.asarray(x))
        g = jax.grad(m.log_prob)(jnp.asarray(x))
    assert float(lp) == -INF
    assert not bool(jnp.isnan(g)), g


@pytest.mark.parametrize("name", sorted(NON_FINITE))
def test_nan_in_gives_nan_out(name):
    # As NumPyro's own distributions do without validation
    # (``Normal(validate_args=False).log_prob(nan)`` is NaN): a NaN value is
    # reported, not silently given zero density.
    assert bool(jnp.isnan(dist.Normal(validate_args=False).log_prob(jnp.nan)))
    m = dist.MixtureGeneral(
        _cat(0.4, 0.6), NON_FINITE[name](False), validate_args=False
    )
    lp = m.log_prob(jnp.array([jnp.nan, 0.5]))
    assert bool(jnp.isnan(lp[0])), lp


@pytest.mark.parametrize("name", sorted(NON_FINITE))
def test_nan_with_support_given_is_minus_inf_as_in_numpyro(name):
    # With support= NumPyro restricts every component to its own support, which
    # NaN is not in: -inf, not NaN.
    components = NON_FINITE[name](False)
    stock = stock_dist.MixtureGeneral(
        _cat(0.4, 0.6), components, support=C.real, validate_args=False
    )
    ours = dist.MixtureGeneral(
        _cat(0.4, 0.6), components, support=C.real, validate_args=False
    )
    assert float(stock.log_prob(jnp.asarray(jnp.nan))) == -INF
    assert float(ours.log_prob(jnp.asarray(jnp.nan))) == -INF


@pytest.mark.parametrize("name", sorted(NON_FINITE))
def test_nan_with_validation_is_outside_the_support(name):
    # With validation NumPyro masks values outside the support, NaN included, to
    # -inf (``Normal().log_prob(nan)`` is -inf) and warns; so does the mixture.
    m = dist.MixtureGeneral(_cat(0.4, 0.6), NON_FINITE[name](True), validate_args=True)
    with pytest.warns(UserWarning, match="Out-of-support"):
        lp = m.log_prob(jnp.asarray(jnp.nan))
    assert float(lp) == -INF


def test_zero_weight_component_with_infinite_log_prob():
    # Found by the fuzz suite. NumPyro's InverseGamma.log_prob overflows to +inf
    # at tiny values (its PowerTransform log-Jacobian); a component of weight 0
    # must still contribute nothing, not 0 * inf = NaN.
    x = jnp.asarray(2.4438567481746838e-237)
    assert float(dist.InverseGamma(2.0, 1.0).log_prob(x)) == INF
    m = dist.MixtureGeneral(
        _cat(1.0, 0.0), [dist.Beta(1.0, 1.0), dist.InverseGamma(2.0, 1.0)]
    )
    assert_allclose(float(m.log_prob(x)), 0.0, atol=1e-12)


# ---------------------------------------------------------------------------
# Gaps as narrow as 1e-12 and as wide as 1e12.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [1e-12, 1e-6, 1.0, 1e6, 1e12])
def test_extreme_gaps_log_prob(gap):
    m = dist.MixtureGeneral(
        _cat(0.3, 0.7), [dist.Uniform(0.0, 1.0), dist.Uniform(1.0 + gap, 2.0 + gap)]
    )
    assert isinstance(m.support, C._Union)
    x = jnp.array([0.5, 1.0, 1.0 + gap / 2, 1.0 + gap, 1.5 + gap, 2.0 + gap])
    expected = np.log([0.3, 0.3, 1.0, 0.7, 0.7, 0.7])
    expected[2] = -INF
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        assert_allclose(m.log_prob(x), expected, rtol=1e-12)
        grads = jax.vmap(jax.grad(m.log_prob))(x)
    assert bool(jnp.isfinite(grads).all())
    samples = m.sample(jax.random.key(0), (2000,))
    assert bool(m.support(samples).all())
    assert_allclose(float((samples > 1.0 + gap / 2).mean()), 0.7, atol=0.04)


@pytest.mark.parametrize("gap", [1e-12, 1e-6, 1.0, 1e6, 1e12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_gaps_round_trip(gap, dtype):
    low = dtype(1.0 + gap)
    # The upper piece is one unit wide, or wider where a unit is below the
    # resolution of its position (1e12 in float32).
    high = low + dtype(max(1.0, 2.0**-10 * float(low)))
    # Where the gap is below float32 resolution the parts touch.
    support = C.union(C.interval(dtype(0), dtype(1)), C.interval(low, high))
    t = biject_to(support)
    assert isinstance(t, IntervalUnionTransform)
    x = jnp.linspace(-40.0, 40.0, 801, dtype=dtype)
    y = t(x)
    assert y.dtype == dtype
    assert bool(support(y).all())
    assert bool((jnp.diff(y) >= 0).all())
    # Both pieces are reached.
    assert bool((y <= 1).any()) and bool((y >= low).any())
    # Round trip where the sigmoid is not saturated, to the resolution of y: an
    # error of one ulp of y is an error of ulp / (H sigmoid'(x)) in x, where H,
    # the collapsed length, is 1 + (high - low).
    eps = np.finfo(dtype).eps
    collapsed = 1.0 + (float(high) - float(low))
    inside = jnp.abs(x) < 4
    atol = 8 * eps * float(high) / (collapsed * 0.017) + 8 * eps
    assert_allclose(t.inv(y)[inside], x[inside], atol=atol)
    # Points of the union come back to themselves.
    width = float(high) - float(low)
    pts = jnp.asarray(
        [0.25, 0.75, float(low) + 0.25 * width, float(low) + 0.75 * width], dtype
    )
    assert_allclose(t(t.inv(pts)), pts, rtol=8 * eps, atol=8 * eps)
    ladj = t.log_abs_det_jacobian(x, y)
    assert bool(jnp.isfinite(ladj[inside]).all())


# ---------------------------------------------------------------------------
# Huge and tiny weights.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, tiny", [(np.float64, 1e-300), (np.float32, 1e-30), (np.float64, 1e-30)]
)
def test_tiny_and_huge_weights(dtype, tiny):
    weights = np.array([1.0 - tiny, tiny], dtype)
    components = [
        dist.Normal(np.asarray(0.0, dtype), np.asarray(1.0, dtype)),
        dist.Uniform(np.asarray(5.0, dtype), np.asarray(6.0, dtype)),
    ]

    def log_prob(w, x):
        return dist.MixtureGeneral(
            dist.Categorical(probs=w), components, support=C.real
        ).log_prob(x)

    x = jnp.asarray([0.0, 5.5, 100.0], dtype)
    lp = log_prob(jnp.asarray(weights), x)
    assert lp.dtype == dtype
    expected = np.logaddexp(
        np.log1p(-np.float64(tiny)) + stats.norm.logpdf(np.asarray(x, np.float64)),
        np.log(np.float64(tiny)) + 0.0,
    )
    expected[2] = np.log1p(-np.float64(tiny)) + stats.norm.logpdf(100.0)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(lp, expected, rtol=rtol)
    g = jax.grad(lambda w: log_prob(w, x).sum())(jnp.asarray(weights))
    assert bool(jnp.isfinite(g).all())
    # Through the logits too: a weight of exp(-700) is not zero.
    logits = jnp.asarray([0.0, -700.0 if dtype == np.float64 else -69.0], dtype)
    m = dist.MixtureGeneral(dist.Categorical(logits=logits), components)
    assert bool(jnp.isfinite(m.log_prob(jnp.asarray(5.5, dtype))))


# ---------------------------------------------------------------------------
# Many components.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 16, 64])
def test_many_components_compile_and_evaluate(k):
    weights = np.arange(1.0, k + 1.0)
    weights /= weights.sum()

    def make(w, lows):
        comps = [dist.Uniform(lows[i], lows[i] + 1.0) for i in range(k)]
        return dist.MixtureGeneral(dist.Categorical(probs=w), comps)

    lows = jnp.asarray(3.0 * np.arange(k))
    centers = lows + 0.5
    gaps = lows + 2.0
    x = jnp.concatenate([centers, gaps])

    @jax.jit
    def f(w, lows, x):
        return make(w, lows).log_prob(x)

    lp = f(jnp.asarray(weights), lows, x)
    assert_allclose(lp[:k], np.log(weights), rtol=1e-12)
    assert bool((lp[k:] == -INF).all())
    g = jax.jit(jax.grad(lambda w, lows: f(w, lows, centers).sum(), (0, 1)))(
        jnp.asarray(weights), lows
    )
    assert all(bool(jnp.isfinite(a).all()) for a in g)
    m = make(jnp.asarray(weights), lows)
    assert len(m.support.parts if k > 1 else [m.support]) == k
    samples = m.sample(jax.random.key(0), (1000,))
    assert bool(m.support(samples).all())
    t = biject_to(m.support)
    z = jnp.linspace(-5.0, 5.0, 101)
    y = t(z)
    assert bool(m.support(y).all())
    assert_allclose(t.inv(y), z, atol=1e-6 * 3 * k)


# ---------------------------------------------------------------------------
# A union whose bounds are latent variables sampled by NUTS.
# ---------------------------------------------------------------------------


def _traced_bounds_model():
    b = numpyro.sample("b", dist.Uniform(0.5, 1.5))
    c = numpyro.sample("c", dist.Uniform(2.0, 3.0))
    x = numpyro.sample(
        "x",
        dist.MixtureGeneral(
            _cat(0.4, 0.6), [dist.Uniform(0.0, b), dist.Uniform(c, c + 1.0)]
        ),
    )
    # NumPyro 0.22 replays the model to map draws back to the support only for
    # greater_than and interval supports with traced bounds, or when the model
    # has a deterministic site: this one makes it use each draw's own b and c.
    numpyro.deterministic("x_in_support", x)


def test_nuts_with_latent_union_bounds():
    init = initialize_model(jax.random.key(1), _traced_bounds_model)
    assert bool(jnp.isfinite(init.potential_fn(init.param_info.z)))
    grad = jax.grad(init.potential_fn)(init.param_info.z)
    assert all(bool(jnp.isfinite(v)) for v in grad.values())
    mcmc = MCMC(
        NUTS(_traced_bounds_model),
        num_warmup=500,
        num_samples=1000,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(0), extra_fields=("potential_energy", "diverging"))
    s = mcmc.get_samples(group_by_chain=True)
    b, c, x = (np.asarray(s[k]) for k in "bcx")
    # Every draw lies in the support that its own b and c define.
    inside = ((x >= 0) & (x <= b)) | ((x >= c) & (x <= c + 1))
    assert inside.all()
    assert ((b >= 0.5) & (b <= 1.5) & (c >= 2) & (c <= 3)).all()
    assert np.isfinite(mcmc.get_extra_fields()["potential_energy"]).all()
    for v in (b, c, x):
        assert float(split_gelman_rubin(v)) < 1.05
    # The marginal mass of the upper piece is its weight.
    assert abs(float((x > 1.75).mean()) - 0.6) < 0.06


def test_nuts_with_union_bounds_fitted_to_data():
    # The bounds b and c of the union [0, b] | [c, c + 1] fitted to data drawn
    # with b = 1, c = 2.5: every draw keeps all data inside its own union, and
    # the posteriors concentrate at the data's extremes.
    rng = np.random.default_rng(0)
    low, high = rng.uniform(0.0, 1.0, 120), rng.uniform(2.5, 3.5, 80)
    data = jnp.asarray(np.concatenate([low, high]))

    def model():
        b = numpyro.sample("b", dist.Uniform(0.5, 1.5))
        c = numpyro.sample("c", dist.Uniform(2.0, 3.0))
        w = numpyro.sample("w", dist.Dirichlet(jnp.ones(2)))
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=w),
            [dist.Uniform(0.0, b), dist.Uniform(c, c + 1.0)],
        )
        numpyro.sample("y", mixture, obs=data)

    # The data leave c a band of width min(high) + 1 - max(high): start inside.
    start = {"b": 1.2, "c": (high.min() + high.max() - 1.0) / 2}
    kernel = NUTS(model, init_strategy=init_to_value(values=start))
    mcmc = MCMC(kernel, num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(jax.random.key(2), extra_fields=("potential_energy",))
    s = {k: np.asarray(v) for k, v in mcmc.get_samples().items()}
    assert np.isfinite(mcmc.get_extra_fields()["potential_energy"]).all()
    assert (s["b"] >= low.max()).all()
    assert ((s["c"] <= high.min()) & (s["c"] + 1.0 >= high.max())).all()
    # Posterior of b: density prop. to b^-120 on [max(low), 1.5], mean within
    # about 1/120 of the edge; likewise for c.
    assert 0.0 < np.mean(s["b"]) - low.max() < 0.03
    assert 0.0 < high.min() - np.mean(s["c"]) < 0.03
    assert abs(np.mean(s["w"][:, 1]) - 81 / 202) < 0.05


# ---------------------------------------------------------------------------
# Bad input: one test per row of docs/bad_input.md, with the exact message.
# ---------------------------------------------------------------------------

N, HN = dist.Normal(), dist.HalfNormal()

BAD_MIXTURES = {
    "empty_component_list": (
        lambda: dist.MixtureGeneral(_cat(1.0), []),
        ValueError,
        "The number of elements in 'component_distributions' must match the "
        "mixture size; expected 1, got 0",
    ),
    "non_distribution_entry": (
        lambda: dist.MixtureGeneral(_cat(0.5, 0.5), [N, "Normal"]),
        ValueError,
        "All elements of 'component_distributions' must be instances of "
        "numpyro.distributions.Distribution subclasses",
    ),
    "not_a_list": (
        lambda: dist.MixtureGeneral(_cat(0.5, 0.5), 3),
        ValueError,
        "The 'component_distributions' argument must be a list of Distribution objects",
    ),
    "mismatched_mixing_size": (
        lambda: dist.MixtureGeneral(_cat(0.5, 0.5), [N, N, HN]),
        ValueError,
        "The number of elements in 'component_distributions' must match the "
        "mixture size; expected 2, got 3",
    ),
    "mismatched_event_shapes": (
        lambda: dist.MixtureGeneral(
            _cat(0.5, 0.5), [N, dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2))]
        ),
        ValueError,
        "All component distributions must have the same event shape",
    ),
    "discrete_with_continuous": (
        lambda: dist.MixtureGeneral(_cat(0.5, 0.5), [N, dist.Poisson(1.0)]),
        ValueError,
        "Components must be all discrete or all continuous: a probability mass "
        "cannot be added to a density. Got component 0 (Normal, support Real()): "
        "continuous, component 1 (Poisson, support "
        "IntegerNonnegative(lower_bound=0)): discrete",
    ),
    "discrete_with_continuous_and_support": (
        lambda: dist.MixtureGeneral(
            _cat(0.5, 0.5), [dist.Poisson(1.0), N], support=C.real
        ),
        ValueError,
        "Components must be all discrete or all continuous: a probability mass "
        "cannot be added to a density. Got component 0 (Poisson, support "
        "IntegerNonnegative(lower_bound=0)): discrete, component 1 (Normal, "
        "support Real()): continuous",
    ),
    "simplex_with_open_set": (
        lambda: dist.MixtureGeneral(
            _cat(0.5, 0.5),
            [
                dist.Dirichlet(jnp.ones(2)),
                dist.Uniform(jnp.zeros(2), 1.0).to_event(1),
            ],
            support=C.independent(C.unit_interval, 1),
        ),
        ValueError,
        "Components must have densities with respect to the same base measure: a "
        "density on a lower-dimensional set (such as the simplex or the sphere) "
        "cannot be added to one on another set. Got component 0 (Dirichlet, "
        "support Simplex()): the surface measure of the simplex, component 1 "
        "(Independent, support IndependentConstraint(Interval(lower_bound=[0. 0.], "
        "upper_bound=1.0), 1)): Lebesgue measure",
    ),
    "sphere_with_open_set": (
        lambda: dist.MixtureGeneral(
            _cat(0.5, 0.5),
            [dist.ProjectedNormal(jnp.ones(3)), dist.Normal(jnp.zeros(3)).to_event(1)],
        ),
        ValueError,
        "Components must have densities with respect to the same base measure: a "
        "density on a lower-dimensional set (such as the simplex or the sphere) "
        "cannot be added to one on another set. Got component 0 (ProjectedNormal, "
        "support Sphere()): the surface measure of the sphere, component 1 "
        "(Independent, support IndependentConstraint(Real(), 1)): Lebesgue measure",
    ),
    "support_not_a_constraint": (
        lambda: dist.MixtureGeneral(_cat(0.5, 0.5), [N, HN], support="real"),
        TypeError,
        "support must be a numpyro.distributions.constraints.Constraint, got "
        "'real' of type str",
    ),
    "mixing_not_categorical": (
        lambda: dist.MixtureGeneral(dist.Normal(), [N, HN]),
        ValueError,
        "The mixing distribution must be a numpyro.distributions.Categorical. "
        "However, it is of type <class 'numpyro.distributions.continuous.Normal'>",
    ),
}

BAD_UNIONS = {
    "union_no_parts": ((), ValueError, "union() needs at least one constraint"),
    "union_event_dims": (
        (C.real, C.real_vector),
        ValueError,
        "union() parts must share event_dim, got Real() (event_dim=0), "
        "RealVector(Real(), 1) (event_dim=1)",
    ),
    "union_discrete_and_continuous": (
        (C.positive, C.nonnegative_integer),
        ValueError,
        "union() parts must be all discrete or all continuous, got "
        "Positive(lower_bound=0.0) (is_discrete=False), "
        "IntegerNonnegative(lower_bound=0) (is_discrete=True)",
    ),
    "union_non_constraint": (
        (C.real, 1.0),
        TypeError,
        "union() takes Constraint objects, got 1.0 of type float",
    ),
    "union_dependent": (
        (C.real, C.dependent),
        ValueError,
        "union() cannot take a dependent constraint, got Dependent(); pass the "
        "constraint the value satisfies",
    ),
}

BAD_BIJECTIONS = {
    "simplex_sphere": (
        C.union(C.simplex, C.sphere),
        "IntervalUnionTransform needs continuous intervals of scalars, got parts "
        "Simplex(), Sphere()",
    ),
    "integer_intervals": (
        C.union(C.integer_interval(0, 1), C.integer_interval(3, 4)),
        "IntervalUnionTransform needs continuous intervals of scalars, got parts "
        "IntegerInterval(lower_bound=0, upper_bound=1), "
        "IntegerInterval(lower_bound=3, upper_bound=4)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_MIXTURES))
def test_bad_mixture_input(name):
    make, error, message = BAD_MIXTURES[name]
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()


@pytest.mark.parametrize("name", sorted(BAD_UNIONS))
def test_bad_union_input(name):
    parts, error, message = BAD_UNIONS[name]
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        C.union(*parts)


@pytest.mark.parametrize("name", sorted(BAD_BIJECTIONS))
def test_bijection_of_non_interval_parts(name):
    support, message = BAD_BIJECTIONS[name]
    with pytest.raises(NotImplementedError, match=f"^{re.escape(message)}$"):
        biject_to(support)
    # ``check`` still works on such a union.
    assert support.event_dim in (0, 1)
