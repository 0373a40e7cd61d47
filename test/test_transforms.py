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


def test_three_pieces_is_a_translation_on_each_piece():
    t = biject_to(THREE_PIECES)
    # H is the real line: identity below -1, then [0, 1) and [3, inf) shifted.
    assert_allclose(
        t(jnp.array([-3.0, -1.5, -0.5, 0.5, 2.0])), [-3.0, -1.5, 0.5, 3.5, 5.0]
    )
    assert_allclose(t.inv(jnp.array([0.25, 3.5])), [-0.75, 0.5])
    # Points of a gap are projected onto its seam.
    assert_allclose(t.inv(jnp.array([2.0])), [0.0])
    # The seam point goes to the piece that holds it: 1 is in [0, 1], 3 is not in (3, inf).
    assert_allclose(t(jnp.array([0.0])), [1.0])


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


def test_union_of_intervals_simplifies_to_numpyro_transform():
    t = biject_to(C.union(C.positive, C.greater_than(-1.0)))
    assert isinstance(t, ComposeTransform)
    assert_allclose(t(0.0), 0.0)


def test_traced_batched_bounds_under_jit_vmap_grad():
    def f(b, c, x):
        t = biject_to(C.union(C.interval(0.0, b), C.interval(c, c + 1.0)))
        return t(x)

    y = jax.jit(f)(1.0, 2.0, jnp.array([-2.0, 0.0, 2.0]))
    assert bool(C.union(C.interval(0.0, 1.0), C.interval(2.0, 3.0))(y).all())
    grads = jax.grad(lambda b, c: f(b, c, jnp.array([-2.0, 0.5, 2.0])).sum(), (0, 1))(
        1.0, 2.0
    )
    assert all(bool(jnp.isfinite(g)) for g in grads)
    # Exact derivative: H = (0, b + 1) and the second piece is shifted by c - b.
    z = jax.nn.sigmoid(jnp.array([-2.0, 0.5, 2.0])) * 2.0
    d_db = jnp.where(z >= 1.0, z / 2.0 - 1.0, z / 2.0).sum()
    d_dc = (z >= 1.0).sum()
    assert_allclose(grads[0], d_db, rtol=1e-6)
    assert_allclose(grads[1], d_dc, rtol=1e-6)

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
