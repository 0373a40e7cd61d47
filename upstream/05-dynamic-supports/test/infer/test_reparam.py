from numpy.testing import assert_allclose
import pytest

from jax import random
import jax.numpy as jnp

import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.transforms import biject_to
import numpyro.handlers as handlers
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.infer.reparam import UnconstrainedReparam
from numpyro.infer.util import Predictive, log_density
from numpyro.optim import Adam


def _two_pieces(b):
    return constraints.union(
        constraints.interval(0.0, b), constraints.interval(b + 1.0, b + 2.0)
    )


def _moving_support_model():
    b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
    x = numpyro.sample("x", dist.ImproperUniform(_two_pieces(b), (), ()))
    numpyro.factor("x_density", jnp.where(x <= b, jnp.log(0.5 / b), jnp.log(0.5)))


@pytest.mark.parametrize("x_unconstrained", [-2.0, 0.3, 2.0])
def test_unconstrained_reparam_log_joint(x_unconstrained):
    model = handlers.reparam(_moving_support_model, {"x": UnconstrainedReparam()})
    b = 1.5
    log_joint, trace = log_density(
        model, (), {}, {"b": b, "x_unconstrained": x_unconstrained}
    )
    assert trace["x"]["type"] == "deterministic"
    transform = biject_to(_two_pieces(b))
    x = transform(x_unconstrained)
    assert_allclose(trace["x"]["value"], x)
    expected, _ = log_density(_moving_support_model, (), {}, {"b": b, "x": x})
    expected = expected + transform.log_abs_det_jacobian(x_unconstrained, x)
    assert_allclose(log_joint, expected, rtol=1e-6)


def test_unconstrained_reparam_moving_support_svi():
    model = handlers.reparam(_moving_support_model, {"x": UnconstrainedReparam()})
    guide = AutoNormal(model)
    svi_result = SVI(model, guide, Adam(0.01), Trace_ELBO()).run(
        random.key(0), 1000, progress_bar=False
    )
    assert svi_result.losses[-100:].mean() < svi_result.losses[:100].mean()
    draws = Predictive(
        model,
        guide=guide,
        params=svi_result.params,
        num_samples=500,
        return_sites=["b", "x"],
    )(random.key(1))
    x, b = draws["x"], draws["b"]
    assert (((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))).all()


def test_unconstrained_reparam_observed():
    def model():
        numpyro.sample("y", dist.Normal(), obs=1.0)

    model = handlers.reparam(model, {"y": UnconstrainedReparam()})
    with pytest.raises(ValueError, match="only for latent sites, but site 'y'"):
        handlers.seed(model, rng_seed=0)()
