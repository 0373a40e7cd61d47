import numpy as np
import pytest

from jax import jit, vmap
import jax.numpy as jnp

from numpyro.distributions import constraints
from numpyro.distributions.batch_util import vmap_over


@pytest.mark.parametrize(
    "parts, value, expected",
    [
        (
            (constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)),
            [-0.5, 0.0, 0.5, 1.5, 2.0, 3.0, 3.5],
            [False, True, True, False, True, True, False],
        ),
        (
            (constraints.less_than(-1.0), constraints.greater_than_eq(1.0)),
            [-2.0, -1.0, 0.0, 1.0, 2.0],
            [True, False, False, True, True],
        ),
        (
            (constraints.open_interval(0.0, 1.0), constraints.positive),
            [-1.0, 0.0, 0.5, 1.0, 7.0],
            [False, False, True, True, True],
        ),
        (
            (constraints.integer_interval(0, 2), constraints.integer_greater_than(5)),
            [-1, 0, 2, 3, 5, 9],
            [False, True, True, False, True, True],
        ),
    ],
    ids=["disjoint", "rays", "overlapping", "integer"],
)
def test_union_check(parts, value, expected):
    union = constraints.union(*parts)
    assert jnp.array_equal(union.check(jnp.array(value)), jnp.array(expected))
    assert np.array_equal(union(np.array(value)), np.array(expected))
    assert union.event_dim == 0
    assert union.is_discrete == parts[0].is_discrete
    assert union.check(union.feasible_like(jnp.zeros(3))).all()


def test_union_check_event_dim():
    # an event is in the union when all its entries are in one part
    union = constraints.union(
        constraints.independent(constraints.interval(0.0, 1.0), 1),
        constraints.independent(constraints.interval(2.0, 3.0), 1),
    )
    assert union.event_dim == 1
    value = jnp.array([[0.5, 0.7], [2.5, 2.1], [0.5, 2.5]])
    assert union.check(value).tolist() == [True, True, False]


@pytest.mark.parametrize(
    "parts, expected",
    [
        ((constraints.positive,), constraints.positive),
        ((constraints.positive, constraints.positive), constraints.positive),
        ((constraints.positive, constraints.real), constraints.real),
        (
            (constraints.unit_interval, constraints.unit_interval),
            constraints.unit_interval,
        ),
        (
            (constraints.independent(constraints.positive, 1), constraints.real_vector),
            constraints.real_vector,
        ),
    ],
)
def test_union_simplifies_to_one_part(parts, expected):
    assert constraints.union(*parts) is expected


def test_union_parts():
    first = constraints.interval(0.0, 2.0)
    second = constraints.interval(1.0, 3.0)
    third = constraints.greater_than(5.0)
    # overlapping intervals stay separate parts, nested unions are flattened and
    # parts equal to an earlier one are dropped
    assert constraints.union(first, second).parts == (first, second)
    union = constraints.union(constraints.union(first, second), third, first)
    assert union.parts == (first, second, third)
    # an open and a closed end are different sets
    union = constraints.union(constraints.positive, constraints.nonnegative)
    assert len(union.parts) == 2
    assert repr(constraints.union(first, third)) == (
        "Union(Interval(lower_bound=0.0, upper_bound=2.0), GreaterThan(lower_bound=5.0))"
    )


@pytest.mark.parametrize(
    "parts, error, match",
    [
        ((), ValueError, "at least one constraint"),
        ((constraints.positive, 0.0), TypeError, "takes Constraint objects"),
        ((constraints.dependent,), ValueError, "dependent constraint"),
        ((constraints.positive, constraints.simplex), ValueError, "event_dim"),
        (
            (constraints.positive, constraints.nonnegative_integer),
            ValueError,
            "all discrete or all continuous",
        ),
        ((constraints.interval(1.0, 0.0),), ValueError, "empty interval"),
    ],
)
def test_union_invalid(parts, error, match):
    with pytest.raises(error, match=match):
        constraints.union(*parts)


def test_union_traced_bounds():
    # the parts depend on the types of the constraints, not on the values of
    # their bounds, so bounds may be traced
    @jit
    def check(upper, lower, x):
        union = constraints.union(
            constraints.interval(0.0, upper), constraints.interval(lower, 3.0)
        )
        assert len(union.parts) == 2
        return union(x)

    x = jnp.array([0.5, 1.5, 2.5, 3.5])
    assert check(1.0, 2.0, x).tolist() == [True, False, True, False]
    assert check(2.0, 1.0, x).tolist() == [True, True, True, False]


def test_union_batched_bounds():
    union = constraints.union(
        constraints.interval(np.array([0.0, 10.0]), np.array([1.0, 11.0])),
        constraints.greater_than(20.0),
    )
    value = jnp.array([[0.5, 0.5], [10.5, 10.5], [25.0, 25.0]])
    assert union(value).tolist() == [[True, False], [False, True], [True, True]]
    assert union.feasible_like(value).shape == value.shape
    assert union.check(union.feasible_like(value)).all()


def test_union_eq():
    first = constraints.interval(0.0, 1.0)
    second = constraints.interval(2.0, 3.0)
    union = constraints.union(first, second)
    assert union == constraints.union(constraints.interval(0.0, 1.0), second)
    assert union != constraints.union(first, constraints.interval(2.0, 4.0))
    assert union != constraints.union(first, constraints.greater_than(2.0))
    assert union != first

    @jit
    def eq(upper):
        return union.eq(constraints.union(constraints.interval(0.0, upper), second))

    assert eq(1.0)
    assert not eq(1.5)


def test_union_vmap_over():
    def make(lower):
        return constraints.union(
            constraints.interval(lower, 1.0), constraints.interval(2.0, 3.0)
        )

    prototype = make(0.0)
    axes = vmap_over(
        prototype, parts=[vmap_over(prototype.parts[0], lower_bound=0), None]
    )
    union = vmap(make, out_axes=axes)(jnp.array([0.0, 0.5]))
    assert union.parts[0].lower_bound.shape == (2,)
    assert jnp.shape(union.parts[1].lower_bound) == ()
    value = jnp.array([[0.25, 0.25], [2.5, 2.5]])
    assert union(value).tolist() == [[True, False], [True, True]]
