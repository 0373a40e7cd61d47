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
import numpyro.distributions.constraints as numpyro_constraints
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
    independent,  # noqa: F401
    is_dependent,
    less_than_eq,  # noqa: F401
    open_interval,  # noqa: F401
    positive_ordered_vector,  # noqa: F401
)

__all__ = [*_numpyro_all, "union"]
#: The package's module has every name of NumPyro's, private ones included.
__package_only__ = ("__getattr__",)


def __getattr__(name: str):
    return getattr(numpyro_constraints, name)


class _Union(Constraint[NumLike]):
    """
    The union of constraints that share ``event_dim`` and ``is_discrete``: a value
    satisfies it when it satisfies at least one of its parts.

    Build it with :func:`union`.
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
            return all(_same_constraint(a, b) for a, b in zip(self.parts, other.parts))
        result = jnp.array(True)
        for a, b in zip(self.parts, other.parts):
            if type(a) is not type(b):
                return False
            result = result & a.eq(b, static=False)
        return result


def _same_constraint(a: Constraint, b: Constraint) -> bool:
    # The same set, decided without the values of array bounds. ``eq`` alone
    # does not tell open from closed ends (``positive.eq(greater_than_eq(0.0))``
    # holds), so the types must match too.
    return a is b or (type(a) is type(b) and bool(a.eq(b, static=True)))


def _finite_end(value: ArrayLike) -> Optional[ArrayLike]:
    # An end whose value is known to be infinite everywhere is reported as None,
    # the same as the open end of ``greater_than`` or ``less_than``.
    if not isinstance(value, jax.core.Tracer) and np.all(np.isinf(np.asarray(value))):
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


def _is_empty_interval(constraint: Constraint) -> bool:
    # Whether an interval with static bounds (Python scalars or NumPy arrays, as
    # for ``eq(static=True)``) holds no point, anywhere in its batch.
    span = _interval_span(constraint)
    if span is None or any(end is None for end in span[:2]):
        return False
    lower, upper, lower_closed, upper_closed = span
    if isinstance(lower, jax.Array) or isinstance(upper, jax.Array):
        return False
    lower, upper = np.asarray(lower), np.asarray(upper)
    if lower_closed and upper_closed:
        return bool(np.any(lower > upper))
    return bool(np.any(lower >= upper))


def union(*parts: Constraint) -> Constraint:
    r"""
    The union of constraints: a value satisfies it when it satisfies at least one
    of ``parts``. Parts must share ``event_dim`` and be all discrete or all
    continuous.

    The result depends on the parts' types and on static bounds only, never on
    the values of array bounds, so a union has the same structure whether its
    bounds are concrete or traced: nested unions are flattened, parts equal to an
    earlier part (as for ``eq(static=True)``) are dropped, a union holding
    :data:`real` (or ``independent(real, n)``) is that constraint, and a union
    left with a single part is that part. Intervals that overlap stay separate
    parts.

    :func:`~numpyro.distributions.transforms.biject_to` maps the real line onto a
    union of intervals (see
    :class:`~numpyro.distributions.transforms.IntervalUnionTransform`), disjoint
    ones included.

    :param parts: the constraints to join.
    :return: the union constraint.
    :raises TypeError: if a part is not a
        :class:`~numpyro.distributions.constraints.Constraint`.
    :raises ValueError: if no part is given, a part is ``dependent`` or an empty
        interval, or the parts differ in ``event_dim`` or in ``is_discrete``.

    **Example**

    .. doctest::

       >>> from numpyro_mixsupport.distributions import constraints
       >>> constraints.union(constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0))
       Union(Interval(lower_bound=0.0, upper_bound=1.0), Interval(lower_bound=2.0, upper_bound=3.0))
       >>> constraints.union(constraints.positive, constraints.positive)
       Positive(lower_bound=0.0)
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
        if _is_empty_interval(part):
            raise ValueError(
                f"union() got the empty interval {part!r}, whose lower bound is "
                "above its upper bound (or equal to it with an open end); pass "
                "the bounds in increasing order"
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

    unique: list = []
    for part in flat:
        if isinstance(part, _Real) or (
            isinstance(part, _IndependentConstraint)
            and isinstance(part.base_constraint, _Real)
        ):
            return part
        if not any(_same_constraint(part, other) for other in unique):
            unique.append(part)
    if len(unique) == 1:
        return unique[0]
    return _Union(unique)
