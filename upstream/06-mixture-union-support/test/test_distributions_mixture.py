import numpy as np
import pytest
import scipy.stats as osp

import jax
import jax.numpy as jnp

import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.transforms import AffineTransform


def _shifted_exponential(shift):
    return dist.TransformedDistribution(
        dist.Exponential(1.0), AffineTransform(shift, 1.0)
    )


@pytest.mark.parametrize(
    "components, expected",
    [
        (lambda: [dist.Normal(), dist.HalfNormal()], constraints.real),
        (lambda: [dist.HalfNormal(), dist.Exponential()], constraints.positive),
        (
            lambda: [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
            constraints.union(
                constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
            ),
        ),
        (
            lambda: [dist.Uniform(0.0, 1.0), _shifted_exponential(3.0)],
            constraints.union(
                constraints.interval(0.0, 1.0), constraints.greater_than(3.0)
            ),
        ),
    ],
    ids=["real", "positive", "intervals", "transformed"],
)
def test_mixture_union_support(components, expected):
    mixing = dist.Categorical(probs=jnp.array([0.5, 0.5]))
    mixture = dist.MixtureGeneral(mixing, components())
    assert mixture.support == expected
    x = mixture.sample(jax.random.key(0), (100,))
    assert mixture.support(x).all()


@pytest.mark.parametrize(
    "components, sp_components, value",
    [
        (
            lambda: [dist.Normal(0.0, 1.0), dist.HalfNormal(2.0)],
            [osp.norm(0.0, 1.0), osp.halfnorm(scale=2.0)],
            [-1.0, 0.1, 0.5, 3.0],
        ),
        (
            lambda: [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
            [osp.uniform(0.0, 1.0), osp.uniform(2.0, 1.0)],
            [0.2, 0.5, 2.5, 2.9],
        ),
        (
            lambda: [dist.Normal(0.0, 1.0), dist.LogNormal(0.5, 0.8)],
            [osp.norm(0.0, 1.0), osp.lognorm(0.8, scale=np.exp(0.5))],
            [-1.0, 0.5, 2.0, 10.0],
        ),
    ],
    ids=["normal_half_normal", "uniforms", "normal_log_normal"],
)
@pytest.mark.parametrize("given_support", [False, True])
def test_mixture_different_support_log_prob(
    components, sp_components, value, given_support
):
    probs = np.array([0.3, 0.7])
    support = constraints.real if given_support else None
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array(probs)),
        components(),
        support=support,
        validate_args=True,
    )
    value = np.array(value)
    expected = np.log(sum(p * d.pdf(value) for p, d in zip(probs, sp_components)))
    assert np.allclose(mixture.log_prob(jnp.array(value)), expected, rtol=1e-5)
    # the log density of each component is -inf outside its support
    component_log_probs = mixture.component_log_probs(jnp.array(value))
    for k, d in enumerate(sp_components):
        inside = d.pdf(value) > 0
        assert np.isneginf(component_log_probs[..., k][~inside]).all()
        assert np.isfinite(component_log_probs[..., k][inside]).all()


@pytest.mark.parametrize("given_support", [False, True])
def test_mixture_different_support_gradient(given_support):
    # a component evaluated outside its support leaks no NaN into the gradient
    value = jnp.array([-1.0, 0.5, 2.0])

    def log_prob(loc, scale):
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])),
            [dist.Normal(0.0, 1.0), dist.LogNormal(loc, scale)],
            support=constraints.real if given_support else None,
        )
        return mixture.log_prob(value).sum()

    grads = jax.grad(log_prob, (0, 1))(0.0, 1.0)
    eps = 1e-2
    for i, g in enumerate(grads):
        assert jnp.isfinite(g)
        lhs = log_prob(*[p - eps if j == i else p for j, p in enumerate((0.0, 1.0))])
        rhs = log_prob(*[p + eps if j == i else p for j, p in enumerate((0.0, 1.0))])
        assert jnp.allclose(g, (rhs - lhs) / (2 * eps), rtol=1e-2)


@pytest.mark.parametrize("probs", [[0.2, 0.3, 0.5], [0.0, 0.4, 0.6]])
def test_mixture_components_of_one_family(probs):
    # truncated normals with different parameters and supports are evaluated
    # together; values and gradients match those of each evaluated alone
    loc, scale = np.array([0.0, 1.0, 4.0]), np.array([1.0, 0.5, 2.0])
    low, high = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 2.0, 9.0])
    value = np.linspace(0.1, 8.9, 12)

    def log_prob(loc):
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array(probs)),
            [
                dist.TruncatedNormal(loc[k], scale[k], low=low[k], high=high[k])
                for k in range(3)
            ],
        )
        return mixture.log_prob(value)

    a, b = (low - loc) / scale, (high - loc) / scale
    densities = osp.truncnorm.pdf(value[:, None], a, b, loc=loc, scale=scale)
    expected = np.log(densities @ np.array(probs))
    assert np.allclose(log_prob(jnp.array(loc)), expected, rtol=1e-5)

    grad = jax.grad(lambda loc: log_prob(loc).sum())(jnp.array(loc))
    assert np.isfinite(grad).all()
    eps = 1e-3
    for k in range(3):
        step = eps * np.eye(3)[k]
        numeric = (log_prob(loc + step).sum() - log_prob(loc - step).sum()) / (2 * eps)
        assert np.allclose(grad[k], numeric, rtol=1e-2, atol=1e-2)


def test_mixture_different_support_cdf():
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([0.5, 0.5])),
        [dist.Normal(0.0, 1.0), dist.Exponential(2.0)],
    )
    value = np.array([-1.0, 0.0, 1.0])
    expected = 0.5 * osp.norm.cdf(value) + 0.5 * osp.expon.cdf(value, scale=0.5)
    assert np.allclose(mixture.cdf(jnp.array(value)), expected, rtol=1e-5)


def test_mixture_log_prob_at_non_finite_values():
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([0.5, 0.5])),
        [dist.Normal(0.0, 1.0), dist.Exponential(2.0)],
        validate_args=False,
    )
    value = jnp.array([-jnp.inf, jnp.inf, jnp.nan])
    log_prob = mixture.log_prob(value)
    assert jnp.isneginf(log_prob[:2]).all()
    assert jnp.isnan(log_prob[2])

    def log_prob(rate):
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])),
            [dist.Normal(0.0, 1.0), dist.Exponential(rate)],
            validate_args=False,
        )
        return mixture.log_prob(jnp.array([-jnp.inf, 1.0, jnp.inf])).sum()

    assert jnp.isfinite(jax.grad(log_prob)(2.0))


def test_mixture_given_support_is_used():
    support = constraints.interval(0.0, 3.0)
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([0.5, 0.5])),
        [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
        support=support,
    )
    assert mixture.support is support
    assert jnp.allclose(
        mixture.log_prob(jnp.array([0.5, 1.5, 2.5])),
        jnp.log(jnp.array([0.5, 0.0, 0.5])),
    )


@pytest.mark.parametrize(
    "components, match",
    [
        (
            lambda: [dist.Normal(), dist.Poisson(1.0)],
            "all discrete or all continuous",
        ),
        (
            lambda: [
                dist.Dirichlet(jnp.ones(3)),
                dist.MultivariateNormal(jnp.zeros(3), jnp.eye(3)),
            ],
            "same base measure",
        ),
    ],
    ids=["discrete_continuous", "simplex_real_vector"],
)
@pytest.mark.parametrize("given_support", [False, True])
def test_mixture_incompatible_components(components, match, given_support):
    support = constraints.real_vector if given_support else None
    with pytest.raises(ValueError, match=match):
        dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])), components(), support=support
        )


def test_mixture_support_must_be_a_constraint():
    with pytest.raises(TypeError, match="support must be a .*Constraint"):
        dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])),
            [dist.Normal(), dist.HalfNormal()],
            support="real",
        )
