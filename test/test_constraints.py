# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0

import pickle

import numpy as np
from numpy.testing import assert_array_equal
import pytest

import jax
import jax.numpy as jnp

import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints

C = constraints


def test_check_is_or_of_parts():
    c = C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))
    x = jnp.array([-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    expected = [False, True, True, True, False, True, True, True, False]
    assert_array_equal(c(x), expected)
    assert_array_equal(c.check(np.asarray(x)), expected)


@pytest.mark.parametrize(
    "parts, expected",
    [
        ((C.real, C.positive), C.real),
        ((C.positive, C.real), C.real),
        ((C.interval(0.0, 1.0), C.real, C.greater_than(2.0)), C.real),
        ((C.positive, C.positive), C.positive),
        ((C.unit_interval, C.unit_interval), C.unit_interval),
        ((C.interval(0.0, 1.0), C.interval(0, 1)), C.interval(0.0, 1.0)),
        ((C.nonnegative_integer, C.nonnegative_integer), C.nonnegative_integer),
        ((C.simplex, C.simplex), C.simplex),
        ((C.real_vector, C.independent(C.positive, 1)), C.real_vector),
        ((C.simplex, C.real_vector), C.real_vector),
    ],
)
def test_simplifies_to_single_constraint(parts, expected):
    result = C.union(*parts)
    assert type(result) is type(expected)
    assert result == expected


def test_single_part_is_returned_as_is():
    part = C.interval(0.0, 1.0)
    assert C.union(part) is part
    assert C.union(part, C.interval(0.0, 1.0)) is part
    assert C.union(C.positive, C.positive) is C.positive


@pytest.mark.parametrize(
    "parts, num_parts",
    [
        ((C.interval(0.0, 1.0), C.interval(2.0, 3.0)), 2),
        # Overlapping and touching intervals are not merged: that would depend on
        # the values of the bounds.
        ((C.interval(0.0, 1.0), C.interval(0.5, 3.0)), 2),
        ((C.interval(0.0, 1.0), C.interval(1.0, 2.0)), 2),
        ((C.positive, C.greater_than(-1.0)), 2),
        # NumPyro's eq does not tell these apart; the union does.
        ((C.positive, C.nonnegative), 2),
        ((C.greater_than(0.0), C.greater_than_eq(0.0)), 2),
        ((C.integer_interval(0, 1), C.integer_interval(3, 4)), 2),
        ((C.less_than(-1.0), C.interval(0.0, 1.0), C.greater_than(3.0)), 3),
        ((C.simplex, C.sphere), 2),
    ],
)
def test_stays_a_union(parts, num_parts):
    result = C.union(*parts)
    assert isinstance(result, C._Union)
    assert len(result.parts) == num_parts
    assert result.parts == tuple(parts)


def test_nested_unions_flatten_in_order():
    a, b, c = C.interval(4.0, 5.0), C.interval(0.0, 1.0), C.interval(2.0, 3.0)
    result = C.union(C.union(a, b), c)
    assert result.parts == (a, b, c)
    assert result == C.union(a, C.union(b, c))
    assert result != C.union(c, b, a)
    assert result != C.union(a, b)


def _structure(constraint):
    leaves, treedef = jax.tree.flatten(constraint)
    return treedef, len(leaves)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: C.union(C.interval(a, 1.0), C.interval(0.5, 3.0)),
        lambda a: C.union(C.interval(0.0, a), C.interval(0.0, 1.0)),
        lambda a: C.union(C.greater_than(a), C.positive),
        lambda a: C.union(C.interval(a, a + 1.0), C.interval(2.0, 3.0)),
    ],
)
def test_structure_does_not_depend_on_tracing(make):
    eager = make(0.0)
    eager_array = make(jnp.array(0.0))
    seen = []

    @jax.jit
    def traced(a):
        seen.append(_structure(make(a)))
        return 0.0

    traced(0.0)
    batched = []
    jax.vmap(lambda a: batched.append(_structure(make(a))) or a)(jnp.zeros(3))
    assert _structure(eager) == _structure(eager_array) == seen[0] == batched[0]


def test_batched_bounds():
    low = np.array([0.5, 1.5, 0.9])
    u = C.union(C.interval(np.zeros(3), 1.0), C.interval(low, 2.0))
    assert isinstance(u, C._Union)
    assert_array_equal(u(jnp.array([1.2, 1.2, 1.2])), [True, False, True])
    assert_array_equal(u(jnp.array([[3.0], [0.0]])), [[False] * 3, [True] * 3])


def test_traced_bounds():
    @jax.jit
    def f(b, c, x):
        u = C.union(C.interval(0.0, b), C.interval(c, c + 1.0))
        assert isinstance(u, C._Union) and len(u.parts) == 2
        return u(x)

    assert_array_equal(f(2.0, 1.0, jnp.array([0.5, 1.5, 2.5])), [True, True, False])
    assert_array_equal(f(0.5, 2.0, jnp.array([0.7, 2.5, 3.5])), [False, True, False])


def test_pytree_bounds_are_data_and_jit_does_not_retrace():
    traces = []

    @jax.jit
    def f(u, x):
        traces.append(None)
        return u(x)

    for b in [1.0, 1.5, 2.0]:
        u = C.union(C.interval(0.0, b), C.interval(3.0, 4.0))
        assert bool(f(u, 0.5 * (b + 1.0))) == (0.5 * (b + 1.0) <= b)
    assert len(traces) == 1
    leaves, treedef = jax.tree.flatten(
        C.union(C.interval(0.0, 1.0), C.greater_than(3.0))
    )
    assert leaves == [0.0, 1.0, 3.0]
    rebuilt = jax.tree.unflatten(treedef, [0.0, 2.0, 5.0])
    assert rebuilt == C._Union([C.interval(0.0, 2.0), C.greater_than(5.0)])


def test_vmap_over_union_bounds():
    def check(b, x):
        return C.union(C.interval(0.0, b), C.interval(3.0, 4.0))(x)

    out = jax.vmap(check)(jnp.array([1.0, 2.0, 3.0]), jnp.array([1.5, 1.5, 3.5]))
    assert_array_equal(out, [False, True, True])


def test_attributes_and_feasible_like():
    u = C.union(C.interval(0.0, 1.0), C.greater_than(2.0))
    assert u.event_dim == 0 and not u.is_discrete
    assert bool(u(u.feasible_like(jnp.zeros(3))).all())
    d = C.union(C.integer_interval(0, 1), C.integer_interval(5, 6))
    assert d.is_discrete
    assert bool(d(d.feasible_like(jnp.zeros(2))).all())
    v = C.union(C.simplex, C.sphere)
    assert v.event_dim == 1
    assert_array_equal(
        v(jnp.array([[0.5, 0.5], [0.6, 0.8], [0.6, 0.6]])), [True, True, False]
    )
    assert bool(v(v.feasible_like(jnp.zeros((2, 3)))).all())


def test_repr():
    u = C.union(C.interval(0.0, 1.0), C.greater_than(2.0))
    assert repr(u) == (
        "Union(Interval(lower_bound=0.0, upper_bound=1.0), GreaterThan(lower_bound=2.0))"
    )


def test_eq_static_and_traced():
    a = C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))
    b = C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))
    assert a == b and a.eq(b, static=True)
    assert a != C.union(C.interval(0.0, 1.0), C.interval(2.0, 4.0))
    assert a != C.interval(0.0, 3.0)
    x = C.union(C.interval(jnp.array(0.0), 1.0), C.interval(2.0, 3.0))
    y = C.union(C.interval(jnp.array(0.0), 1.0), C.interval(2.0, 3.0))
    assert bool(x.eq(y))
    assert not bool(
        x.eq(C.union(C.interval(jnp.array(0.5), 1.0), C.interval(2.0, 3.0)))
    )


def test_pickle():
    u = C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))
    assert pickle.loads(pickle.dumps(u)) == u


@pytest.mark.parametrize(
    "parts, error, match",
    [
        ((), ValueError, "at least one"),
        ((1.0,), TypeError, "Constraint objects, got 1.0 of type float"),
        ((C.real, "positive"), TypeError, "type str"),
        ((C.real, C.real_vector), ValueError, "share event_dim.*RealVector"),
        (
            (C.positive, C.nonnegative_integer),
            ValueError,
            "all discrete or all continuous",
        ),
        ((C.real, C.dependent), ValueError, "dependent"),
        (
            (C.interval(0.0, 1.0), C.interval(1.0, 0.0)),
            ValueError,
            r"empty interval Interval\(lower_bound=1.0, upper_bound=0.0\).*increasing",
        ),
        ((C.open_interval(2.0, 2.0),), ValueError, "empty interval OpenInterval"),
        (
            (C.interval(np.array([0.0, 2.0]), np.array([1.0, 1.0])),),
            ValueError,
            "empty interval",
        ),
        ((C.integer_interval(3, 1), C.boolean), ValueError, "empty interval"),
    ],
)
def test_bad_input(parts, error, match):
    with pytest.raises(error, match=match):
        C.union(*parts)


def test_point_interval_and_traced_reversed_bounds_are_accepted():
    assert C.union(C.interval(1.0, 1.0), C.interval(2.0, 3.0))(jnp.array(1.0))
    # Traced bounds are not checked: they decide nothing.
    f = jax.jit(lambda a: C.union(C.interval(a, 0.0), C.interval(2.0, 3.0))(2.5))
    assert bool(f(1.0))


def test_vmap_over_union():
    from numpyro.distributions.batch_util import vmap_over

    u = C.union(C.interval(0.0, jnp.array([1.0, 2.0, 3.0])), C.interval(4.0, 5.0))
    axes = vmap_over(u, parts=[vmap_over(u.parts[0], upper_bound=0), None])
    inside = jax.vmap(lambda c, x: c(x), in_axes=(axes, 0))(u, jnp.array([1.5] * 3))
    assert_array_equal(inside, [False, True, True])
    t = dist.transforms.biject_to(u)
    t_axes = vmap_over(t, codomain=axes)
    y = jax.vmap(lambda t, x: t(x), in_axes=(t_axes, 0))(t, jnp.zeros(3))
    assert bool(u(y).all())
