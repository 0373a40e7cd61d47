import numpy as np
from numpy.testing import assert_allclose
import pytest

from jax import random
import jax.numpy as jnp

import numpyro
from numpyro import handlers
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.distributions.transforms import ExpTransform, biject_to
from numpyro.infer.util import _get_model_transforms, initialize_model


def _two_pieces(b):
    return constraints.union(
        constraints.interval(0.0, b), constraints.interval(b + 1.0, b + 2.0)
    )


def _model_with_support(support_fn):
    def model():
        b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
        numpyro.sample("x", dist.ImproperUniform(support_fn(b), (), ()))

    return model


@pytest.mark.parametrize(
    "support_fn",
    [constraints.greater_than, constraints.less_than, _two_pieces],
    ids=["greater_than", "less_than", "union"],
)
def test_postprocess_moving_support(support_fn):
    # the support of x moves with b: the samples of x are constrained with the
    # support at the value of b they come with, not at the initial point
    model = _model_with_support(support_fn)
    model_info = initialize_model(random.key(0), model)
    for b in [2.5, -2.5]:
        unconstrained = {"b": jnp.array(b), "x": jnp.array(0.3)}
        samples = model_info.postprocess_fn(unconstrained)
        support = support_fn(samples["b"])
        assert_allclose(samples["x"], biject_to(support)(0.3), rtol=1e-6)
        assert support(samples["x"])


@pytest.mark.parametrize(
    "fn",
    [
        dist.Uniform(np.zeros(2), 1.0),
        dist.ImproperUniform(
            constraints.union(
                constraints.interval(np.zeros(2), 1.0), constraints.greater_than(2.0)
            ),
            (),
            (2,),
        ),
    ],
    ids=["interval", "union"],
)
def test_constant_support_is_not_replayed(fn):
    # bounds that are Python scalars or NumPy arrays cannot depend on latent
    # sites, so the model need not be replayed to constrain its samples
    def model():
        numpyro.sample("x", fn)

    model = handlers.substitute(handlers.seed(model, 0), data={"x": np.full(2, 0.5)})
    assert not _get_model_transforms(model)[1]


class _NotIterable:
    def __iter__(self):
        raise TypeError("not iterable")


class _BareChild(constraints.Constraint):
    # tree_flatten gives its child bare, not in a sequence, as the
    # BijectorConstraint of numpyro.contrib.tfp does
    def __init__(self, child):
        self.child = child

    def __call__(self, x):
        return x > 0

    def tree_flatten(self):
        return self.child, ()

    @classmethod
    def tree_unflatten(cls, aux_data, child):
        return cls(child)


biject_to.register(_BareChild)(lambda constraint: ExpTransform())


@pytest.mark.parametrize("child", [_NotIterable(), object()], ids=["type", "value"])
def test_support_that_does_not_flatten(child):
    # a support that is not a well-formed pytree has no bounds to read: the
    # model is initialized as before, and not replayed
    def model():
        numpyro.sample("x", dist.ImproperUniform(_BareChild(child), (), ()))

    model_info = initialize_model(random.key(0), model)
    assert model_info.param_info.z["x"].shape == ()
    substituted = handlers.substitute(handlers.seed(model, 0), data={"x": 0.5})
    assert not _get_model_transforms(substituted)[1]
