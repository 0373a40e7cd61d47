import numpy as np
import pytest

import jax.numpy as jnp

import numpyro.distributions as dist


@pytest.mark.parametrize(
    "components, support",
    [
        (
            lambda: [dist.Binomial(3, 0.4), dist.DiscreteUniform(5, 6)],
            [0, 1, 2, 3, 5, 6],
        ),
        (
            lambda: [dist.Bernoulli(0.3), dist.Categorical(probs=jnp.ones(4) / 4)],
            [0, 1, 2, 3],
        ),
        (
            lambda: [dist.DiscreteUniform(2, 4), dist.DiscreteUniform(3, 6)],
            [2, 3, 4, 5, 6],
        ),
    ],
    ids=["disjoint", "nested", "overlapping"],
)
@pytest.mark.parametrize("batch_shape", [(), (5,)])
@pytest.mark.parametrize("expand", [False, True])
def test_mixture_enumerate_support(components, support, batch_shape, expand):
    probs = jnp.broadcast_to(jnp.array([0.3, 0.7]), batch_shape + (2,))
    mixture = dist.MixtureGeneral(dist.Categorical(probs=probs), components())
    actual = mixture.enumerate_support(expand=expand)
    expected = np.array(support).reshape((-1,) + (1,) * len(batch_shape))
    if expand:
        expected = np.broadcast_to(expected, (len(support),) + batch_shape)
    assert actual.shape == expected.shape
    assert jnp.array_equal(actual, expected)
    # the probabilities of the values sum to one
    total = jnp.exp(mixture.log_prob(mixture.enumerate_support())).sum(0)
    assert jnp.allclose(total, 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "components",
    [
        lambda: [dist.Poisson(1.0), dist.DiscreteUniform(0, 3)],
        lambda: [dist.DiscreteUniform(np.array([0, 1]), 3), dist.Bernoulli(0.5)],
        lambda: [dist.Normal(), dist.Uniform(0.0, 1.0)],
    ],
    ids=["infinite", "batched_bounds", "continuous"],
)
def test_mixture_enumerate_support_not_implemented(components):
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([0.5, 0.5])), components()
    )
    assert not mixture.has_enumerate_support
    with pytest.raises(NotImplementedError, match="enumerate_support needs"):
        mixture.enumerate_support()
