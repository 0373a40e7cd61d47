import numpy as np
import pytest

import jax
from jax import grad, jit, random, vmap
import jax.numpy as jnp

from numpyro.distributions import constraints
from numpyro.distributions.transforms import (
    ComposeTransform,
    IntervalUnionTransform,
    biject_to,
)


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.union(
            constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
        ),
        constraints.union(
            constraints.interval(5.0, 6.0),
            constraints.open_interval(-2.0, -1.0),
            constraints.interval(0.0, 1.0),
        ),
        constraints.union(
            constraints.interval(0.0, 2.0), constraints.interval(1.0, 3.0)
        ),
        constraints.union(
            constraints.interval(0.0, 4.0),
            constraints.interval(1.0, 2.0),
            constraints.interval(6.0, 7.0),
        ),
        constraints.union(
            constraints.interval(0.0, 1.0), constraints.interval(1.0, 2.0)
        ),
        constraints.union(
            constraints.less_than(-1.0),
            constraints.interval(0.0, 1.0),
            constraints.greater_than(3.0),
        ),
        constraints.union(constraints.less_than(0.0), constraints.interval(1.0, 2.0)),
        constraints.union(constraints.interval(-3.0, -2.0), constraints.positive),
        constraints.union(
            constraints.interval(0.0, 1e-3), constraints.interval(100.0, 200.0)
        ),
    ],
    ids=[
        "disjoint",
        "unsorted",
        "overlapping",
        "nested",
        "touching",
        "rays",
        "left_ray",
        "right_ray",
        "widths",
    ],
)
def test_interval_union_transform(constraint):
    transform = biject_to(constraint)
    assert isinstance(transform, IntervalUnionTransform)
    assert transform.domain is constraints.real
    assert transform.codomain is constraint

    x = jnp.linspace(-5.0, 5.0, 201)
    y = transform(x)
    assert constraint(y).all()
    # a bijection: strictly monotone, in the direction of its sign
    assert (transform.sign * jnp.diff(y) > 0).all()
    assert jnp.allclose(transform.inv(y), x, atol=1e-4)
    # every part of the union is reached
    for part in constraint.parts:
        assert part(transform(jnp.linspace(-20.0, 20.0, 4001))).any()

    log_abs_det_jacobian = transform.log_abs_det_jacobian(x, y)
    assert log_abs_det_jacobian.shape == x.shape
    derivative = vmap(grad(transform))(x)
    assert jnp.allclose(
        log_abs_det_jacobian, jnp.log(jnp.abs(derivative)), atol=1e-3, rtol=1e-4
    )
    assert jnp.all(jnp.sign(derivative) == transform.sign)


@pytest.mark.parametrize("width", [1e-3, 0.1, 10.0, 1e3])
def test_interval_union_transform_pieces_of_any_width(width):
    # 0.5 Uniform(0, width) + 0.5 Uniform(width + 1, width + 2) pulled back to the
    # real line is the logistic density, whatever the width: neither piece is
    # squeezed into a tail, and there is no barrier between them.
    constraint = constraints.union(
        constraints.interval(0.0, width), constraints.interval(width + 1, width + 2)
    )
    transform = biject_to(constraint)
    x = jnp.linspace(-8.0, 8.0, 161)
    y = transform(x)
    log_density = jnp.where(y <= width, jnp.log(0.5 / width), jnp.log(0.5))
    pulled_back = log_density + transform.log_abs_det_jacobian(x, y)
    expected = jax.nn.log_sigmoid(x) + jax.nn.log_sigmoid(-x)
    assert jnp.allclose(pulled_back, expected, atol=1e-3)


def test_interval_union_transform_traced_bounds():
    def constrain(upper, lower, x):
        constraint = constraints.union(
            constraints.interval(0.0, upper), constraints.interval(lower, lower + 1.0)
        )
        return biject_to(constraint)(x)

    x = jnp.linspace(-3.0, 3.0, 7)
    y = jit(constrain)(1.0, 2.0, x)
    assert jnp.allclose(y, constrain(1.0, 2.0, x))
    # batched bounds
    uppers = jnp.array([0.5, 1.0, 2.0])
    lowers = jnp.array([1.0, 3.0, 2.5])
    ys = vmap(constrain, in_axes=(0, 0, None))(uppers, lowers, x)
    assert ys.shape == (3, 7)
    for upper, lower, y in zip(uppers, lowers, ys):
        assert jnp.allclose(y, constrain(float(upper), float(lower), x))
        assert (((y >= 0) & (y <= upper)) | ((y >= lower) & (y <= lower + 1))).all()
    # the map is continuous and piecewise affine in the bounds: on the first
    # piece y = upper * s and on the second y = lower + s - 1, where
    # s = 2 sigmoid(x) is the collapsed coordinate
    s = 2 * jax.nn.sigmoid(x)
    d_upper, d_lower = grad(lambda u, v: constrain(u, v, x).sum(), (0, 1))(1.5, 2.0)
    assert jnp.allclose(d_upper, jnp.where(s < 1, s, 0).sum(), rtol=1e-5)
    assert jnp.allclose(d_lower, (s >= 1).sum(), rtol=1e-5)


def test_interval_union_transform_batched_bounds():
    lower = np.array([2.0, 3.0, 4.0])
    constraint = constraints.union(
        constraints.interval(0.0, 1.0), constraints.interval(lower, lower + 1.0)
    )
    transform = biject_to(constraint)
    assert transform.forward_shape((5, 1)) == (5, 3)
    assert transform.inverse_shape((3,)) == (3,)
    x = random.normal(random.key(0), (5, 3))
    y = transform(x)
    assert y.shape == (5, 3)
    assert constraint(y).all()
    assert jnp.allclose(transform.inv(y), x, atol=1e-5)
    assert transform.log_abs_det_jacobian(x, y).shape == (5, 3)


@pytest.mark.parametrize(
    "constraint, x, expected",
    [
        (
            constraints.union(
                constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
            ),
            [-np.inf, np.inf],
            [0.0, 3.0],
        ),
        (
            constraints.union(constraints.interval(-3.0, -2.0), constraints.positive),
            [-np.inf, 100.0, np.inf],
            [-3.0, np.inf, np.inf],
        ),
        (
            constraints.union(constraints.less_than(-3.0), constraints.positive),
            [-np.inf, np.inf],
            [-np.inf, np.inf],
        ),
    ],
)
def test_interval_union_transform_at_infinity(constraint, x, expected):
    y = biject_to(constraint)(jnp.array(x))
    assert not jnp.isnan(y).any()
    assert jnp.allclose(y, jnp.array(expected))


@pytest.mark.parametrize(
    "constraint, expected",
    [
        (
            constraints.union(constraints.positive, constraints.greater_than(-1.0)),
            constraints.greater_than(-1.0),
        ),
        (
            constraints.union(
                constraints.less_than(2.0), constraints.less_than_eq(1.0)
            ),
            constraints.less_than(2.0),
        ),
    ],
)
def test_biject_to_union_of_rays(constraint, expected):
    # a union of rays in one direction is a ray: NumPyro's usual transform
    transform = biject_to(constraint)
    assert isinstance(transform, ComposeTransform)
    x = jnp.linspace(-3.0, 3.0, 7)
    assert jnp.allclose(transform(x), biject_to(expected)(x))


@pytest.mark.parametrize(
    "constraint, match",
    [
        (
            constraints.union(
                constraints.integer_interval(0, 1), constraints.integer_interval(3, 4)
            ),
            "IntegerInterval",
        ),
        (
            constraints.union(
                constraints.independent(constraints.interval(0.0, 1.0), 1),
                constraints.independent(constraints.positive, 1),
            ),
            "IndependentConstraint",
        ),
        (constraints.union(constraints.simplex, constraints.sphere), "Simplex"),
    ],
)
def test_biject_to_union_not_implemented(constraint, match):
    with pytest.raises(NotImplementedError, match=match):
        biject_to(constraint)
