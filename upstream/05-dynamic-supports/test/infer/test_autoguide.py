import pytest

from jax import random
import jax.numpy as jnp

import numpyro
from numpyro import optim
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import (
    AutoDelta,
    AutoDiagonalNormal,
    AutoMultivariateNormal,
    AutoNormal,
)
from numpyro.infer.util import Predictive


class _TwoPieces(dist.Distribution):
    # 0.5 Uniform(0, b) + 0.5 Uniform(b + 1, b + 2)
    arg_constraints = {"b": constraints.positive}

    def __init__(self, b):
        self.b = b
        super().__init__(batch_shape=jnp.shape(b))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.union(
            constraints.interval(0.0, self.b),
            constraints.interval(self.b + 1.0, self.b + 2.0),
        )

    def sample(self, key, sample_shape=()):
        key_piece, key_value = random.split(key)
        shape = sample_shape + self.batch_shape
        u = random.uniform(key_value, shape)
        upper = random.bernoulli(key_piece, 0.5, shape)
        return jnp.where(upper, self.b + 1.0 + u, self.b * u)

    def log_prob(self, value):
        return jnp.where(value <= self.b, jnp.log(0.5 / self.b), jnp.log(0.5))


def _union_model(moving):
    def model():
        b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
        numpyro.sample("x", _TwoPieces(b if moving else 1.5))

    return model


@pytest.mark.parametrize(
    "auto_class", [AutoDelta, AutoNormal, AutoDiagonalNormal, AutoMultivariateNormal]
)
def test_autoguide_moving_union_support(auto_class):
    # an autoguide builds the transform of x from its support at the initial
    # point, which would put its draws outside the support as b moves
    model = _union_model(moving=True)
    svi = SVI(model, auto_class(model), optim.Adam(0.01), Trace_ELBO())
    with pytest.raises(
        ValueError,
        match="cannot follow the support of the latent site 'x'.*UnconstrainedReparam",
    ):
        svi.init(random.key(0))


@pytest.mark.parametrize("auto_class", [AutoDelta, AutoNormal])
def test_autoguide_constant_union_support(auto_class):
    model = _union_model(moving=False)
    guide = auto_class(model)
    svi_result = SVI(model, guide, optim.Adam(0.01), Trace_ELBO()).run(
        random.key(0), 200, progress_bar=False
    )
    x = Predictive(guide, params=svi_result.params, num_samples=100)(random.key(1))["x"]
    assert ((x >= 0) & (x <= 1.5) | (x >= 2.5) & (x <= 3.5)).all()
    assert jnp.isfinite(svi_result.losses).all()
