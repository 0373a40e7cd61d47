# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Transforms: NumPyro's, plus :class:`IntervalUnionTransform`, registered with
``biject_to`` for :func:`~numpyro_mixsupport.distributions.constraints.union`.

Patch module for ``numpyro/distributions/transforms.py``.
"""

from typing import Optional

from jax import lax
import jax.numpy as jnp

from numpyro._typing import NumLike, PyTree
from numpyro.distributions.constraints import Constraint
from numpyro.distributions.transforms import *  # noqa: F403
from numpyro.distributions.transforms import (
    IdentityTransform,
    Transform,
    __all__ as _numpyro_all,
    biject_to,
)
import numpyro_mixsupport.distributions.constraints as constraints

__all__ = [*_numpyro_all, "IntervalUnionTransform"]


class IntervalUnionTransform(Transform[NumLike]):
    r"""
    Bijection from the real line onto a union of intervals, disjoint ones
    included: the transform that
    :func:`~numpyro.distributions.transforms.biject_to` returns for a
    :func:`~numpyro.distributions.constraints.union` of intervals.

    No continuous bijection maps the real line onto a disconnected set; this one
    is a translation on each interval. Let :math:`c` *collapse* the gaps, that is
    subtract from :math:`y` the total length of the gaps below it,

    .. math::

        c(y) = y - \sum_i \min\big(\max(y - m_{i-1}, 0),\, g_i\big),

    where, with the intervals :math:`(l_i, u_i)` sorted by lower end,
    :math:`m_i = \max_{j \le i} u_j` and :math:`g_i = \max(l_i - m_{i-1}, 0)`.
    :math:`c` maps the union onto one interval :math:`H` with unit Jacobian, and
    the transform is :math:`T = c^{-1} \circ B` with ``B = biject_to(H)``, so
    :math:`\log|\det J_T(x)| = \log|\det J_B(x)|`. Overlapping, touching, nested
    and unsorted intervals and infinite ends need no special case, and bounds may
    be traced, batched arrays. Where two intervals meet after collapsing, the
    upper end of the lower one and the lower end of the upper one are one point
    of the real line: it is sent to the upper interval when that interval holds
    its lower end, else to the lower one (so where both ends are open, that one
    point of the real line falls outside the union).

    :param codomain: a union of interval constraints (``real``, ``positive``,
        ``greater_than``, ``less_than``, ``interval``, ...) with ``event_dim`` 0.
    :raises NotImplementedError: if a part is not an interval of scalars, or the
        constraint is discrete.

    **Example**

    .. doctest::

       >>> import jax.numpy as jnp
       >>> from numpyro_mixsupport.distributions import constraints
       >>> from numpyro_mixsupport.distributions.transforms import biject_to
       >>> support = constraints.union(
       ...     constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
       ... )
       >>> t = biject_to(support)
       >>> y = t(jnp.array([-3.0, 0.0, 3.0]))
       >>> bool(support(y).all())
       True
       >>> bool(jnp.allclose(t.inv(y), jnp.array([-3.0, 0.0, 3.0]), atol=1e-5))
       True
    """

    domain = constraints.real

    def __init__(self, codomain: Constraint) -> None:
        parts = _union_parts(codomain)
        spans = [constraints._interval_span(part) for part in parts]
        if codomain.is_discrete or codomain.event_dim != 0 or None in spans:
            raise NotImplementedError(
                "IntervalUnionTransform needs continuous intervals of scalars, got "
                f"parts {', '.join(repr(p) for p in parts)}"
            )
        self._codomain = codomain

    @property
    def codomain(self) -> Constraint:
        return self._codomain

    @property
    def sign(self) -> int:
        # biject_to(less_than(u)) is decreasing; the collapse is increasing.
        spans = self._spans()
        low_open = any(span[0] is None for span in spans)
        high_open = any(span[1] is None for span in spans)
        return -1 if low_open and not high_open else 1

    def _spans(self) -> list:
        return [constraints._interval_span(p) for p in _union_parts(self._codomain)]

    def _layout(self, dtype_like: NumLike) -> dict:
        # For the current bounds: the pieces sorted by lower end, the running
        # maximum of their upper ends (the seams), the gaps, and the base
        # bijection onto the collapsed interval H.
        spans = self._spans()
        ends = [end for span in spans for end in span[:2] if end is not None]
        dtype = jnp.result_type(dtype_like, *ends)
        batch_shape = self._bounds_shape()

        def stack(index, fill):
            values = [fill if span[index] is None else span[index] for span in spans]
            return jnp.stack(
                [jnp.broadcast_to(jnp.asarray(v, dtype), batch_shape) for v in values],
                axis=-1,
            )

        def flags(index):
            return jnp.broadcast_to(
                jnp.array([span[index] for span in spans]), batch_shape + (len(spans),)
            )

        lower, upper = stack(0, -jnp.inf), stack(1, jnp.inf)
        lower_closed, upper_closed = flags(2), flags(3)
        order = jnp.argsort(lower, axis=-1)
        lower, upper, lower_closed, upper_closed = (
            jnp.take_along_axis(a, order, axis=-1)
            for a in (lower, upper, lower_closed, upper_closed)
        )
        running_max = lax.cummax(upper, axis=upper.ndim - 1)
        # Whether the union holds the seam: some piece up to k ends there, closed.
        n = len(spans)
        holds = (
            (upper[..., :, None] == running_max[..., None, :])
            & upper_closed[..., :, None]
            & jnp.tri(n, dtype=bool).T
        )
        seam_closed = jnp.any(holds, axis=-2)[..., :-1]
        seam = running_max[..., :-1]
        gap = jnp.maximum(lower[..., 1:] - seam, 0)
        gaps_below = jnp.cumsum(gap, axis=-1) - gap

        low_open = any(span[0] is None for span in spans)
        high_open = any(span[1] is None for span in spans)
        h_low = lower[..., 0]
        h_high = running_max[..., -1] - jnp.sum(gap, axis=-1)
        if low_open and high_open:
            base = IdentityTransform()
        elif low_open:
            base = biject_to(constraints.less_than(h_high))
        elif high_open:
            base = biject_to(constraints.greater_than(h_low))
        else:
            base = biject_to(constraints.interval(h_low, h_high))
        return dict(
            seam=seam,
            seam_closed=seam_closed,
            next_lower=lower[..., 1:],
            next_closed=lower_closed[..., 1:],
            gap=gap,
            gaps_below=gaps_below,
            base=base,
        )

    def _collapse(self, y: NumLike, layout: dict) -> NumLike:
        y = jnp.asarray(y)
        below = jnp.clip(y[..., None] - layout["seam"], 0, layout["gap"])
        return y - jnp.sum(below, axis=-1)

    def __call__(self, x: NumLike) -> NumLike:
        layout = self._layout(x)
        gap, seam, next_lower = layout["gap"], layout["seam"], layout["next_lower"]
        z = jnp.asarray(layout["base"](x))
        # z lies past the i-th gap once it reaches the collapsed seam position;
        # the seam point itself goes to the next piece when that piece holds its
        # lower end, else to the piece below.
        position = seam - layout["gaps_below"]
        zs = z[..., None]
        passed = jnp.where(layout["next_closed"], zs >= position, zs > position)
        y = z + jnp.sum(jnp.where(passed, gap, 0), axis=-1)
        # Keep y inside the piece it was sent to despite rounding, and off an end
        # that the union does not hold.
        is_gap = gap > 0
        floor = jnp.where(
            layout["next_closed"], next_lower, next_lower + _ulp(next_lower, 1)
        )
        ceiling = jnp.where(layout["seam_closed"], seam, seam - _ulp(seam, -1))
        floor = jnp.max(
            jnp.where(passed & is_gap, floor, -jnp.inf), axis=-1, initial=-jnp.inf
        )
        ceiling = jnp.min(
            jnp.where(~passed & is_gap, ceiling, jnp.inf), axis=-1, initial=jnp.inf
        )
        # The correction is a few ulps at most and leaves the derivative alone.
        return y + lax.stop_gradient(jnp.clip(y, floor, ceiling) - y)

    def _inverse(self, y: NumLike) -> NumLike:
        layout = self._layout(y)
        return layout["base"].inv(self._collapse(y, layout))

    def log_abs_det_jacobian(
        self, x: NumLike, y: NumLike, intermediates: Optional[PyTree] = None
    ) -> NumLike:
        layout = self._layout(x)
        return layout["base"].log_abs_det_jacobian(x, self._collapse(y, layout))

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return lax.broadcast_shapes(shape, self._bounds_shape())

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return lax.broadcast_shapes(shape, self._bounds_shape())

    def _bounds_shape(self) -> tuple[int, ...]:
        spans = self._spans()
        shapes = [
            jnp.shape(end) for span in spans for end in span[:2] if end is not None
        ]
        return lax.broadcast_shapes(*shapes) if shapes else ()

    def tree_flatten(self):
        return (self._codomain,), (("_codomain",), dict())

    def eq(self, other: object, static: bool = False) -> NumLike:
        if not isinstance(other, IntervalUnionTransform):
            return False
        return self._codomain.eq(other._codomain, static=static)


def _ulp(value: NumLike, direction: int) -> NumLike:
    # Distance to the next representable number in ``direction``; no gradient.
    value = lax.stop_gradient(value)
    return jnp.abs(jnp.nextafter(value, direction * jnp.inf) - value)


def _union_parts(constraint: Constraint) -> tuple:
    if isinstance(constraint, constraints._Union):
        return constraint.parts
    return (constraint,)


@biject_to.register(constraints._Union)
def _transform_to_union(constraint: Constraint) -> Transform:
    return IntervalUnionTransform(constraint)
