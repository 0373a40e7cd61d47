# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0

import pickle

import numpy as np
from numpy.testing import assert_array_equal
import pytest

import jax
import jax.numpy as jnp

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
        ((C.positive, C.interval(-1.0, 1.0)), C.greater_than_eq(-1.0)),
        ((C.positive, C.greater_than(-1.0)), C.greater_than(-1.0)),
        ((C.interval(0.0, 1.0), C.interval(1.0, 2.0)), C.interval(0.0, 2.0)),
        ((C.interval(0.0, 2.0), C.interval(0.5, 1.0)), C.interval(0.0, 2.0)),
        (
            (C.open_interval(0.0, 1.0), C.open_interval(0.5, 2.0)),
            C.open_interval(0.0, 2.0),
        ),
        ((C.less_than(1.0), C.greater_than(0.0)), C.real),
        ((C.less_than(0.0), C.interval(-1.0, 2.0)), C.less_than_eq(2.0)),
        ((C.less_than(0.0), C.open_interval(-1.0, 2.0)), C.less_than(2.0)),
        ((C.unit_interval, C.unit_interval), C.unit_interval),
        # NumPyro's eq does not tell these apart; the union does.
        ((C.positive, C.nonnegative), C.nonnegative),
        ((C.greater_than(0.0), C.greater_than_eq(0.0)), C.greater_than_eq(0.0)),
        (
            (C.integer_interval(0, 3), C.integer_interval(4, 6)),
            C.integer_interval(0, 6),
        ),
        (
            (C.nonnegative_integer, C.integer_interval(-3, -1)),
            C.integer_greater_than(-3),
        ),
        ((C.boolean, C.integer_interval(0, 5)), C.integer_interval(0, 5)),
        ((C.simplex, C.simplex), C.simplex),
        ((C.real_vector, C.independent(C.positive, 1)), C.real_vector),
    ],
)
def test_simplifies_to_single_constraint(parts, expected):
    result = C.union(*parts)
    assert type(result) is type(expected)
    assert result == expected


def test_single_part_is_returned_as_is():
    part = C.interval(0.0, 1.0)
    assert C.union(part) is part
    # The part that covers the others is kept, not rebuilt.
    assert C.union(C.interval(0.2, 0.3), part) is part
    assert C.union(C.positive, C.interval(1.0, 2.0)) is C.positive


@pytest.mark.parametrize(
    "parts, num_parts",
    [
        ((C.interval(0.0, 1.0), C.interval(2.0, 3.0)), 2),
        # An open end on both sides leaves the point 1 out.
        ((C.open_interval(0.0, 1.0), C.open_interval(1.0, 2.0)), 2),
        # (0, 1) with [1, 2] is (0, 2], which no NumPyro constraint describes.
        ((C.open_interval(0.0, 1.0), C.interval(1.0, 2.0)), 2),
        ((C.integer_interval(0, 1), C.integer_interval(3, 4)), 2),
        ((C.less_than(-1.0), C.interval(0.0, 1.0), C.greater_than(3.0)), 3),
        ((C.simplex, C.sphere), 2),
    ],
)
def test_stays_a_union(parts, num_parts):
    result = C.union(*parts)
    assert isinstance(result, C._Union)
    assert len(result.parts) == num_parts


def test_nested_unions_flatten_and_sort():
    a, b, c = C.interval(4.0, 5.0), C.interval(0.0, 1.0), C.interval(2.0, 3.0)
    result = C.union(C.union(a, b), c)
    assert result.parts == (b, c, a)
    assert result == C.union(c, b, a)
    assert result != C.union(a, b)


def test_batched_concrete_bounds_merge_only_where_everywhere_connected():
    low = np.array([0.5, 0.8, 0.9])
    merged = C.union(C.interval(np.zeros(3), 1.0), C.interval(low, 2.0))
    assert isinstance(merged, C._Interval)
    assert_array_equal(merged.lower_bound, np.zeros(3))
    assert merged.upper_bound == 2.0
    low = np.array([0.5, 1.5, 0.9])
    apart = C.union(C.interval(np.zeros(3), 1.0), C.interval(low, 2.0))
    assert isinstance(apart, C._Union)
    assert_array_equal(apart(jnp.array([1.2, 1.2, 1.2])), [True, False, True])


def test_traced_bounds_decide_nothing():
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
    ],
)
def test_bad_input(parts, error, match):
    with pytest.raises(error, match=match):
        C.union(*parts)
