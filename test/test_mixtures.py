# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0

import functools
import pickle
import warnings

import numpy as np
from numpy.testing import assert_allclose
import pytest
from scipy import stats

import jax
import jax.numpy as jnp

import numpyro.distributions as stock_dist
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints as C


def _cat(*probs):
    return dist.Categorical(probs=jnp.array(probs))


def test_normal_and_half_normal_need_no_support():
    m = dist.MixtureGeneral(_cat(0.5, 0.5), [dist.Normal(), dist.HalfNormal()])
    assert m.support is C.real
    x = jnp.array([-1.0, 0.5])
    expected = np.log(0.5 * stats.norm.pdf(x) + 0.5 * stats.halfnorm.pdf(x))
    assert_allclose(m.log_prob(x), expected, rtol=1e-10)


def test_disjoint_uniforms_get_the_union_support():
    m = dist.MixtureGeneral(
        _cat(0.3, 0.7), [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)]
    )
    assert m.support == C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))
    with pytest.warns(UserWarning, match="Out-of-support"):
        density = jnp.exp(m.log_prob(jnp.array([0.5, 1.5, 2.5])))
    assert_allclose(density, [0.3, 0.0, 0.7])
    assert_allclose(
        m.cdf(jnp.array([-1.0, 0.5, 1.5, 2.5, 4.0])), [0, 0.15, 0.3, 0.65, 1]
    )


@pytest.mark.parametrize("validate_args", [False, True])
def test_out_of_support_component_has_finite_gradients(validate_args):
    def log_prob(loc, w, x):
        m = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([w, 1 - w])),
            [
                dist.Normal(0.0, 1.0, validate_args=validate_args),
                dist.LogNormal(loc, 1.0, validate_args=validate_args),
            ],
            support=C.real,
        )
        return m.log_prob(x).sum()

    x = jnp.array([-1.0, 0.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = log_prob(0.0, 0.4, x)
        grads = jax.grad(log_prob, argnums=(0, 1, 2))(0.0, 0.4, x)
    expected = np.log(
        0.4 * stats.norm.pdf(x) + 0.6 * stats.lognorm(1.0).pdf(np.maximum(x, 0))
    )
    assert_allclose(value, expected.sum(), rtol=1e-10)
    for g in grads:
        assert bool(jnp.isfinite(g).all())
    # d/dloc from the in-support terms only, by finite differences.
    eps = 1e-6
    fd = (log_prob(eps, 0.4, x) - log_prob(-eps, 0.4, x)) / (2 * eps)
    assert_allclose(grads[0], fd, rtol=1e-6)


def _power_law_pdf(x, alpha, low, high):
    norm = (high ** (alpha + 1) - low ** (alpha + 1)) / (alpha + 1)
    return np.where((x >= low) & (x <= high), np.abs(x) ** alpha / norm, 0.0)


# (name, numpyro distribution, scipy-style pdf, independent support indicator)
COMPONENTS = {
    "Normal": (
        dist.Normal(0.5, 2.0),
        stats.norm(0.5, 2.0).pdf,
        lambda x: np.isfinite(x),
    ),
    "HalfNormal": (dist.HalfNormal(1.5), stats.halfnorm(0, 1.5).pdf, lambda x: x > 0),
    "LogNormal": (
        dist.LogNormal(0.2, 0.8),
        stats.lognorm(0.8, 0, np.exp(0.2)).pdf,
        lambda x: x > 0,
    ),
    "Exponential": (dist.Exponential(2.0), stats.expon(0, 0.5).pdf, lambda x: x > 0),
    "Gamma": (dist.Gamma(2.5, 1.5), stats.gamma(2.5, 0, 1 / 1.5).pdf, lambda x: x > 0),
    "Beta": (
        dist.Beta(2.0, 3.0),
        stats.beta(2.0, 3.0).pdf,
        lambda x: (x >= 0) & (x <= 1),
    ),
    "Uniform": (
        dist.Uniform(-1.0, 0.5),
        stats.uniform(-1.0, 1.5).pdf,
        lambda x: (x >= -1) & (x <= 0.5),
    ),
    "Pareto": (dist.Pareto(1.0, 2.5), stats.pareto(2.5).pdf, lambda x: x > 1),
    "TruncatedNormal": (
        dist.TruncatedNormal(1.0, 1.5, low=0.0, high=4.0),
        stats.truncnorm(-1.0 / 1.5, 3.0 / 1.5, 1.0, 1.5).pdf,
        lambda x: (x >= 0) & (x <= 4),
    ),
    "DoublyTruncatedPowerLaw": (
        dist.DoublyTruncatedPowerLaw(-2.5, 0.5, 3.0),
        lambda x: _power_law_pdf(x, -2.5, 0.5, 3.0),
        lambda x: (x >= 0.5) & (x <= 3.0),
    ),
    "StudentT": (
        dist.StudentT(4.0, 0.0, 1.0),
        stats.t(4.0).pdf,
        lambda x: np.isfinite(x),
    ),
}
# Inside, outside and exactly on the ends of the supports above.
GRID = np.array([-3.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
PAIRS = [
    (a, b)
    for i, a in enumerate(sorted(COMPONENTS))
    for b in sorted(COMPONENTS)[i + 1 :]
]


@pytest.mark.parametrize("first, second", PAIRS)
def test_component_pairs_against_scipy(first, second):
    (d1, pdf1, in1), (d2, pdf2, in2) = COMPONENTS[first], COMPONENTS[second]
    w = 0.35

    def log_prob(x, w, components):
        m = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.stack([w, 1 - w])), components
        )
        return m.log_prob(x)

    x = jnp.asarray(GRID)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        density = w * np.where(in1(GRID), pdf1(GRID), 0.0) + (1 - w) * np.where(
            in2(GRID), pdf2(GRID), 0.0
        )
        expected = np.log(density)
    with warnings.catch_warnings():
        # The mixture itself reports the points outside the union.
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        actual = log_prob(x, w, [d1, d2])
        # Gradients with respect to the value, the weight and every parameter.
        grads = jax.grad(
            lambda x, w, comps: log_prob(x, w, comps).sum(),
            argnums=(0, 1, 2),
            allow_int=True,
        )(x, w, [d1, d2])
    assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)
    leaves = [g for g in jax.tree.leaves(grads) if jnp.issubdtype(g.dtype, jnp.inexact)]
    assert len(leaves) >= 4
    for leaf in leaves:
        assert bool(jnp.isfinite(leaf).all()), (first, second)


def test_support_argument_must_be_a_constraint():
    with pytest.raises(
        TypeError, match="support must be a .*Constraint, got 'real' of type str"
    ):
        dist.MixtureGeneral(
            _cat(0.5, 0.5), [dist.Normal(), dist.Normal()], support="real"
        )


class _AnyConstraint(C.Constraint):
    # a user constraint that leaves event_dim at its default 0, as downstream
    # code passes for 2-D components
    def __call__(self, x):
        return jnp.ones(jnp.shape(x)[:-1], dtype=bool)


@pytest.mark.parametrize(
    "components, support, x",
    [
        (
            [
                dist.TruncatedNormal(jnp.zeros(2), 1.0, low=0.0, high=3.0).to_event(1),
                dist.Uniform(jnp.zeros(2), 2.0).to_event(1),
            ],
            _AnyConstraint(),
            jnp.array([[0.5, 1.0], [2.5, 0.1], [1.0, 1.5]]),
        ),
        ([dist.Normal(), dist.HalfNormal()], C.real_vector, jnp.array([0.5, 1.0])),
        ([dist.Normal(), dist.HalfNormal()], C.nonnegative_integer, jnp.array([1.0])),
        # narrower than a component's support: used as given, no warning
        ([dist.Normal(), dist.HalfNormal()], C.positive, jnp.array([0.1, 3.0])),
    ],
)
def test_support_argument_is_used_as_given(components, support, x):
    stock = stock_dist.MixtureGeneral(_cat(0.4, 0.6), components, support=support)
    with warnings.catch_warnings():
        # NumPyro evaluates components outside their supports, with a warning.
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        expected = stock.log_prob(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = dist.MixtureGeneral(_cat(0.4, 0.6), components, support=support)
        assert ours.support is support
        assert_allclose(ours.log_prob(x), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "components, match",
    [
        ([dist.Normal(), dist.Poisson(1.0)], "all discrete or all continuous.*Poisson"),
        (
            [dist.Normal(), dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2))],
            "same event shape",
        ),
        ([dist.Normal(), 1.0], "must be instances of numpyro.distributions"),
        ([dist.Normal()], "expected 2, got 1"),
    ],
)
def test_bad_components(components, match):
    with pytest.raises(ValueError, match=match):
        dist.MixtureGeneral(_cat(0.5, 0.5), components)


def test_support_checks_are_shared_and_skipped_on_the_whole_space():
    x = jnp.linspace(-2, 2, 5)
    normals = dist.MixtureGeneral(
        _cat(0.2, 0.3, 0.5),
        [dist.Normal(0.0, 1.0), dist.Normal(1.0, 2.0), dist.StudentT(3.0)],
    )
    assert normals._support_checks() == [None, None, None]
    # A bounded common support is checked once for all components.
    gammas = dist.MixtureGeneral(
        _cat(0.5, 0.5), [dist.Gamma(2.0, 1.0), dist.Exponential(1.0)]
    )
    first, second = gammas._support_checks()
    assert first is second
    with pytest.warns(UserWarning, match="Out-of-support"):
        grad = jax.grad(lambda x: gammas.log_prob(x).sum())(x)
    assert bool(jnp.isfinite(grad).all())
    # Mixed supports: each component gets its own check.
    mixed = dist.MixtureGeneral(_cat(0.5, 0.5), [dist.Normal(), dist.Gamma(2.0, 1.0)])
    first, second = mixed._support_checks()
    assert first is None and second is not None
    # Bounds that are the same arrays share a check, under jit too.
    low = jnp.array(1.0)

    def checks(low):
        components = [dist.TruncatedNormal(m, 1.0, low=low) for m in (0.0, 2.0)]
        first, second = dist.MixtureGeneral(
            _cat(0.5, 0.5), components
        )._support_checks()
        assert first is second
        return low

    checks(low)
    jax.jit(checks)(low)


def _one_by_one(m, x):
    # the log density of a mixture from each component evaluated on its own
    log_probs = []
    for d in m.component_distributions:
        inside = d.support(x)
        safe = jnp.where(inside, x, d.support.feasible_like(x))
        log_probs.append(jnp.where(inside, d.log_prob(safe), -jnp.inf))
    log_weights = jax.nn.log_softmax(m.mixing_distribution.logits)
    terms = jnp.stack(log_probs, -1) + log_weights
    return jax.nn.logsumexp(jnp.where(jnp.isneginf(log_weights), -jnp.inf, terms), -1)


@pytest.mark.parametrize("weights", [(0.1, 0.2, 0.3, 0.4), (0.0, 0.5, 0.0, 0.5)])
def test_components_of_one_family_are_evaluated_together(weights):
    # Components of one class, pytree structure and leaf shapes are evaluated in
    # one vectorized call; values and gradients are those of one by one, zero
    # weights and points outside some supports included.
    def mixture(params):
        mu, sigma, low, high, w = params
        components = [
            dist.TruncatedNormal(mu[i], sigma[i], low=low[i], high=high[i])
            for i in range(4)
        ] + [dist.Gamma(2.0, 1.0)]
        return dist.MixtureGeneral(dist.Categorical(probs=w), components)

    params = (
        jnp.array([0.0, 1.0, 5.0, -2.0]),
        jnp.array([1.0, 0.5, 2.0, 3.0]),
        jnp.array([-1.0, 0.0, 2.0, -5.0]),
        jnp.array([1.0, 2.0, 9.0, 0.5]),
        jnp.array(weights + (0.0,)) / sum(weights) * 0.8 + jnp.array([0.0] * 4 + [0.2]),
    )
    m = mixture(params)
    assert [len(b) for b in dist.mixtures._groups(m.component_distributions)] == [4, 1]
    # inside the union of the supports, outside some of them
    x = jnp.linspace(-4.5, 10.0, 30)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        assert_allclose(m.log_prob(x), _one_by_one(m, x), rtol=1e-6, atol=1e-12)
        assert_allclose(
            m.component_log_probs(x),
            jnp.stack(
                [
                    _one_by_one(dist.MixtureGeneral(_cat(1.0), [d]), x)
                    for d in m.component_distributions
                ],
                -1,
            )
            + jax.nn.log_softmax(m.mixing_distribution.logits),
            rtol=1e-6,
        )
        grads = jax.grad(lambda p: mixture(p).log_prob(x).sum())(params)
        expected = jax.grad(lambda p: _one_by_one(mixture(p), x).sum())(params)
    for g in grads:
        assert bool(jnp.isfinite(g).all())
    # the one-by-one reference has no gradient at a weight of zero
    compared = 5 if min(weights) > 0 else 4
    for g, e in zip(grads[:compared], expected[:compared]):
        assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_compiled_work_does_not_grow_with_components_of_one_family():
    # Each further component of one family adds the stacking of its parameters,
    # the split of their gradients and its term of the log-sum-exp: well under
    # half of what its own evaluation (a truncated normal's normalizer and its
    # gradient) would add.
    def size(k, evaluate):
        def f(mu, x):
            components = [dist.DoublyTruncatedPowerLaw(-2.0, 5.0, 80.0)] + [
                dist.TruncatedNormal(mu[i], 3.0, low=5.0, high=80.0) for i in range(k)
            ]
            m = dist.MixtureGeneral(dist.Categorical(probs=jnp.ones(k + 1)), components)
            return evaluate(m, x).sum()

        jaxpr = jax.make_jaxpr(jax.value_and_grad(f))(
            jnp.linspace(10, 60, k), jnp.linspace(6, 70, 9)
        )
        return len(jaxpr.eqns)

    def growth(evaluate):
        return (size(16, evaluate) - size(4, evaluate)) / 12

    grouped = growth(lambda m, x: m.log_prob(x))
    one_by_one = growth(_one_by_one)
    assert grouped < 0.4 * one_by_one


def _primitives(jaxpr) -> list[str]:
    # the primitives of a jaxpr and of the jaxprs inside it
    names = []
    for eqn in jaxpr.eqns:
        names.append(eqn.primitive.name)
        for param in eqn.params.values():
            for inner in param if isinstance(param, (tuple, list)) else [param]:
                if isinstance(inner, jax.extend.core.ClosedJaxpr):
                    names += _primitives(inner.jaxpr)
                elif isinstance(inner, jax.extend.core.Jaxpr):
                    names += _primitives(inner)
    return names


@pytest.mark.parametrize("value_shape", [(), (4,), (3, 4)])
def test_gradient_takes_no_row_of_a_block_apart(value_shape):
    # A block of components of one family is differentiated as a whole: a row
    # differentiated on its own would be padded to the whole block in the
    # gradient, work quadratic in the number of components. Components with a
    # batch shape of their own beside the block keep the shapes right.
    def f(mu, x):
        components = [dist.Normal(mu[i], 1.0 + i) for i in range(6)]
        components.append(dist.HalfNormal(jnp.full(4, 2.0)))
        m = dist.MixtureGeneral(dist.Categorical(probs=jnp.ones(7) / 7), components)
        return m.log_prob(x)

    # one scalar each (indexing an array of them would pad in the gradient)
    mu = tuple(jnp.float32(v) for v in np.linspace(-1.0, 2.0, 6))
    x = jnp.broadcast_to(jnp.linspace(0.1, 1.5, 4), value_shape) if value_shape else 0.7
    jaxpr = jax.make_jaxpr(jax.grad(lambda mu: f(mu, x).sum()))(mu)
    assert "pad" not in _primitives(jaxpr.jaxpr)

    def by_hand(mu):
        components = [stock_dist.Normal(mu[i], 1.0 + i) for i in range(6)]
        log_probs = [d.log_prob(x) for d in components]
        log_probs.append(stock_dist.HalfNormal(jnp.full(4, 2.0)).log_prob(x))
        stacked = jnp.stack(jnp.broadcast_arrays(*log_probs), -1)
        return jax.nn.logsumexp(stacked - jnp.log(7.0), -1)

    assert_allclose(f(mu, x), by_hand(mu), rtol=1e-6)
    assert_allclose(
        jax.grad(lambda mu: f(mu, x).sum())(mu),
        jax.grad(lambda mu: by_hand(mu).sum())(mu),
        rtol=1e-5,
    )


@pytest.mark.parametrize("num_peaks", [1, 3])
def test_components_are_not_checked_again_at_values_inside_their_supports(num_peaks):
    # Each component is evaluated only at values the mixture has restricted to
    # its support, so a component that validates its values costs nothing
    # more and gives the same result (NumPyro validates by default).
    def build(theta, validate_args):
        alpha, m_min, mu = theta[0], theta[1], theta[2:]
        components = [
            dist.DoublyTruncatedPowerLaw(
                -alpha, m_min, 80.0, validate_args=validate_args
            )
        ] + [
            dist.TruncatedNormal(
                mu[i], 3.0, low=m_min, high=100.0, validate_args=validate_args
            )
            for i in range(num_peaks)
        ]
        return dist.MixtureGeneral(
            dist.Categorical(probs=jnp.full(num_peaks + 1, 1 / (num_peaks + 1))),
            components,
            validate_args=False,
        )

    def f(theta, x, validate_args):
        return build(theta, validate_args).log_prob(x).sum()

    theta = jnp.concatenate([jnp.array([2.5, 5.0]), jnp.linspace(20, 60, num_peaks)])
    x = jnp.array([1.0, 5.0, 30.0, 79.0, 90.0, 150.0, jnp.nan, jnp.inf])
    results = {}
    sizes = {}
    for validate_args in (True, False):
        fn = jax.value_and_grad(functools.partial(f, validate_args=validate_args))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results[validate_args] = fn(theta, x)
        sizes[validate_args] = _pointwise_eqns(jax.make_jaxpr(fn)(theta, x).jaxpr, 8)
    assert_allclose(results[True][0], results[False][0], rtol=1e-6)
    assert_allclose(results[True][1], results[False][1], rtol=1e-6)
    assert jnp.all(jnp.isfinite(results[True][1]))
    # the same work over the values (validating components also check their
    # parameters, which is not work over the values)
    assert sizes[True] == sizes[False]


def _pointwise_eqns(jaxpr, size: int) -> int:
    # the equations, in nested jaxprs too, with an output whose last axis has
    # the given size
    count = 0
    for eqn in jaxpr.eqns:
        for param in eqn.params.values():
            inner = getattr(param, "jaxpr", param)
            if hasattr(inner, "eqns"):
                count += _pointwise_eqns(inner, size)
        shapes = [getattr(v.aval, "shape", ()) for v in eqn.outvars]
        count += any(shape[-1:] == (size,) for shape in shapes)
    return count


class _NeedsConcreteLoc(dist.Normal):
    # a log density that reads its parameter as a Python number
    def log_prob(self, value):
        shift = 1.0 if float(self.loc) > 0 else 0.0
        return super().log_prob(value) + shift


def test_components_that_need_concrete_parameters_are_evaluated_one_by_one():
    m = dist.MixtureGeneral(
        _cat(0.5, 0.5), [_NeedsConcreteLoc(1.0, 1.0), _NeedsConcreteLoc(-1.0, 1.0)]
    )
    x = jnp.array([0.0, 2.0])
    expected = jnp.logaddexp(
        jnp.log(0.5) + stats.norm.logpdf(x, 1.0) + 1.0,
        jnp.log(0.5) + stats.norm.logpdf(x, -1.0),
    )
    assert_allclose(m.log_prob(x), expected, rtol=1e-6)
    assert_allclose(jax.nn.logsumexp(m.component_log_probs(x), -1), expected, rtol=1e-6)


def test_log_prob_equals_logsumexp_of_component_log_probs():
    m = dist.MixtureGeneral(
        _cat(0.2, 0.3, 0.5),
        [dist.Normal(), dist.Gamma(2.0, 1.0), dist.Uniform(-1.0, 0.5)],
    )
    x = jnp.linspace(-3.0, 3.0, 13)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Out-of-support", UserWarning)
        expected = jax.nn.logsumexp(m.component_log_probs(x), axis=-1)
        assert_allclose(m.log_prob(x), expected, rtol=1e-12)


def test_transformed_component_support_is_pushed_forward():
    shifted = dist.TransformedDistribution(
        dist.Exponential(1.0), dist.transforms.AffineTransform(3.0, 1.0)
    )
    flipped = dist.TransformedDistribution(
        dist.Exponential(1.0), dist.transforms.AffineTransform(-1.0, -1.0)
    )
    m = dist.MixtureGeneral(_cat(0.5, 0.5), [flipped, shifted])
    low, high = m.support.parts
    assert type(low) is type(C.less_than(0.0)) and float(low.upper_bound) == -1.0
    assert type(high) is type(C.greater_than(0.0)) and float(high.lower_bound) == 3.0
    x = jnp.array([-2.0, 0.0, 4.0])
    with pytest.warns(UserWarning, match="Out-of-support"):
        log_prob = m.log_prob(x)
    assert_allclose(
        jnp.exp(log_prob),
        [0.5 * np.exp(-1.0), 0.0, 0.5 * np.exp(-1.0)],
        rtol=1e-12,
    )
    assert_allclose(
        m.cdf(jnp.array([-2.0, 0.0, 4.0])),
        [0.5 * np.exp(-1.0), 0.5, 1 - 0.5 * np.exp(-1.0)],
    )


def test_mean_variance_sample_and_intermediates():
    m = dist.MixtureGeneral(
        _cat(0.3, 0.7), [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)]
    )
    assert_allclose(m.mean, 0.3 * 0.5 + 0.7 * 2.5)
    assert_allclose(m.variance, 1 / 12 + 0.3 * 0.7 * 4.0)
    x, (idx,) = m.sample_with_intermediates(jax.random.key(0), (4000,))
    assert bool(m.support(x).all())
    assert_allclose(float((x > 2).mean()), 0.7, atol=0.03)
    assert bool(((idx == 1) == (x > 2)).all())


def test_pytree_vmap_expand_pickle():
    def make(b):
        return dist.MixtureGeneral(
            _cat(0.5, 0.5), [dist.Uniform(0.0, b), dist.Uniform(b + 1.0, b + 2.0)]
        )

    out = jax.vmap(lambda b: make(b).log_prob(1.5))(jnp.array([1.0, 2.0, 0.25]))
    assert_allclose(out, [-np.inf, np.log(0.25), np.log(0.5)], rtol=1e-12)
    m = make(1.0)
    expanded = m.expand((3,))
    assert expanded.batch_shape == (3,)
    assert expanded.sample(jax.random.key(1)).shape == (3,)
    restored = pickle.loads(pickle.dumps(m))
    assert_allclose(restored.log_prob(2.5), m.log_prob(2.5))
    batched = jax.jit(lambda d: d.log_prob(jnp.array([0.5, 1.5, 2.5])))(m)
    assert_allclose(jnp.exp(batched), [0.5, 0.0, 0.5])


def test_discrete_components_enumerate_the_union():
    m = dist.MixtureGeneral(
        _cat(0.4, 0.6), [dist.Binomial(3, 0.5), dist.DiscreteUniform(5, 6)]
    )
    assert m.is_discrete
    values = m.enumerate_support()
    assert_allclose(values, [0, 1, 2, 3, 5, 6])
    # As in NumPyro, a mixture is not enumerated by NumPyro's inference.
    assert not m.has_enumerate_support
    bernoullis = dist.MixtureGeneral(
        _cat(0.4, 0.6), [dist.Bernoulli(0.2), dist.Bernoulli(0.9)]
    )
    assert not bernoullis.has_enumerate_support
    assert_allclose(bernoullis.enumerate_support(), [0, 1])
    probs = jnp.exp(m.log_prob(values))
    expected = 0.4 * stats.binom(3, 0.5).pmf(values) + 0.6 * np.where(
        values >= 5, 0.5, 0.0
    )
    assert_allclose(probs, expected, rtol=1e-10)
    assert_allclose(probs.sum(), 1.0)
    poisson = dist.MixtureGeneral(
        _cat(0.5, 0.5), [dist.Poisson(2.0), dist.Binomial(10, 0.3)]
    )
    with pytest.raises(NotImplementedError, match="finite supports"):
        poisson.enumerate_support()


def test_enumerate_support_of_batched_bounds():
    same = dist.MixtureGeneral(
        _cat(0.5, 0.5),
        [dist.Binomial(jnp.array([2, 2]), 0.5), dist.DiscreteUniform(0, 4)],
    )
    values = same.enumerate_support()
    assert values.shape == (5, 2)
    assert_allclose(values[:, 1], np.arange(5))
    assert same.enumerate_support(expand=False).shape == (5, 1)
    # Values that differ across the batch cannot be enumerated together.
    inhomogeneous = dist.MixtureGeneral(
        _cat(0.5, 0.5),
        [dist.Binomial(jnp.array([2, 4]), 0.5), dist.DiscreteUniform(0, 1)],
    )
    with pytest.raises(NotImplementedError, match="same values in every batch"):
        inhomogeneous.enumerate_support()


def test_mixture_factory_uses_mixture_general():
    m = dist.Mixture(_cat(0.5, 0.5), [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)])
    assert isinstance(m, dist.MixtureGeneral)
    assert_allclose(jnp.exp(m.log_prob(2.5)), 0.5)


def test_cdf_of_a_component_whose_support_is_a_union():
    inner = dist.MixtureGeneral(
        _cat(0.5, 0.5), [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)]
    )
    outer = dist.MixtureGeneral(_cat(0.5, 0.5), [inner, dist.Uniform(5.0, 6.0)])
    x = jnp.array([-1.0, 0.5, 1.5, 2.5, 4.0, 5.5, 7.0])
    inner_cdf = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    uniform_cdf = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0])
    assert_allclose(outer.cdf(x), 0.5 * inner_cdf + 0.5 * uniform_cdf, atol=1e-12)


def test_pushed_support_under_jit_with_traced_location():
    def f(z, loc):
        shifted = dist.TransformedDistribution(
            dist.Exponential(1.0), dist.transforms.AffineTransform(loc, 1.0)
        )
        m = dist.MixtureGeneral(_cat(0.5, 0.5), [dist.Uniform(0.0, 1.0), shifted])
        assert isinstance(m.support.parts[1], type(C.greater_than(0.0)))
        return dist.biject_to(m.support)(z), m.log_prob(jnp.array(4.0))

    eager = f(jnp.array(1.0), 3.0)
    jitted = jax.jit(f)(jnp.array(1.0), 3.0)
    assert_allclose(jitted[0], eager[0], rtol=1e-12)
    # H = (0, inf) with the gap (1, 3) collapsed: exp(1) shifted by the gap.
    assert_allclose(jitted[0], np.e + 2.0, rtol=1e-12)
    assert_allclose(jitted[1], eager[1], rtol=1e-12)


class _FixedUnitNormal(dist.Distribution):
    # a distribution with no parameters in its pytree
    support = C.real

    def __init__(self):
        super().__init__(batch_shape=(), event_shape=())

    def log_prob(self, value):
        return stats.norm.logpdf(0.0) - 0.5 * jnp.square(value)


def test_components_without_parameters_are_evaluated_one_by_one():
    m = dist.MixtureGeneral(_cat(0.3, 0.7), [_FixedUnitNormal(), _FixedUnitNormal()])
    x = jnp.array([-1.0, 0.5])
    assert dist.mixtures._groups(m.component_distributions) == [(0,), (1,)]
    assert_allclose(m.log_prob(x), stats.norm.logpdf(x), rtol=1e-6)


def test_components_with_event_axes_are_evaluated_one_by_one():
    def component(loc):
        return dist.Independent(
            dist.TruncatedNormal(loc, 0.2, low=jnp.zeros(2), high=jnp.ones(2)), 1
        )

    m = dist.MixtureGeneral(
        _cat(0.3, 0.7),
        [component(jnp.array([0.2, 0.3])), component(jnp.array([0.6, 0.5]))],
    )
    assert dist.mixtures._groups(m.component_distributions) == [(0,), (1,)]
    x = jnp.array([[0.1, 0.9], [0.5, 0.5]])
    expected = jnp.logaddexp(
        jnp.log(0.3) + m.component_distributions[0].log_prob(x),
        jnp.log(0.7) + m.component_distributions[1].log_prob(x),
    )
    assert_allclose(m.log_prob(x), expected, rtol=1e-6)
    with pytest.warns(UserWarning, match="Out-of-support"):
        assert m.log_prob(jnp.array([1.5, 0.5])) == -jnp.inf
