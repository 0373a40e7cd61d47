# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Mixtures whose components have different supports.

Patch module for ``numpyro/distributions/mixtures.py``.
"""

from typing import Optional, Union
import warnings

import numpy as np

import jax
from jax import Array, lax
import jax.numpy as jnp
from jax.typing import ArrayLike

from numpyro.distributions.constraints import Constraint
from numpyro.distributions.discrete import CategoricalLogits, CategoricalProbs
from numpyro.distributions.distribution import Distribution
from numpyro.distributions.mixtures import (
    MixtureSameFamily,
    _check_mixing_distribution,
    _MixtureBase,
)
from numpyro.distributions.util import validate_sample
from numpyro.util import find_stack_level
import numpyro_mixsupport.distributions.constraints as constraints

__all__ = ["Mixture", "MixtureGeneral", "MixtureSameFamily"]


def Mixture(
    mixing_distribution: Union[CategoricalProbs, CategoricalLogits],
    component_distributions: Union[list[Distribution], Distribution],
    *,
    validate_args: Optional[bool] = None,
):
    """
    A finite mixture, marginalized over the component index.

    A list of components gives a :class:`MixtureGeneral` (components may be of
    different families and have different supports); a single distribution whose
    rightmost batch dimension indexes the components gives a
    :class:`~numpyro.distributions.MixtureSameFamily`.

    :param mixing_distribution: a :class:`~numpyro.distributions.Categorical`
        over the ``mixture_size`` components.
    :param component_distributions: a list of ``mixture_size`` distributions, or
        one distribution with rightmost batch dimension ``mixture_size``.
    :param validate_args: whether to validate the arguments.
    :return: the mixture distribution.

    **Example**

    .. doctest::

       >>> import jax.numpy as jnp
       >>> import numpyro_mixsupport.distributions as dist
       >>> mixing = dist.Categorical(probs=jnp.array([0.3, 0.7]))
       >>> mixture = dist.Mixture(mixing, [dist.Normal(0.0, 1.0), dist.HalfNormal(1.0)])
       >>> type(mixture).__name__
       'MixtureGeneral'
       >>> mixture.support
       Real()
    """
    if isinstance(component_distributions, Distribution):
        return MixtureSameFamily(
            mixing_distribution, component_distributions, validate_args=validate_args
        )
    return MixtureGeneral(
        mixing_distribution, component_distributions, validate_args=validate_args
    )


class MixtureGeneral(_MixtureBase):
    r"""
    A finite mixture of components of any families, whose supports may differ.

    The support is the :func:`~numpyro.distributions.constraints.union` of the
    components' supports, unless ``support`` is given. Each component's log
    density is :math:`-\infty` outside its own support and is evaluated there at
    a point of its support instead, so no NaN reaches the value or any gradient,
    whatever the components' ``validate_args``. Components whose support equals
    the mixture's are evaluated as they are, so a mixture of components with one
    support costs what it did.

    A latent site with this distribution is reparameterized by
    :func:`~numpyro.distributions.transforms.biject_to` of the union, a bijection
    from the real line even where the union is disconnected.

    :param mixing_distribution: a :class:`~numpyro.distributions.Categorical`
        over the ``mixture_size`` components.
    :param component_distributions: a list of ``mixture_size`` distributions with
        one event shape, all discrete or all continuous.
    :param support: the support of the mixture; inferred when not given. A
        ``support`` that provably leaves out part of a component's support is
        used as given, with a warning: that component's mass there is lost.
    :param validate_args: whether to validate the arguments.
    :raises ValueError: if ``component_distributions`` is not a list of
        distributions of the mixture size, or if its components differ in event
        shape or mix discrete with continuous supports.
    :raises TypeError: if ``support`` is not a
        :class:`~numpyro.distributions.constraints.Constraint`.

    **Example**

    .. doctest::

       >>> import jax
       >>> import jax.numpy as jnp
       >>> import numpyro_mixsupport.distributions as dist
       >>> mixture = dist.MixtureGeneral(
       ...     dist.Categorical(probs=jnp.array([0.3, 0.7])),
       ...     [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
       ... )
       >>> mixture.support
       Union(Interval(lower_bound=0.0, upper_bound=1.0), Interval(lower_bound=2.0, upper_bound=3.0))
       >>> [round(float(p), 6) for p in jnp.exp(mixture.log_prob(jnp.array([0.5, 2.5])))]
       [0.3, 0.7]
       >>> mixture.sample(jax.random.key(0), (3,)).shape
       (3,)
    """

    pytree_data_fields = (
        "_mixing_distribution",
        "_component_distributions",
        "_support",
    )
    pytree_aux_fields = ("_mixture_size",)

    def __init__(
        self,
        mixing_distribution: Union[CategoricalProbs, CategoricalLogits],
        component_distributions: list[Distribution],
        *,
        support: Optional[Constraint] = None,
        validate_args: Optional[bool] = None,
    ):
        _check_mixing_distribution(mixing_distribution)
        self._mixture_size = jnp.shape(mixing_distribution.probs)[-1]
        try:
            component_distributions = list(component_distributions)
        except TypeError:
            raise ValueError(
                "The 'component_distributions' argument must be a list of "
                f"Distribution objects, got {type(component_distributions).__name__}"
            )
        for i, d in enumerate(component_distributions):
            if not isinstance(d, Distribution):
                raise ValueError(
                    "All elements of 'component_distributions' must be instances of "
                    "numpyro.distributions.Distribution subclasses; component "
                    f"{i} is of type {type(d).__name__}"
                )
        if len(component_distributions) != self.mixture_size:
            raise ValueError(
                "The number of elements in 'component_distributions' must match "
                f"the mixture size; expected {self._mixture_size}, got "
                f"{len(component_distributions)}"
            )
        event_shape = component_distributions[0].event_shape
        if any(d.event_shape != event_shape for d in component_distributions):
            raise ValueError(
                "All component distributions must have the same event shape, got "
                + _describe(component_distributions, lambda d: d.event_shape)
            )
        if support is not None and not isinstance(support, Constraint):
            raise TypeError(
                "support must be a numpyro.distributions.constraints.Constraint, "
                f"got {support!r} of type {type(support).__name__}"
            )
        if support is not None and not constraints.is_dependent(support):
            if support.event_dim != len(event_shape):
                raise ValueError(
                    f"support must have event_dim {len(event_shape)}, that of the "
                    f"components' event shape {event_shape}, got {support!r} "
                    f"(event_dim={support.event_dim})"
                )
            if support.is_discrete != component_distributions[0].is_discrete:
                kind = (
                    "discrete"
                    if component_distributions[0].is_discrete
                    else "continuous"
                )
                raise ValueError(
                    f"support must be {kind} like the components, got {support!r} "
                    f"(is_discrete={support.is_discrete})"
                )
        supports = [_component_support(d) for d in component_distributions]
        if support is None:
            if any(constraints.is_dependent(s) for s in supports):
                raise ValueError(
                    "The support of the mixture cannot be inferred from components "
                    "with a dependent support; pass support=. Components: "
                    + _describe(component_distributions, lambda d: d.support)
                )
            if len({s.is_discrete for s in supports}) > 1:
                raise ValueError(
                    "Components must be all discrete or all continuous, got "
                    + _describe(component_distributions, lambda d: d.is_discrete)
                )
        else:
            for i, (d, s) in enumerate(zip(component_distributions, supports)):
                if _provably_not_inside(s, support):
                    warnings.warn(
                        f"The support of component {i} ({type(d).__name__}, {s}) is "
                        f"not inside support={support}: its mass outside is lost.",
                        UserWarning,
                        stacklevel=find_stack_level(),
                    )
        self._support = support
        self._mixing_distribution = mixing_distribution
        self._component_distributions = component_distributions
        batch_shape = lax.broadcast_shapes(
            mixing_distribution.batch_shape,
            *(d.batch_shape for d in component_distributions),
        )
        super().__init__(
            batch_shape=batch_shape,
            event_shape=event_shape,
            validate_args=validate_args,
        )

    @property
    def component_distributions(self) -> list[Distribution]:
        """The list of the ``mixture_size`` component distributions."""
        return self._component_distributions

    @constraints.dependent_property
    def support(self) -> Constraint:
        if self._support is not None:
            return self._support
        return constraints.union(
            *(_component_support(d) for d in self.component_distributions)
        )

    @property
    def is_discrete(self) -> bool:
        return self.component_distributions[0].is_discrete

    @property
    def has_enumerate_support(self) -> bool:
        # NumPyro's enumeration and discrete samplers take the values of a site
        # to be 0, ..., n - 1; a union of other integers does not claim it.
        values = self._integer_values()
        return values is not None and np.array_equal(values, np.arange(len(values)))

    def _integer_values(self) -> Optional[np.ndarray]:
        # The integers of a finite union with concrete bounds, in order, or None.
        ranges = _finite_integer_ranges(self.support) if self.is_discrete else None
        if ranges is None:
            return None
        return np.unique(
            np.concatenate(
                [
                    np.arange(lo, hi + 1)
                    for low, high in ranges
                    for lo, hi in zip(np.ravel(low), np.ravel(high))
                ]
            )
        )

    def enumerate_support(self, expand: bool = True) -> Array:
        """
        The integers in the union of the components' supports, in increasing
        order, with shape ``(n,) + batch_shape`` (or ``(n,) + (1,) * len(batch_shape)``
        when ``expand`` is False).

        NumPyro's enumeration (``config_enumerate``, ``infer_discrete``) and its
        discrete samplers (``DiscreteHMCGibbs``, ``MixedHMC``) take the values of
        a site to be ``0, ..., n - 1``, so :attr:`has_enumerate_support` is True
        only for such a union; for any other finite union this method still
        gives its values.

        :raises NotImplementedError: unless every component is discrete with a
            finite support whose bounds are concrete.
        """
        values = self._integer_values()
        if values is None:
            raise NotImplementedError(
                "enumerate_support needs discrete components with finite supports "
                f"and concrete bounds, got support {self.support}"
            )
        values = jnp.reshape(values, (-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = jnp.broadcast_to(values, values.shape[:1] + self.batch_shape)
        return values

    @property
    def component_mean(self) -> Array:
        return jnp.stack(
            [d.mean for d in self.component_distributions], axis=self.mixture_dim
        )

    @property
    def component_variance(self) -> Array:
        return jnp.stack(
            [d.variance for d in self.component_distributions], axis=self.mixture_dim
        )

    def component_sample(
        self, key: jax.Array, sample_shape: tuple[int, ...] = ()
    ) -> Array:
        keys = jax.random.split(key, self.mixture_size)
        samples = [
            d.expand(sample_shape + self.batch_shape).sample(k)
            for k, d in zip(keys, self.component_distributions)
        ]
        return jnp.stack(samples, axis=self.mixture_dim)

    def _in_own_support(self, value: ArrayLike, finite: Optional[Array] = None):
        # Per component: its support, whether the value is in it, and the value
        # with a point of that support where it is not. Components whose support
        # is the mixture's share one check; none is made where that is ``real``.
        # ``finite`` (if given) marks the finite values; the others count as
        # outside every support, so that no component is evaluated at them.
        supports = [_component_support(d) for d in self.component_distributions]
        mixture_support = (
            constraints.union(*supports) if self._support is None else self._support
        )
        shared = None
        for d, support in zip(self.component_distributions, supports):
            if constraints._same_constraint(support, mixture_support):
                if mixture_support is constraints.real:
                    yield d, None
                    continue
                if shared is None:
                    shared = _safe_value(
                        mixture_support,
                        value,
                        self.batch_shape,
                        self.event_shape,
                        finite,
                    )
                yield d, (support,) + shared
                continue
            yield (
                d,
                (support,)
                + _safe_value(support, value, d.batch_shape, d.event_shape, finite),
            )

    def _weighted_log_probs(
        self, value: ArrayLike
    ) -> tuple[list[Array], Array, Optional[Array]]:
        # log p_k(value) for each component k, -inf outside its support and at
        # non-finite values (where no component is evaluated), the log weights,
        # and which values are finite (None for integer values). The caller adds
        # the log weights and masks the non-finite values.
        log_weights = jax.nn.log_softmax(self.mixing_distribution.logits)
        finite = _finite(value, self.event_shape)
        stand_in = None
        terms = []
        for d, checked in self._in_own_support(value, finite):
            if checked is None:
                if finite is None:
                    log_prob = d.log_prob(value)
                else:
                    if stand_in is None:
                        stand_in = jnp.where(_expand_event(finite, self), value, 0.0)
                    log_prob = d.log_prob(stand_in)
            else:
                _, inside, safe = checked
                log_prob = jnp.where(inside, d.log_prob(safe), -jnp.inf)
            terms.append(log_prob)
        return terms, log_weights, finite

    def _mask_non_finite(
        self,
        value: ArrayLike,
        finite: Optional[Array],
        log_prob: Array,
        trailing: int = 0,
    ) -> Array:
        # -inf at +-inf (zero density there), NaN at NaN, as the components' own
        # formulas would give without validation; no gradient flows from either.
        # ``trailing`` counts axes of ``log_prob`` after the batch axes.
        if finite is None:
            return log_prob
        axes = tuple(range(-len(self.event_shape), 0))
        magnitude = jnp.sum(jnp.abs(value), axis=axes) if axes else jnp.abs(value)
        index = (...,) + (None,) * trailing
        return jnp.where(finite[index], log_prob, lax.stop_gradient(-magnitude)[index])

    def component_log_probs(self, value: ArrayLike) -> Array:
        log_probs, log_weights, finite = self._weighted_log_probs(value)
        terms = [
            jnp.where(
                jnp.isneginf(log_weights[..., k]), -jnp.inf, log_weights[..., k] + t
            )
            for k, t in enumerate(log_probs)
        ]
        stacked = jnp.stack(jnp.broadcast_arrays(*terms), axis=-1)
        return self._mask_non_finite(value, finite, stacked, trailing=1)

    @validate_sample
    def log_prob(self, value: ArrayLike, intermediates=None) -> Array:
        del intermediates
        # A log-sum-exp over the list of components: the same value as over the
        # stacked array, without a reduction along a short trailing axis.
        # The value-preserving where keeps gradients out of -inf terms, and keeps
        # a component of weight zero out even where its log density is +inf.
        log_probs, log_weights, finite = self._weighted_log_probs(value)
        terms = []
        for k, log_prob in enumerate(log_probs):
            log_weight = log_weights[..., k]
            term = log_weight + log_prob
            terms.append(
                jnp.where(jnp.isneginf(term) | jnp.isneginf(log_weight), -jnp.inf, term)
            )
        peak = terms[0]
        for t in terms[1:]:
            peak = jnp.maximum(peak, t)
        peak = lax.stop_gradient(jnp.where(jnp.isfinite(peak), peak, 0.0))
        total = jnp.exp(terms[0] - peak)
        for t in terms[1:]:
            total = total + jnp.exp(t - peak)
        return self._mask_non_finite(value, finite, jnp.log(total) + peak)

    def component_cdf(self, samples: ArrayLike) -> Array:
        cdfs = []
        for d, checked in self._in_own_support(samples):
            if checked is None:
                cdfs.append(d.cdf(samples))
                continue
            support, inside, safe = checked
            span = constraints._interval_span(support)
            if span is None:
                # Not an interval: the component's own cdf says where it is 0 or 1.
                cdfs.append(d.cdf(samples))
                continue
            # 0 below the component's support, 1 above it.
            lower = -jnp.inf if span[0] is None else span[0]
            cdf = d.cdf(safe)
            cdfs.append(
                jnp.where(inside, cdf, jnp.greater(samples, lower).astype(cdf.dtype))
            )
        return jnp.stack(jnp.broadcast_arrays(*cdfs), axis=self.mixture_dim)


def _finite(value: ArrayLike, event_shape: tuple) -> Optional[Array]:
    # Whether each value (an event) is finite; None for integer values.
    value = jnp.asarray(value)
    if not jnp.issubdtype(value.dtype, jnp.inexact):
        return None
    finite = jnp.isfinite(value)
    if event_shape:
        finite = jnp.all(finite, axis=tuple(range(-len(event_shape), 0)))
    return finite


def _expand_event(mask: Array, d: Distribution) -> Array:
    return jnp.reshape(mask, jnp.shape(mask) + (1,) * len(d.event_shape))


def _safe_value(
    support: Constraint,
    value: ArrayLike,
    batch_shape: tuple,
    event_shape: tuple,
    finite: Optional[Array] = None,
):
    shape = lax.broadcast_shapes(jnp.shape(value), batch_shape + event_shape)
    value = jnp.broadcast_to(value, shape)
    inside = support(value)
    if finite is not None:
        inside = inside & finite
    inside_b = jnp.reshape(inside, jnp.shape(inside) + (1,) * len(event_shape))
    return inside, jnp.where(inside_b, value, support.feasible_like(value))


def _describe(components: list, attribute) -> str:
    return ", ".join(
        f"component {i} ({type(d).__name__}): {attribute(d)}"
        for i, d in enumerate(components)
    )


def _component_support(d: Distribution) -> Constraint:
    """
    The support of a component. A transformed distribution whose transforms keep
    their default domain reports ``real``; where the transforms are monotone maps
    of scalars with a sign known statically, the base support is pushed through
    them instead.
    """
    support = d.support
    base = getattr(d, "base_dist", None)
    transforms = getattr(d, "transforms", None)
    if base is None or transforms is None or support is not constraints.real:
        return support
    base_support = _component_support(base)
    span = constraints._interval_span(base_support)
    if span is None or base_support.is_discrete or base.event_dim != 0:
        return support
    lower, upper, lower_closed, upper_closed = span
    # Bounds that are known stay concrete under jit.
    with jax.ensure_compile_time_eval():
        for t in transforms:
            sign = _static_sign(t)
            if sign is None:
                return support
            lower, upper = _push_end(t, lower, -1), _push_end(t, upper, 1)
            if sign == -1:
                lower, upper = upper, lower
                lower_closed, upper_closed = upper_closed, lower_closed
    pushed = constraints._constraint_from_span(
        (lower, upper, lower_closed, upper_closed), False
    )
    return support if pushed is None else pushed


def _push_end(t, end: Optional[ArrayLike], side: int) -> Optional[ArrayLike]:
    # The image of an interval end under t; None stands for -inf (side -1) or
    # +inf (side 1). Whether the image of an infinite end is infinite is read
    # off t with its traced parameters replaced by ones: it does not depend on
    # them where the sign of t is static (affine ``loc``, say).
    if end is not None:
        return t(end)
    infinity = side * np.inf
    stand_in = jax.tree.map(
        lambda leaf: (
            np.ones(np.shape(leaf)) if isinstance(leaf, jax.core.Tracer) else leaf
        ),
        t,
    )
    if np.all(np.isinf(np.asarray(stand_in(infinity)))):
        return None
    return t(infinity)


def _static_sign(t) -> Optional[int]:
    # The sign of the derivative of a monotone map of scalars where it is known
    # without tracing (``t.sign`` is a traced ``jnp.sign`` under ``jit``).
    try:
        if t.domain.event_dim != 0 or t.codomain.event_dim != 0:
            return None
    except NotImplementedError:
        return None
    if isinstance(getattr(type(t), "sign", None), int):
        return type(t).sign
    if hasattr(t, "parts"):
        signs = [_static_sign(part) for part in t.parts]
        return None if None in signs else int(np.prod(signs))
    for name in ("scale", "exponent"):
        parameter = getattr(t, name, None)
        if parameter is not None and not isinstance(parameter, jax.core.Tracer):
            signs = np.unique(np.sign(np.asarray(parameter)))
            return int(signs[0]) if len(signs) == 1 and signs[0] != 0 else None
    return None


def _provably_not_inside(part: Constraint, support: Constraint) -> bool:
    """Whether some interval of ``part`` provably sticks out of ``support`` by more
    than a point; False wherever that cannot be decided statically."""
    parts = part.parts if isinstance(part, constraints._Union) else (part,)
    pieces = support.parts if isinstance(support, constraints._Union) else (support,)
    spans = [constraints._interval_span(p) for p in pieces]
    if part.is_discrete != support.is_discrete or any(
        s is None or not constraints._span_is_concrete(s) for s in spans
    ):
        return False
    covers = [(_end(s[0], -np.inf), _end(s[1], np.inf)) for s in spans]
    for p in parts:
        span = constraints._interval_span(p)
        if span is None or not constraints._span_is_concrete(span):
            continue
        lo, hi = _end(span[0], -np.inf), _end(span[1], np.inf)
        if not any(np.all(a <= lo) and np.all(hi <= b) for a, b in covers):
            return True
    return False


def _end(value: Optional[ArrayLike], infinity: float) -> np.ndarray:
    return np.asarray(infinity if value is None else value, dtype=float)


def _finite_integer_ranges(support: Constraint) -> Optional[list]:
    parts = support.parts if isinstance(support, constraints._Union) else (support,)
    ranges = []
    for p in parts:
        span = constraints._interval_span(p)
        if span is None or None in span[:2] or not constraints._span_is_concrete(span):
            return None
        ranges.append((span[0], span[1]))
    return ranges
