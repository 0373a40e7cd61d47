# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Constraints: NumPyro's, plus :func:`union`.

Patch module for ``numpyro/distributions/constraints.py``.
"""

from typing import Optional, Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from numpyro._typing import NumLike
from numpyro.distributions.constraints import *  # noqa: F403
from numpyro.distributions.constraints import (
    Constraint,
    ParameterFreeConstraint,  # noqa: F401
    __all__ as _numpyro_all,
    _Boolean,
    _GreaterThan,
    _GreaterThanEq,
    _IndependentConstraint,
    _IntegerGreaterThan,
    _IntegerInterval,
    _Interval,
    _LessThan,
    _LessThanEq,
    _OpenInterval,
    _Real,
    dependent_property,  # noqa: F401
    greater_than,
    greater_than_eq,
    independent,  # noqa: F401
    integer_greater_than,
    integer_interval,
    interval,
    is_dependent,
    less_than,
    less_than_eq,
    open_interval,
    positive_ordered_vector,  # noqa: F401
    real,
)

__all__ = [*_numpyro_all, "union"]


class _Union(Constraint[NumLike]):
    """
    The union of constraints that share ``event_dim`` and ``is_discrete``: a value
    satisfies it when it satisfies at least one of its parts.

    Build it with :func:`union`, which simplifies what can be decided statically.
    """

    def __init__(self, parts: Sequence[Constraint]) -> None:
        self.parts = tuple(parts)

    @property
    def is_discrete(self) -> bool:
        return self.parts[0].is_discrete

    @property
    def event_dim(self) -> int:
        return self.parts[0].event_dim

    def __call__(self, x: NumLike) -> ArrayLike:
        if not isinstance(x, jax.Array) and any(
            isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(self.parts)
        ):
            # NumPyro's interval checks take the NumPy path for a NumPy value.
            x = jnp.asarray(x)
        result = self.parts[0](x)
        for part in self.parts[1:]:
            result = result | part(x)
        return result

    def __repr__(self) -> str:
        return "{}({})".format(
            self.__class__.__name__[1:], ", ".join(repr(p) for p in self.parts)
        )

    def feasible_like(self, prototype: NumLike) -> NumLike:
        return self.parts[0].feasible_like(prototype)

    def tree_flatten(self):
        return (self.parts,), (("parts",), dict())

    def eq(self, other: object, static: bool = False) -> ArrayLike:
        if not isinstance(other, _Union) or len(self.parts) != len(other.parts):
            return False
        if static:
            return all(a.eq(b, static=True) for a, b in zip(self.parts, other.parts))
        result = jnp.array(True)
        for a, b in zip(self.parts, other.parts):
            result = result & a.eq(b, static=False)
        return result


def _same_constraint(a: Constraint, b: Constraint) -> bool:
    # Statically the same set. ``eq`` alone does not tell open from closed ends
    # (``positive.eq(greater_than_eq(0.0))`` holds), so the types must match too.
    return a is b or (type(a) is type(b) and bool(a.eq(b, static=True)))


def _is_concrete(value: ArrayLike) -> bool:
    return not isinstance(value, jax.core.Tracer)


def _finite_end(value: ArrayLike) -> Optional[ArrayLike]:
    # An end whose value is known to be infinite everywhere is reported as None,
    # the same as the open end of ``greater_than`` or ``less_than``.
    if _is_concrete(value) and np.all(np.isinf(np.asarray(value))):
        return None
    return value


def _interval_span(constraint: Constraint) -> Optional[tuple]:
    """
    The interval a constraint describes, as ``(lower, upper, lower_closed,
    upper_closed)`` with ``None`` for an infinite end, or ``None`` when the
    constraint is not an interval of scalars (for integer constraints, the
    integers in that interval).
    """
    if isinstance(constraint, _Real):
        return None, None, False, False
    if isinstance(constraint, _GreaterThanEq):
        return _finite_end(constraint.lower_bound), None, True, False
    if isinstance(constraint, _GreaterThan):
        return _finite_end(constraint.lower_bound), None, False, False
    if isinstance(constraint, _LessThanEq):
        return None, _finite_end(constraint.upper_bound), False, True
    if isinstance(constraint, _LessThan):
        return None, _finite_end(constraint.upper_bound), False, False
    if isinstance(constraint, _OpenInterval):
        lower, upper = constraint.lower_bound, constraint.upper_bound
        return _finite_end(lower), _finite_end(upper), False, False
    if isinstance(constraint, (_Interval, _IntegerInterval)):
        lower, upper = constraint.lower_bound, constraint.upper_bound
        return _finite_end(lower), _finite_end(upper), True, True
    if isinstance(constraint, _IntegerGreaterThan):
        return constraint.lower_bound, None, True, False
    if isinstance(constraint, _Boolean):
        return 0, 1, True, True
    return None


def _span_is_concrete(span: tuple) -> bool:
    return all(end is None or _is_concrete(end) for end in span[:2])


def _constraint_from_span(span: tuple, is_discrete: bool) -> Optional[Constraint]:
    lower, upper, lower_closed, upper_closed = span
    if is_discrete:
        if lower is None:
            return None
        if upper is None:
            return integer_greater_than(lower)
        return integer_interval(lower, upper)
    if lower is None and upper is None:
        return real
    if upper is None:
        return greater_than_eq(lower) if lower_closed else greater_than(lower)
    if lower is None:
        return less_than_eq(upper) if upper_closed else less_than(upper)
    if lower_closed and upper_closed:
        return interval(lower, upper)
    if not (lower_closed or upper_closed):
        return open_interval(lower, upper)
    return None


def _pick_end(a: Optional[ArrayLike], b: Optional[ArrayLike], take_min: bool):
    # The merged end, reusing one of the given objects where one of them wins
    # everywhere so that Python scalars and dtypes are kept.
    if a is None or b is None:
        return None
    na, nb = np.asarray(a), np.asarray(b)
    if np.all(na <= nb):
        return a if take_min else b
    if np.all(nb <= na):
        return b if take_min else a
    return np.minimum(na, nb) if take_min else np.maximum(na, nb)


def _end_closedness(a, b, closed_a, closed_b, pick_a_when):
    # Closedness of the merged end: that of the end which is kept, both when they
    # tie. ``None`` when it differs across the batch.
    if a is None or b is None:
        return False
    na, nb = np.asarray(a), np.asarray(b)
    closed = np.where(
        pick_a_when(na, nb),
        closed_a,
        np.where(pick_a_when(nb, na), closed_b, closed_a or closed_b),
    )
    if np.all(closed):
        return True
    if not np.any(closed):
        return False
    return None


def _merge_spans(a: tuple, b: tuple, is_discrete: bool) -> Optional[tuple]:
    """The union of two intervals when it is one interval everywhere, else None."""
    (la, ua, lca, uca), (lb, ub, lcb, ucb) = a, b
    inf = np.inf
    nla, nlb = (np.asarray(-inf if v is None else v, dtype=float) for v in (la, lb))
    nua, nub = (np.asarray(inf if v is None else v, dtype=float) for v in (ua, ub))
    if is_discrete:
        connected = (nlb <= nua + 1) & (nla <= nub + 1)
    else:
        connected = ((nlb < nua) | ((nlb == nua) & (lcb or uca))) & (
            (nla < nub) | ((nla == nub) & (lca or ucb))
        )
    if not np.all(connected):
        return None
    lower_closed = _end_closedness(la, lb, lca, lcb, np.less)
    upper_closed = _end_closedness(ua, ub, uca, ucb, np.greater)
    if lower_closed is None or upper_closed is None:
        return None
    lower = _pick_end(la, lb, take_min=True)
    upper = _pick_end(ua, ub, take_min=False)
    return lower, upper, lower_closed, upper_closed


def _merge_intervals(parts: list, is_discrete: bool) -> list:
    # ``parts`` holds (constraint, span) pairs with concrete bounds; returns the
    # pairs of the merged intervals. A merged constraint is built only where no
    # part already is that interval.
    def merge(item_a, item_b):
        span = _merge_spans(item_a[1], item_b[1], is_discrete)
        if span is None:
            return None
        for constraint, original in (item_a, item_b):
            if all(x is y for x, y in zip(span, original)):
                return constraint, original
        constraint = _constraint_from_span(span, is_discrete)
        return None if constraint is None else (constraint, span)

    if all(np.ndim(end) == 0 for _, span in parts for end in span[:2]):
        # Scalar bounds: sort by lower end (closed ends first) and sweep.
        def key(item):
            lower, _, lower_closed, _ = item[1]
            return (-np.inf if lower is None else float(lower), not lower_closed)

        merged = []
        for item in sorted(parts, key=key):
            combined = merge(merged[-1], item) if merged else None
            if combined is None:
                merged.append(item)
            else:
                merged[-1] = combined
        return merged

    merged = list(parts)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                combined = merge(merged[i], merged[j])
                if combined is not None:
                    merged[i] = combined
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def union(*parts: Constraint) -> Constraint:
    r"""
    The union of constraints: a value satisfies it when it satisfies at least one
    of ``parts``. Parts must share ``event_dim`` and be all discrete or all
    continuous.

    What can be decided statically is simplified: nested unions are flattened,
    duplicates dropped, a union holding :data:`real` is :data:`real`, intervals
    with concrete bounds that overlap or touch are merged, and a union left with a
    single part is that part. Bounds that are traced arrays decide nothing, and
    the result stays a union.

    :func:`~numpyro.distributions.transforms.biject_to` maps the real line onto a
    union of intervals (see
    :class:`~numpyro.distributions.transforms.IntervalUnionTransform`), disjoint
    ones included.

    :param parts: the constraints to join.
    :return: the (simplified) union constraint.
    :raises TypeError: if a part is not a
        :class:`~numpyro.distributions.constraints.Constraint`.
    :raises ValueError: if no part is given, a part is ``dependent``, or the parts
        differ in ``event_dim`` or in ``is_discrete``.

    **Example**

    .. doctest::

       >>> from numpyro_mixsupport.distributions import constraints
       >>> constraints.union(constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0))
       Union(Interval(lower_bound=0.0, upper_bound=1.0), Interval(lower_bound=2.0, upper_bound=3.0))
       >>> constraints.union(constraints.positive, constraints.greater_than(-1.0))
       GreaterThan(lower_bound=-1.0)
       >>> constraints.union(constraints.real, constraints.positive)
       Real()
    """
    if not parts:
        raise ValueError("union() needs at least one constraint")
    flat = []
    for part in parts:
        if not isinstance(part, Constraint):
            raise TypeError(
                f"union() takes Constraint objects, got {part!r} of type "
                f"{type(part).__name__}"
            )
        if is_dependent(part):
            raise ValueError(
                f"union() cannot take a dependent constraint, got {part!r}; pass "
                "the constraint the value satisfies"
            )
        flat.extend(part.parts if isinstance(part, _Union) else (part,))

    def describe(attribute):
        return ", ".join(f"{p!r} ({attribute}={getattr(p, attribute)})" for p in flat)

    if len({part.event_dim for part in flat}) > 1:
        raise ValueError(
            f"union() parts must share event_dim, got {describe('event_dim')}"
        )
    if len({part.is_discrete for part in flat}) > 1:
        raise ValueError(
            "union() parts must be all discrete or all continuous, got "
            f"{describe('is_discrete')}"
        )
    is_discrete = flat[0].is_discrete

    unique: list = []
    for part in flat:
        if not any(_same_constraint(part, other) for other in unique):
            unique.append(part)

    spans, opaque = [], []
    for part in unique:
        if isinstance(part, _IndependentConstraint) and isinstance(
            part.base_constraint, _Real
        ):
            return part
        span = _interval_span(part)
        if span is not None and span[0] is None and span[1] is None and not is_discrete:
            return real
        if span is not None and _span_is_concrete(span):
            spans.append((part, span))
        else:
            opaque.append(part)

    result = [part for part, _ in _merge_intervals(spans, is_discrete)] + opaque
    if len(result) == 1:
        return result[0]
    return _Union(result)
