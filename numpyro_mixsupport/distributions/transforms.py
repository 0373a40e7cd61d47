# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Transforms: NumPyro's, plus :class:`IntervalUnionTransform`, registered with
``biject_to`` for :func:`~numpyro_mixsupport.distributions.constraints.union`.

Patch module for ``numpyro/distributions/transforms.py``.
"""

import functools
from typing import Optional

import jax
from jax import lax
import jax.numpy as jnp

from numpyro._typing import NumLike, PyTree
from numpyro.distributions.constraints import Constraint
import numpyro.distributions.transforms as numpyro_transforms
from numpyro.distributions.transforms import *  # noqa: F403
from numpyro.distributions.transforms import (
    IdentityTransform,
    Transform,
    __all__ as _numpyro_all,
    biject_to,
)
import numpyro_mixsupport.distributions.constraints as constraints

__all__ = [*_numpyro_all, "IntervalUnionTransform"]
#: The package's module has every name of NumPyro's, private ones included.
__package_only__ = ("__getattr__",)


def __getattr__(name: str):
    return getattr(numpyro_transforms, name)


class IntervalUnionTransform(Transform[NumLike]):
    r"""
    Bijection from the real line onto a union of intervals, disjoint ones
    included: the transform that
    :func:`~numpyro.distributions.transforms.biject_to` returns for a
    :func:`~numpyro.distributions.constraints.union` of intervals.

    No continuous bijection maps the real line onto a disconnected set; this one
    is affine on each interval. Sort the finite intervals by lower end and let
    :math:`m_k` be the largest upper end up to the :math:`k`-th one, so that the
    union is the disjoint union of the segments :math:`[\max(l_k, m_{k-1}), m_k]`.
    The map :math:`c` *collapses* the gaps and gives segment :math:`k` the length
    :math:`L_k = (m_k - \max(l_k, m_{k-1})) / (u_k - l_k)` in the collapsed
    coordinate, the fraction of its interval that no earlier interval covers:
    disjoint intervals get length 1 each, whatever their widths. Rays
    :math:`(-\infty, a]` and :math:`[b, \infty)` are translated. :math:`c` maps
    the union onto one interval :math:`H`, and the transform is
    :math:`T = c^{-1} \circ B` with ``B = biject_to(H)``, so that

    .. math::

        \log|\det J_T(x)| = \log|\det J_B(x)| + \log(u_k - l_k)

    on segment :math:`k` (no second term on a ray). Every interval therefore
    takes the same room in the unconstrained space, and a density spread over
    intervals of very different widths has no barrier between them. The map is
    continuous in the bounds, which may be traced, batched arrays; overlapping,
    touching, nested, unsorted and empty intervals need no special case. Values
    that the union holds at an open end are kept off that end.

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
        if (
            codomain.is_discrete
            or codomain.event_dim != 0
            or any(span is None for span in spans)
        ):
            raise NotImplementedError(
                "IntervalUnionTransform needs continuous intervals of scalars, got "
                f"parts {', '.join(repr(p) for p in parts)}"
            )
        self._codomain = codomain

    @property
    def codomain(self) -> Constraint:
        return self._codomain

    def _spans(self) -> list:
        return [constraints._interval_span(p) for p in _union_parts(self._codomain)]

    @property
    def sign(self) -> int:
        # biject_to(less_than(u)) is decreasing; the collapse is increasing.
        low_open, high_open = _open_ends(self._spans())
        return -1 if low_open and not high_open else 1

    def _layout(self, dtype_like: NumLike) -> dict:
        # The collapse for the current bounds, computed at trace time where the
        # bounds are concrete.
        with jax.ensure_compile_time_eval():
            return _collapse_layout(self._spans(), dtype_like, self._bounds_shape())

    def __call__(self, x: NumLike) -> NumLike:
        layout = self._layout(x)
        s = jnp.asarray(layout["base"](x))
        return _expand(s, layout)

    def _inverse(self, y: NumLike) -> NumLike:
        layout = self._layout(y)
        s, _ = _collapse(y, layout)
        return layout["base"].inv(s)

    def log_abs_det_jacobian(
        self, x: NumLike, y: NumLike, intermediates: Optional[PyTree] = None
    ) -> NumLike:
        layout = self._layout(x)
        s, log_scale = _collapse(y, layout)
        return layout["base"].log_abs_det_jacobian(x, s) + log_scale

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return lax.broadcast_shapes(shape, self._bounds_shape())

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return lax.broadcast_shapes(shape, self._bounds_shape())

    def _bounds_shape(self) -> tuple[int, ...]:
        shapes = [
            jnp.shape(end)
            for span in self._spans()
            for end in span[:2]
            if end is not None
        ]
        return lax.broadcast_shapes(*shapes) if shapes else ()

    def tree_flatten(self):
        return (self._codomain,), (("_codomain",), dict())

    def eq(self, other: object, static: bool = False) -> NumLike:
        if not isinstance(other, IntervalUnionTransform):
            return False
        return self._codomain.eq(other._codomain, static=static)


def _open_ends(spans: list) -> tuple[bool, bool]:
    # Whether the union reaches -inf and +inf.
    return (
        any(span[0] is None for span in spans),
        any(span[1] is None for span in spans),
    )


def _is_static(value) -> bool:
    return not isinstance(value, jax.Array)


def _collapse_layout(spans: list, dtype_like: NumLike, shape: tuple) -> dict:
    """The pieces of the collapse: the rays ``(-inf, a]`` and ``[b, inf)``, and for
    each finite interval, sorted by lower end, its segment ``[lo, hi]`` (the part
    that no earlier interval or ray covers), its width, collapsed length and
    collapsed start, and whether the segment's ends are open; ``base`` is
    ``biject_to`` of the collapsed interval ``H``."""
    ends = [end for span in spans for end in span[:2] if end is not None]
    dtype = jnp.result_type(dtype_like, *ends, 0.0)
    inf = jnp.asarray(jnp.inf, dtype)

    def array(value):
        return jnp.broadcast_to(jnp.asarray(value, dtype), shape)

    low_open, high_open = _open_ends(spans)
    left = [span for span in spans if span[0] is None and span[1] is not None]
    right = [span for span in spans if span[1] is None and span[0] is not None]
    finite = [span for span in spans if all(end is not None for end in span[:2])]
    layout: dict = dict(low_open=low_open, high_open=high_open)
    if low_open and high_open and (not left or not right):
        # a part is the whole real line
        layout.update(identity=True, base=IdentityTransform())
        return layout
    layout["identity"] = False

    a = b = None
    if left:
        a = functools.reduce(jnp.maximum, [array(span[1]) for span in left])
        layout["a_open"] = ~functools.reduce(
            jnp.logical_or, [(array(span[1]) == a) & span[3] for span in left]
        )
    if right:
        b = functools.reduce(jnp.minimum, [array(span[0]) for span in right])
        if left:
            b = jnp.maximum(a, b)
        layout["b_open"] = ~functools.reduce(
            jnp.logical_or, [(array(span[0]) == b) & span[2] for span in right]
        )
    layout.update(a=a, b=b)

    if finite:
        if all(_is_static(end) and jnp.ndim(end) == 0 for s in finite for end in s[:2]):
            finite = sorted(finite, key=lambda span: float(span[0]))
            order = None
        else:
            order = jnp.argsort(
                jnp.stack([array(span[0]) for span in finite], axis=-1), axis=-1
            )

        def stack(values):
            stacked = jnp.stack([jnp.broadcast_to(v, shape) for v in values], -1)
            return stacked if order is None else jnp.take_along_axis(stacked, order, -1)

        lower = stack([array(span[0]) for span in finite])
        upper = stack([array(span[1]) for span in finite])
        lower_open = stack([jnp.asarray(not span[2]) for span in finite])
        upper_open = stack([jnp.asarray(not span[3]) for span in finite])
        # an interval whose bounds are reversed is empty
        upper = jnp.maximum(upper, lower)
        width = upper - lower
        clipped_lower = lower if a is None else jnp.maximum(lower, a[..., None])
        clipped_upper = upper if b is None else jnp.minimum(upper, b[..., None])
        start = -inf if a is None else a[..., None]
        covered = lax.cummax(
            jnp.concatenate(
                [jnp.broadcast_to(start, shape + (1,)), clipped_upper], axis=-1
            ),
            axis=len(shape),
        )
        previous, top = covered[..., :-1], covered[..., 1:]
        lo = jnp.maximum(clipped_lower, previous)
        length = jnp.maximum(top - lo, 0)
        positive = width > 0
        width_safe = jnp.where(positive, width, 1)
        collapsed = jnp.where(positive & (length > 0), length / width_safe, 0)
        total = jnp.sum(collapsed, axis=-1)
        layout.update(
            lo=lo,
            hi=lo + length,
            width=width_safe,
            log_width=jnp.log(width_safe),
            collapsed=collapsed,
            collapsed_start=jnp.cumsum(collapsed, axis=-1) - collapsed,
            lo_open=(lo <= lower) & lower_open,
            hi_open=(lo + length >= upper) & upper_open,
            total=total,
        )
    else:
        total = jnp.zeros(shape, dtype)
        layout["total"] = total

    if low_open and high_open:
        base = IdentityTransform()
    elif low_open:
        base = biject_to(constraints.less_than(total))
    elif high_open:
        base = biject_to(constraints.greater_than(jnp.zeros(shape, dtype)))
    else:
        base = biject_to(constraints.interval(jnp.zeros(shape, dtype), total))
    layout["base"] = base
    return layout


def _segment(positions: NumLike, starts: NumLike, layout: dict) -> NumLike:
    # The index of the last segment of positive length whose start is at most
    # the position (the first such segment where none is), and its fields.
    passed = (positions[..., None] >= starts) & (layout["collapsed"] > 0)
    count = passed.shape[-1]
    last = count - 1 - jnp.argmax(passed[..., ::-1], axis=-1)
    first = jnp.argmax(layout["collapsed"] > 0, axis=-1)
    index = jnp.where(jnp.any(passed, axis=-1), last, first)[..., None]
    shape = jnp.shape(passed)

    def pick(name):
        field = jnp.broadcast_to(layout[name], shape)
        return jnp.take_along_axis(field, index, axis=-1)[..., 0]

    return pick


def _nudge(
    y: NumLike,
    lower: Optional[NumLike],
    upper: Optional[NumLike],
    lower_open: NumLike = False,
    upper_open: NumLike = False,
) -> NumLike:
    # ``y`` clipped into [lower, upper] (None: no bound), off an open end by one
    # ulp; the correction is a few ulps and leaves the derivative alone.
    if lower is not None:
        lower = jnp.where(lower_open, _next(lower, 1), lower)
    if upper is not None:
        upper = jnp.where(upper_open, _next(upper, -1), upper)
    correction = jnp.where(jnp.isfinite(y), jnp.clip(y, lower, upper) - y, 0)
    return y + lax.stop_gradient(correction)


def _next(value: NumLike, direction: int) -> NumLike:
    # The next number in ``direction`` that is not subnormal (XLA may flush
    # subnormals to zero).
    value = lax.stop_gradient(value)
    tiny = jnp.finfo(value.dtype).tiny
    step = jnp.nextafter(value, direction * jnp.asarray(jnp.inf, value.dtype))
    return jnp.where(jnp.abs(value) < tiny, value + direction * tiny, step)


def _expand(s: NumLike, layout: dict) -> NumLike:
    # The inverse of the collapse: from the collapsed coordinate to the union.
    if layout["identity"]:
        return s
    y = None
    total = layout["total"]
    if "lo" in layout:
        pick = _segment(s, layout["collapsed_start"], layout)
        lo = pick("lo")
        y = lo + (s - pick("collapsed_start")) * pick("width")
        y = _nudge(y, lo, pick("hi"), pick("lo_open"), pick("hi_open"))
    if layout["high_open"]:
        b = layout["b"]
        ray = _nudge(b + (s - total), b, None, lower_open=layout["b_open"])
        y = ray if y is None else jnp.where(s >= total, ray, y)
    if layout["low_open"]:
        a = layout["a"]
        ray = _nudge(a + s, None, a, upper_open=layout["a_open"])
        y = ray if y is None else jnp.where(s <= 0, ray, y)
    return y


def _collapse(y: NumLike, layout: dict) -> tuple[NumLike, NumLike]:
    # The collapsed coordinate of ``y`` and log(dy/ds) there; a value in a gap
    # goes to the end of the segment below it.
    y = jnp.asarray(y)
    if layout["identity"]:
        return y, jnp.zeros(jnp.shape(y), y.dtype)
    s = log_scale = None
    if "lo" in layout:
        pick = _segment(y, layout["lo"], layout)
        lo = pick("lo")
        inside = jnp.minimum(y - lo, pick("hi") - lo)
        if layout["low_open"]:
            # between the left ray and the first segment
            inside = jnp.maximum(inside, 0)
        s = pick("collapsed_start") + inside / pick("width")
        log_scale = pick("log_width")
    if layout["high_open"]:
        b = layout["b"]
        on_ray = y >= b
        ray = layout["total"] + jnp.where(on_ray, y - b, 0)
        s = ray if s is None else jnp.where(on_ray, ray, s)
        log_scale = 0 if log_scale is None else jnp.where(on_ray, 0, log_scale)
    if layout["low_open"]:
        a = layout["a"]
        on_ray = y <= a
        ray = jnp.where(on_ray, y - a, 0)
        s = ray if s is None else jnp.where(on_ray, ray, s)
        log_scale = 0 if log_scale is None else jnp.where(on_ray, 0, log_scale)
    return s, jnp.broadcast_to(log_scale, jnp.shape(s))


def _union_parts(constraint: Constraint) -> tuple:
    if isinstance(constraint, constraints._Union):
        return constraint.parts
    return (constraint,)


def _extreme(values: list, largest: bool):
    # The largest or smallest of the bounds, a Python scalar where they all are.
    if all(_is_static(v) and jnp.ndim(v) == 0 for v in values):
        return max(values) if largest else min(values)
    return functools.reduce(jnp.maximum if largest else jnp.minimum, values)


@biject_to.register(constraints._Union)
def _transform_to_union(constraint: Constraint) -> Transform:
    spans = [constraints._interval_span(part) for part in constraint.parts]
    if not constraint.is_discrete and constraint.event_dim == 0:
        # A union of rays in one direction is a ray.
        if all(s is not None and s[0] is not None and s[1] is None for s in spans):
            lower = _extreme([s[0] for s in spans], largest=False)
            return biject_to(constraints.greater_than(lower))
        if all(s is not None and s[0] is None and s[1] is not None for s in spans):
            upper = _extreme([s[1] for s in spans], largest=True)
            return biject_to(constraints.less_than(upper))
    return IntervalUnionTransform(constraint)
