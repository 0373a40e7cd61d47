# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0

import pickle

from hypothesis import given, strategies as st
import numpy as np
from numpy.testing import assert_allclose
import pytest

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints as C
from numpyro_mixsupport.distributions.transforms import (
    ComposeTransform,
    IntervalUnionTransform,
    biject_to,
)

THREE_PIECES = C.union(C.less_than(-1.0), C.interval(0.0, 1.0), C.greater_than(3.0))

CASES = {
    "disjoint": C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0)),
    "unsorted": C._Union(
        [C.interval(5.0, 6.0), C.interval(-2.0, -1.0), C.interval(0.0, 1.0)]
    ),
    "overlapping": C._Union(
        [C.interval(0.0, 2.0), C.interval(1.0, 3.0), C.interval(5.0, 6.0)]
    ),
    "touching": C._Union(
        [C.interval(0.0, 1.0), C.interval(1.0, 2.0), C.interval(4.0, 5.0)]
    ),
    "nested": C._Union(
        [C.interval(0.0, 4.0), C.interval(1.0, 2.0), C.interval(6.0, 7.0)]
    ),
    "three_pieces_infinite_ends": THREE_PIECES,
    "lower_unbounded": C.union(C.less_than(0.0), C.interval(1.0, 2.0)),
    "upper_unbounded": C.union(C.interval(-3.0, -2.0), C.positive),
    "wide_gap": C.union(C.interval(0.0, 1.0), C.interval(1e6, 1e6 + 1.0)),
    "narrow_gap": C.union(C.interval(0.0, 1.0), C.interval(1.0 + 1e-9, 2.0)),
}


def _expected_pieces(constraint):
    parts = constraint.parts
    return [C._interval_span(p) for p in parts]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bijection(name):
    support = CASES[name]
    t = biject_to(support)
    assert isinstance(t, IntervalUnionTransform)
    x = jnp.linspace(-6.0, 6.0, 241)
    y = t(x)
    assert bool(support(y).all())
    # Strictly monotone, in the direction of ``sign``: injective.
    assert bool((t.sign * jnp.diff(y) > 0).all())
    assert_allclose(
        t.inv(y), x, rtol=1e-6, atol=1e-6 * max(1.0, float(jnp.abs(y).max()))
    )
    # Jacobian against autodiff.
    derivative = jax.vmap(jax.grad(t))(x)
    assert_allclose(
        t.log_abs_det_jacobian(x, y), jnp.log(jnp.abs(derivative)), atol=1e-6
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_piece_is_reached(name):
    support = CASES[name]
    t = biject_to(support)
    y = t(jnp.linspace(-40.0, 40.0, 20001))
    for lower, upper, _, _ in _expected_pieces(support):
        lo = -np.inf if lower is None else lower
        hi = np.inf if upper is None else upper
        assert bool(((y > lo) & (y < hi)).any()), (lower, upper)


def test_three_pieces_rays_translated_finite_piece_unit_length():
    support = C.union(C.less_than(-3.0), C.interval(0.0, 1e-4), C.greater_than(5.0))
    t = biject_to(support)
    # H is the real line: (-inf, 0] is the left ray shifted by -3, [0, 1] the
    # finite piece scaled to unit length, [1, inf) the right ray shifted by +4.
    x = jnp.array([-3.0, -0.5, 0.25, 0.75, 2.0])
    assert_allclose(t(x), [-6.0, -3.5, 0.25e-4, 0.75e-4, 6.0], rtol=1e-12)
    assert_allclose(t.inv(jnp.array([0.5e-4, 5.5])), [0.5, 1.5], rtol=1e-12)
    assert_allclose(
        t.log_abs_det_jacobian(x, t(x)), [0.0, 0.0, np.log(1e-4), np.log(1e-4), 0.0]
    )
    # A point of a gap goes to the end of the piece below it.
    assert_allclose(t.inv(jnp.array([2.0, -1.0])), [1.0, 0.0])


@pytest.mark.parametrize("width", [1e-1, 1e-3, 1e-6, 1e3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pulled_back_density_has_no_barrier(width, dtype):
    # 0.5 U(0, w) + 0.5 U(1, 2) pulled back to the real line is
    # sigma(x) (1 - sigma(x)), whatever w: no barrier between the pieces.
    if width < 1:
        first, second = (0.0, width), (1.0, 2.0)
    else:
        first, second = (0.0, 1.0), (2.0, 2.0 + width)
    support = C.union(C.interval(*first), C.interval(*second))
    t = biject_to(support)
    x = jnp.linspace(-10.0, 10.0, 401, dtype=dtype)
    y = t(x)
    widths = jnp.where(y <= first[1], first[1] - first[0], second[1] - second[0])
    log_density = jnp.log(0.5 / widths) + t.log_abs_det_jacobian(x, y)
    expected = jax.nn.log_sigmoid(x) + jax.nn.log_sigmoid(-x)
    tol = 1e-10 if dtype == np.float64 else 2e-4
    assert_allclose(log_density, expected, atol=tol)


def test_every_interval_gets_the_same_room():
    support = C.union(
        C.interval(1e4, 1e4 + 1e3), C.interval(0.0, 1.0), C.interval(5.0, 5.0 + 1e-6)
    )
    t = biject_to(support)
    # Sorted, the pieces take thirds of (0, 3) before the sigmoid.
    ends = jnp.array([0.0, 1.0, 5.0, 5.0 + 1e-6, 1e4, 1.1e4])
    s = 3 * jax.nn.sigmoid(t.inv(ends))
    assert_allclose(s, [0.0, 1.0, 1.0, 2.0, 2.0, 3.0], atol=1e-6)


def test_overlapping_intervals_share_room_by_the_uncovered_fraction():
    # [0, 2] and [1, 5]: the second interval is 3/4 uncovered, so the union is
    # (0, 1.75) in the collapsed coordinate, with slopes 2 and 4 per unit.
    t = biject_to(C.union(C.interval(0.0, 2.0), C.interval(1.0, 5.0)))
    y = jnp.array([1.0, 2.0, 3.0, 5.0])
    s = 1.75 * jax.nn.sigmoid(t.inv(y))
    assert_allclose(s, [0.5, 1.0, 1.25, 1.75], rtol=1e-6)
    # Nested and repeated intervals take no room of their own: the map is
    # NumPyro's map onto the interval that holds them.
    nested = biject_to(C._Union([C.interval(0.0, 3.0), C.interval(0.5, 1.0)]))
    repeated = biject_to(C._Union([C.interval(0.0, 3.0), C.interval(0.0, 3.0)]))
    plain = biject_to(C.interval(0.0, 3.0))
    x = jnp.linspace(-5.0, 5.0, 11)
    assert_allclose(nested(x), plain(x), rtol=1e-12)
    assert_allclose(repeated(x), plain(x), rtol=1e-12)
    assert_allclose(
        nested.log_abs_det_jacobian(x, nested(x)),
        plain.log_abs_det_jacobian(x, plain(x)),
        rtol=1e-10,
    )


def test_continuous_in_the_bounds_as_intervals_meet():
    x = jnp.linspace(-4.0, 4.0, 81)

    def f(b):
        return biject_to(C.union(C.interval(0.0, b), C.interval(1.0, 2.0)))(x)

    eps = 1e-7
    below, at, above = f(1.0 - eps), f(1.0), f(1.0 + eps)
    assert float(jnp.max(jnp.abs(below - at))) < 1e-5
    assert float(jnp.max(jnp.abs(above - at))) < 1e-5


def test_empty_traced_interval_takes_no_room():
    @jax.jit
    def f(a, x):
        return biject_to(C.union(C.interval(a, 0.0), C.interval(2.0, 3.0)))(x)

    y = f(1.0, jnp.linspace(-5.0, 5.0, 11))
    assert bool(((y >= 2.0) & (y <= 3.0)).all())


@pytest.mark.parametrize(
    "support, x, expected",
    [
        (C.union(C.interval(-3.0, -2.0), C.positive), 1e3, np.inf),
        (C.union(C.interval(-3.0, -2.0), C.positive), np.inf, np.inf),
        (C.union(C.less_than(-3.0), C.positive), np.inf, np.inf),
        (C.union(C.less_than(-3.0), C.positive), -np.inf, -np.inf),
        (C.union(C.less_than(-3.0), C.interval(0.0, 1.0)), 1e3, -np.inf),
        (C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0)), np.inf, 3.0),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_infinite_and_overflowing_inputs(support, x, expected, dtype):
    t = biject_to(support)
    y = t(jnp.asarray(x, dtype))
    assert not bool(jnp.isnan(y))
    assert_allclose(y, expected, rtol=1e-6)
    # as NumPyro's own transform onto a ray does
    assert jnp.isinf(biject_to(C.positive)(jnp.asarray(1e3, dtype)))


def test_float32_overflow_is_inf_not_nan():
    t = biject_to(C.union(C.interval(-3.0, -2.0), C.positive))
    y = t(jnp.float32(89.0))
    assert y.dtype == jnp.float32 and bool(jnp.isposinf(y))


def test_no_nan_gradient():
    support = C.union(C.less_than(-3.0), C.interval(0.0, 1e-4), C.greater_than(5.0))
    t = biject_to(support)
    x = jnp.linspace(-50.0, 50.0, 101)
    grad = jax.vmap(jax.grad(lambda v: t.log_abs_det_jacobian(v, t(v)) + t(v)))(x)
    assert bool(jnp.isfinite(grad).all())


def _interval_parts(draw, dtype):
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(["interval", "open_interval", "greater_than", "less_than"])
        )
        a = draw(st.floats(-30, 30))
        width = draw(st.floats(0.05, 10))
        if kind == "greater_than":
            parts.append(C.greater_than(np.asarray(a, dtype)))
        elif kind == "less_than":
            parts.append(C.less_than(np.asarray(a, dtype)))
        else:
            lower, upper = np.asarray(a, dtype), np.asarray(a + width, dtype)
            parts.append(getattr(C, kind)(lower, upper))
    return parts


@st.composite
def unions(draw, dtype):
    return C._Union(_interval_parts(draw, dtype))


def _tolerance(dtype):
    return 1e-6 if dtype == np.float64 else 2e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_random_unions_round_trip_and_jacobian(dtype, data):
    support = data.draw(unions(dtype))
    t = IntervalUnionTransform(support)
    x = jnp.asarray(
        data.draw(st.lists(st.floats(-4, 4), min_size=1, max_size=8)), dtype
    )
    y = t(x)
    assert y.dtype == dtype
    assert bool(support(y).all()), (support, x, y)
    assert bool(jnp.isfinite(y).all())
    tol = _tolerance(dtype)
    scale = max(1.0, float(jnp.abs(y).max()))
    assert_allclose(t.inv(y), x, rtol=tol, atol=tol * scale)
    derivative = jax.vmap(jax.grad(t))(x)
    assert_allclose(
        t.log_abs_det_jacobian(x, y),
        jnp.log(jnp.abs(derivative)),
        rtol=tol,
        atol=tol * 10,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_random_unions_inverse_of_union_points(dtype, data):
    support = data.draw(unions(dtype))
    t = IntervalUnionTransform(support)
    points = []
    for part in support.parts:
        lower, upper, _, _ = C._interval_span(part)
        lo = float(upper) - 20 if lower is None else float(lower)
        hi = float(lower) + 20 if upper is None else float(upper)
        u = data.draw(st.floats(0.05, 0.95))
        points.append(lo + u * (hi - lo))
    y = jnp.asarray(points, dtype)
    x = t.inv(y)
    assert bool(jnp.isfinite(x).all())
    assert bool(support(t(x)).all())
    tol = _tolerance(dtype)
    # Seams excepted (the upper end of one piece and the lower end of the next
    # are one point of the real line), T(T^-1(y)) = y.
    assert_allclose(t(x), y, rtol=tol, atol=tol * max(1.0, float(jnp.abs(y).max())))


@pytest.mark.parametrize(
    "support, expected",
    [
        (C.union(C.positive, C.greater_than(-1.0)), C.greater_than(-1.0)),
        (C.union(C.less_than(2.0), C.less_than_eq(1.0)), C.less_than(2.0)),
        (C.union(C.positive, C.nonnegative), C.positive),
    ],
)
def test_union_of_rays_is_numpyro_transform(support, expected):
    t = biject_to(support)
    assert isinstance(t, ComposeTransform)
    x = jnp.linspace(-3.0, 3.0, 7)
    assert_allclose(t(x), biject_to(expected)(x))


def test_traced_batched_bounds_under_jit_vmap_grad():
    def f(b, c, x):
        t = biject_to(C.union(C.interval(0.0, b), C.interval(c, c + 1.0)))
        return t(x)

    y = jax.jit(f)(1.0, 2.0, jnp.array([-2.0, 0.0, 2.0]))
    assert bool(C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))(y).all())
    x = jnp.array([-2.0, 0.5, 2.0])
    grads = jax.grad(lambda b, c: f(b, c, x).sum(), (0, 1))(1.5, 2.0)
    # Exact derivative: s = 2 sigmoid(x); y = b s on the first piece (s < 1),
    # y = c + (s - 1) on the second.
    s = 2.0 * jax.nn.sigmoid(x)
    assert_allclose(grads[0], jnp.where(s < 1.0, s, 0.0).sum(), rtol=1e-10)
    assert_allclose(grads[1], (s >= 1.0).sum(), rtol=1e-10)
    # and of the log-Jacobian: log(b) on the first piece
    log_det_grad = jax.grad(
        lambda b: (
            biject_to(C.union(C.interval(0.0, b), C.interval(3.0, 4.0)))
            .log_abs_det_jacobian(x, f(b, 3.0, x))
            .sum()
        )
    )(1.5)
    assert_allclose(log_det_grad, (s < 1.0).sum() / 1.5, rtol=1e-10)

    bs = jnp.array([0.5, 1.0, 2.0])
    cs = jnp.array([1.0, 3.0, 2.5])
    x = jnp.linspace(-3.0, 3.0, 7)
    out = jax.vmap(lambda b, c: f(b, c, x))(bs, cs)
    assert out.shape == (3, 7)
    for b, c, row in zip(bs, cs, out):
        assert bool(C.union(C.interval(0.0, b), C.interval(c, c + 1.0))(row).all())


def test_batched_bounds_and_shapes():
    low = jnp.array([2.0, 3.0, 4.0])
    t = biject_to(C.union(C.interval(0.0, 1.0), C.interval(low, low + 1.0)))
    assert t.forward_shape((5, 1)) == (5, 3)
    assert t.inverse_shape((3,)) == (3,)
    x = jnp.linspace(-3, 3, 15).reshape(5, 3)
    y = t(x)
    assert y.shape == (5, 3)
    assert bool(t.codomain(y).all())
    assert_allclose(t.inv(y), x, atol=1e-6)


def test_attributes_eq_pytree_pickle():
    support = CASES["disjoint"]
    t = biject_to(support)
    assert t.domain is C.real and t.codomain is support and t.sign == 1
    assert biject_to(CASES["lower_unbounded"]).sign == -1
    assert t == biject_to(C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0)))
    assert t != biject_to(C.union(C.interval(0.0, 1.0), C.interval(2.0, 4.0)))
    leaves, treedef = jax.tree.flatten(t)
    assert leaves == [0.0, 1.0, 2.0, 3.0]
    assert jax.tree.unflatten(treedef, leaves) == t
    assert pickle.loads(pickle.dumps(t)) == t
    assert t.inv.inv is t
    assert_allclose(t.inv(t(jnp.array(0.3))), 0.3, rtol=1e-6)


@pytest.mark.parametrize(
    "support, match",
    [
        (C.union(C.simplex, C.sphere), "Simplex.*Sphere"),
        (
            C.union(C.integer_interval(0, 1), C.integer_interval(3, 4)),
            "IntegerInterval",
        ),
        (
            C.union(
                C.independent(C.interval(0.0, 1.0), 1), C.independent(C.positive, 1)
            ),
            "IndependentConstraint",
        ),
    ],
)
def test_not_implemented_for_non_interval_parts(support, match):
    with pytest.raises(NotImplementedError, match=match):
        biject_to(support)


def test_nuts_visits_both_pieces_with_right_mass():
    support = C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))

    def model():
        x = numpyro.sample("x", dist.ImproperUniform(support, (), ()))
        numpyro.factor("weight", jnp.where(x < 1.5, jnp.log(0.3), jnp.log(0.7)))

    mcmc = MCMC(
        NUTS(model),
        num_warmup=1000,
        num_samples=2000,
        num_chains=4,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(0))
    x = mcmc.get_samples()["x"]
    assert x.shape == (8000,)
    assert bool(support(x).all())
    assert abs(float((x > 2.0).mean()) - 0.7) < 0.03
    # Uniform within each piece.
    assert abs(float(jnp.mean(x[x < 1.5])) - 0.5) < 0.03
    assert abs(float(jnp.mean(x[x > 1.5])) - 2.5) < 0.03
