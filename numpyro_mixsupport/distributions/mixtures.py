# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Mixtures whose components have different supports.

Patch module for ``numpyro/distributions/mixtures.py``: ``MixtureGeneral``
changes the methods it defines here and keeps the others.
"""

import copy
from typing import Optional, Union

import numpy as np

import jax
from jax import Array, lax
import jax.numpy as jnp
from jax.typing import ArrayLike

from numpyro.distributions import mixtures
from numpyro.distributions.constraints import Constraint
from numpyro.distributions.discrete import CategoricalLogits, CategoricalProbs
from numpyro.distributions.distribution import Distribution, TransformedDistribution
from numpyro.distributions.mixtures import MixtureSameFamily
from numpyro.distributions.transforms import Transform
from numpyro.distributions.util import validate_sample
import numpyro_mixsupport.distributions.constraints as constraints

__all__ = ["Mixture", "MixtureGeneral", "MixtureSameFamily"]
#: Definitions for the package alone: the fork keeps NumPyro's ``Mixture``,
#: which builds the fork's ``MixtureGeneral``, and changes NumPyro's
#: ``MixtureGeneral.__init__`` in place (see ``fork/edits``).
__package_only__ = ("Mixture", "MixtureGeneral.__init__")


def Mixture(
    mixing_distribution: Union[CategoricalProbs, CategoricalLogits],
    component_distributions: Union[list[Distribution], Distribution],
    *,
    validate_args: Optional[bool] = None,
):
    """
    A finite mixture, marginalized over the component index: a
    :class:`MixtureGeneral` for a list of components, a
    :class:`~numpyro.distributions.MixtureSameFamily` for one distribution whose
    rightmost batch dimension indexes the components.

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
       >>> type(mixture).__name__, mixture.support
       ('MixtureGeneral', Real())
    """
    if isinstance(component_distributions, Distribution):
        return MixtureSameFamily(
            mixing_distribution, component_distributions, validate_args=validate_args
        )
    return MixtureGeneral(
        mixing_distribution, component_distributions, validate_args=validate_args
    )


class MixtureGeneral(mixtures.MixtureGeneral):
    r"""
    The components may have different supports. The support of the mixture is
    the :func:`~numpyro.distributions.constraints.union` of theirs unless
    ``support`` is given, and ``support`` is used as given. Each component's log
    density is :math:`-\infty` outside its own support, where it is evaluated
    at a point of its support instead, so that no NaN reaches the value or a
    gradient; components whose support is the whole space are evaluated as
    they are. Components must be all discrete or all continuous, and must have
    densities with respect to one base measure (a distribution on the simplex
    or the sphere does not mix with one on an open set), whatever ``support``
    says: a ``ValueError`` names them otherwise.

    Components of one class and pytree structure whose parameters have the same
    shapes and dtypes are evaluated in one call vectorized over their
    parameters: their log density is traced and compiled once, whatever their
    number.

    A latent site with a union support is reparameterized by
    :func:`~numpyro.distributions.transforms.biject_to` of the union, a
    bijection from the real line even where the union is disconnected.

    **Example**

    .. doctest::

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
       >>> skewed = dist.MixtureGeneral(
       ...     dist.Categorical(probs=jnp.array([0.5, 0.5])),
       ...     [dist.Normal(0.0, 1.0), dist.Exponential(2.0)],
       ... )
       >>> skewed.support, round(float(jnp.exp(skewed.log_prob(-1.0))), 6)
       (Real(), 0.120985)
    """

    def __init__(
        self,
        mixing_distribution: Union[CategoricalProbs, CategoricalLogits],
        component_distributions: list[Distribution],
        *,
        support: Optional[Constraint] = None,
        validate_args: Optional[bool] = None,
    ):
        # NumPyro's checks, but for that of the components' supports
        _check_support_argument(support)
        super().__init__(
            mixing_distribution,
            component_distributions,
            support=constraints.real if support is None else support,
            validate_args=validate_args,
        )
        self._support = support
        _check_component_kinds(self.component_distributions)

    @constraints.dependent_property
    def support(self) -> Constraint:
        if self._support is not None:
            return self._support
        return _union_support(
            [_component_support(d) for d in self.component_distributions]
        )

    def enumerate_support(self, expand: bool = True) -> Array:
        """
        The integers in the union of the components' supports, in increasing
        order, with shape ``(n,) + batch_shape`` (or ``(n,) + (1,) *
        len(batch_shape)`` when ``expand`` is False).

        :raises NotImplementedError: unless every component is discrete with a
            finite support whose bounds are concrete and give the same integers
            in every batch element.
        """
        values = _integer_values(self)
        if values is None:
            raise NotImplementedError(
                "enumerate_support needs discrete components with finite supports "
                "whose bounds are concrete and give the same values in every batch "
                f"element, got support {self.support}"
            )
        values = jnp.reshape(values, (-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = jnp.broadcast_to(values, values.shape[:1] + self.batch_shape)
        return values

    def component_cdf(self, samples: ArrayLike) -> Array:
        cdfs = []
        for d, check in zip(self.component_distributions, self._support_checks()):
            if check is None or isinstance(check[0], constraints._Union):
                # the component's own cdf is right everywhere
                cdfs.append(d.cdf(samples))
                continue
            support, evaluate = check
            inside, safe = evaluate(samples)
            cdf = d.cdf(safe)
            # 0 below and 1 above a component's (interval) support
            above = jnp.greater(samples, support.feasible_like(samples))
            cdfs.append(jnp.where(inside, cdf, above.astype(cdf.dtype)))
        return jnp.stack(jnp.broadcast_arrays(*cdfs), axis=self.mixture_dim)

    def component_log_probs(self, value: ArrayLike) -> Array:
        blocks, finite, checked = self._log_prob_blocks(value)
        log_probs: list = [None] * self.mixture_size
        for indices, log_prob, inside in blocks:
            if inside is not None:
                log_prob = jnp.where(inside, log_prob, -jnp.inf)
            if len(indices) == 1:
                log_probs[indices[0]] = log_prob
            else:
                for i, k in enumerate(indices):
                    log_probs[k] = lax.index_in_dim(log_prob, i, keepdims=False)
        log_weights = jax.nn.log_softmax(self.mixing_distribution.logits)
        stacked = jnp.stack(jnp.broadcast_arrays(*log_probs), axis=-1)
        stacked = log_weights + stacked
        return self._at_non_finite(value, finite, stacked, checked, trailing=1)

    @validate_sample
    def log_prob(self, value: ArrayLike, intermediates=None) -> Array:
        del intermediates
        # A log-sum-exp over the blocks of components (see ``_log_prob_blocks``),
        # without a reduction along a short axis. The value-preserving ``where``
        # keeps gradients out of -inf terms (outside every support the
        # log-sum-exp is log(0)), and keeps a component of weight zero out even
        # where its log density is +inf.
        blocks, finite, checked = self._log_prob_blocks(value)
        log_weights = jax.nn.log_softmax(self.mixing_distribution.logits)
        singles, stacked = [], []
        for indices, log_prob, inside in blocks:
            if len(indices) == 1:
                log_weight = lax.index_in_dim(
                    log_weights, indices[0], axis=-1, keepdims=False
                )
            else:
                # the block's weights on its leading axis, aligned with log_prob
                log_weight = jnp.moveaxis(log_weights[..., np.array(indices)], -1, 0)
                log_weight = jnp.reshape(
                    log_weight,
                    log_weight.shape[:1]
                    + (1,) * (jnp.ndim(log_prob) - jnp.ndim(log_weight))
                    + log_weight.shape[1:],
                )
            term = log_weight + log_prob
            keep = ~(jnp.isneginf(term) | jnp.isneginf(log_weight))
            # one selection for the support and the guard
            term = jnp.where(keep if inside is None else keep & inside, term, -jnp.inf)
            (singles if len(indices) == 1 else stacked).append(term)
        # the shift: elementwise over the rows of the blocks, which on the CPU
        # is faster than a reduction along their leading axis; it has no
        # gradient, so that no row is differentiated on its own (the transpose
        # of taking a row pads it to the whole block, O(K^2) work in all)
        rows = singles + [
            lax.index_in_dim(lax.stop_gradient(term), i, keepdims=False)
            for term in stacked
            for i in range(term.shape[0])
        ]
        peak = rows[0]
        for row in rows[1:]:
            peak = jnp.maximum(peak, row)
        peak = jnp.where(jnp.isfinite(peak), peak, 0.0)
        if checked:
            # the NaN at a NaN value (see ``_at_non_finite``), carried by the peak
            peak = self._at_non_finite(value, finite, peak, restricted=True)
        peak = lax.stop_gradient(peak)
        sums = [jnp.exp(term - peak) for term in singles]
        for term in stacked:
            # its rows aligned with the peak
            term = jnp.reshape(
                term,
                term.shape[:1]
                + (1,) * (jnp.ndim(peak) - jnp.ndim(term) + 1)
                + term.shape[1:],
            )
            # a block's sum along its leading axis as a product with ones (on
            # the CPU a reduction along that axis took 2-3.5 times as long at
            # N >= 1e5); at full precision, which accelerators do not use for
            # matrix products by default
            ones = jnp.ones(term.shape[:1], term.dtype)
            sums.append(
                jnp.tensordot(
                    ones,
                    jnp.exp(term - peak),
                    axes=1,
                    precision=lax.Precision.HIGHEST,
                )
            )
        total = sums[0]
        for part in sums[1:]:
            total = total + part
        log_prob = jnp.log(total) + peak
        return log_prob if checked else self._at_non_finite(value, finite, log_prob)

    def _support_checks(self) -> list:
        # For each component, None where its density needs no restriction (its
        # support is the whole space or is not known), else its support and a
        # function of the value giving where the value is in that support and
        # the value with a point of the support elsewhere (see ``_checks``).
        return _checks(
            self.component_distributions,
            self.batch_shape + self.event_shape,
            len(self.event_shape),
        )

    def _log_prob_blocks(
        self, value: ArrayLike
    ) -> tuple[
        list[tuple[tuple[int, ...], Array, Optional[Array]]], Optional[Array], bool
    ]:
        # log p_k(value) for each component k, in blocks ``(indices, log_prob,
        # inside)``: a block of one component has its log density, a block of
        # several (see ``_groups``) their log densities stacked on a leading
        # axis, from one evaluation vectorized over their parameters. ``inside``
        # is None, or where the value is in the support of the component, which
        # then was evaluated at a point of its support elsewhere, so that its
        # log density is to be taken as -inf there (no component is evaluated
        # at a non-finite value).
        # Also which values are finite (None for integer values), and whether
        # every component was restricted to its support (so that each is -inf,
        # with no gradient, at a non-finite value).
        finite = _finite(value, len(self.event_shape))
        stand_in = None
        if finite is not None:
            mask = jnp.reshape(finite, jnp.shape(finite) + (1,) * self.event_dim)
            stand_in = jnp.where(mask, value, 0)
        groups = _groups(self.component_distributions)
        shape, event_dim = self.batch_shape + self.event_shape, len(self.event_shape)

        def checks_of(indices: list[int]) -> dict:
            components = [self.component_distributions[k] for k in indices]
            return dict(zip(indices, _checks(components, shape, event_dim)))

        checks = checks_of(
            [k for indices in groups if len(indices) == 1 for k in indices]
        )
        evaluated: dict = {}
        blocks = []
        checked = True
        for indices in groups:
            if len(indices) > 1:
                vectorized = self._vectorized_log_prob(indices, value, finite, stand_in)
                if vectorized is not None:
                    log_prob, inside = vectorized
                    blocks.append((indices, log_prob, inside))
                    checked = checked and inside is not None
                    continue
                # evaluated one by one instead
                checks.update(checks_of(list(indices)))
            for k in indices:
                d, check = self.component_distributions[k], checks[k]
                if check is None:
                    checked = False
                    blocks.append(
                        (
                            (k,),
                            d.log_prob(value if stand_in is None else stand_in),
                            None,
                        )
                    )
                    continue
                _, evaluate = check
                if id(evaluate) not in evaluated:
                    evaluated[id(evaluate)] = evaluate(value, finite)
                inside, safe = evaluated[id(evaluate)]
                log_prob = _unvalidated(d).log_prob(safe)
                blocks.append(((k,), log_prob, inside))
        return blocks, finite, checked

    def _vectorized_log_prob(
        self,
        indices: tuple[int, ...],
        value: ArrayLike,
        finite: Optional[Array],
        stand_in: Optional[Array],
    ) -> Optional[tuple[Array, Optional[Array]]]:
        # The log densities of components of one group, stacked, from one
        # ``vmap`` over their stacked parameters, and where the value is in
        # their supports, stacked likewise (None where they are not restricted
        # to their supports; see ``_log_prob_blocks``); None where a
        # component's ``log_prob`` needs concrete parameters, which ``vmap``
        # does not give.
        members = [self.component_distributions[k] for k in indices]
        treedef = jax.tree.structure(members[0])
        leaves = [
            jnp.stack([jnp.asarray(leaf) for leaf in same])
            for same in zip(*(jax.tree.leaves(d) for d in members))
        ]
        shape = self.batch_shape + self.event_shape
        event_dim = len(self.event_shape)
        support = _component_support(members[0])
        checked = not (constraints.is_dependent(support) or _is_whole_space(support))

        def one(leaves):
            d = jax.tree.unflatten(treedef, leaves)
            if not checked:
                return d.log_prob(value if stand_in is None else stand_in), None
            evaluate = _restrict(_component_support(d), shape, event_dim)
            inside, safe = evaluate(value, finite)
            return _unvalidated(d).log_prob(safe), inside

        try:
            return jax.vmap(one)(leaves)
        except (
            jax.errors.ConcretizationTypeError,
            jax.errors.TracerArrayConversionError,
            jax.errors.TracerIntegerConversionError,
        ):
            return None

    def _at_non_finite(
        self,
        value: ArrayLike,
        finite: Optional[Array],
        log_prob: Array,
        restricted: bool = False,
        trailing: int = 0,
    ) -> Array:
        # -inf at +-inf, where every density is zero; at NaN, -inf where a
        # support is given, else NaN. No gradient flows from either.
        # ``restricted``: every component was restricted to its support, so
        # ``log_prob`` is -inf already at every non-finite value, with no
        # gradient; only the NaN is added then, rather than selected, which
        # keeps the gradient as it is.
        # ``trailing`` counts the axes of ``log_prob`` after the batch axes.
        if finite is None:
            return log_prob
        if self.event_shape:
            value = jnp.sum(value, axis=tuple(range(-self.event_dim, 0)))
        index = (...,) + (None,) * trailing
        if restricted:
            if self._support is None:
                nan = jnp.where(jnp.isnan(value), jnp.nan, 0.0)
                log_prob = log_prob + lax.stop_gradient(nan)[index]
            return log_prob
        at_non_finite = -jnp.abs(value)
        if self._support is not None:
            at_non_finite = jnp.where(jnp.isnan(value), -jnp.inf, at_non_finite)
        return jnp.where(
            finite[index], log_prob, lax.stop_gradient(at_non_finite)[index]
        )


def _groups(components: list[Distribution]) -> list[tuple[int, ...]]:
    # The indices of the components, in groups of those that are evaluated
    # together: of one class (not a transformed distribution, whose support
    # is read off concrete parameters), with scalar events (for mixtures of
    # two-dimensional ``Independent`` truncated normals the evaluation over
    # stacked parameters measured 1.4-2 times slower than one by one), with
    # one pytree structure and leaves (at least one) of one shape and dtype.
    # In order of their first member.
    groups: dict = {}
    for k, d in enumerate(components):
        key = None
        leaves, treedef = jax.tree.flatten(d)
        if leaves and not d.event_shape and not isinstance(d, TransformedDistribution):
            try:
                key = (
                    type(d),
                    treedef,
                    tuple((jnp.shape(x), jnp.result_type(x)) for x in leaves),
                )
                hash(key)
            except (TypeError, ValueError):
                key = None
        groups.setdefault(("single", k) if key is None else key, []).append(k)
    return [tuple(indices) for indices in groups.values()]


def _checks(components: list[Distribution], shape: tuple, event_dim: int) -> list:
    # ``MixtureGeneral._support_checks`` of these components, for a mixture of
    # batch and event shape ``shape``. One check serves the components that
    # share a support.
    supports = [_component_support(d) for d in components]
    checks: list = []
    for support in supports:
        if constraints.is_dependent(support) or _is_whole_space(support):
            checks.append(None)
            continue
        shared = next(
            (
                check
                for other, check in zip(supports, checks)
                if check is not None and constraints._same_constraint(other, support)
            ),
            None,
        )
        if shared is None:
            shared = (support, _restrict(support, shape, event_dim))
        checks.append(shared)
    return checks


def _unvalidated(d: Distribution) -> Distribution:
    # ``d`` without the check of its values against its support, for values
    # already restricted to it: the check would select every value.
    if not d._validate_args:
        return d
    d = copy.copy(d)
    d._validate_args = False
    return d


def _is_whole_space(support: Constraint) -> bool:
    while isinstance(support, constraints._IndependentConstraint):
        support = support.base_constraint
    return support is constraints.real


def _finite(value: ArrayLike, event_dim: int) -> Optional[Array]:
    # Whether each value (an event) is finite; None for integer values.
    value = jnp.asarray(value)
    if not jnp.issubdtype(value.dtype, jnp.inexact):
        return None
    finite = jnp.isfinite(value)
    if event_dim:
        finite = jnp.all(finite, axis=tuple(range(-event_dim, 0)))
    return finite


def _restrict(support: Constraint, shape: tuple, event_dim: int):
    # evaluate(value, finite=None) -> (inside, safe): where ``value`` (an event)
    # is in ``support`` (and finite), and ``value`` with a point of ``support``
    # elsewhere.
    def evaluate(value, finite=None):
        value = jnp.broadcast_to(value, lax.broadcast_shapes(jnp.shape(value), shape))
        inside = support(value)
        if finite is not None:
            inside = inside & finite
        mask = jnp.reshape(inside, jnp.shape(inside) + (1,) * event_dim)
        return inside, jnp.where(mask, value, support.feasible_like(value))

    return evaluate


def _union_support(supports: list[Constraint]) -> Constraint:
    # The union of the components' supports; a component with a dependent
    # support makes the mixture's support that of the first component.
    if any(constraints.is_dependent(s) for s in supports):
        return supports[0]
    return constraints.union(*supports)


def _check_support_argument(support: Optional[Constraint]) -> None:
    if support is not None and not isinstance(support, Constraint):
        raise TypeError(
            "support must be a numpyro.distributions.constraints.Constraint, "
            f"got {support!r} of type {type(support).__name__}"
        )


def _check_component_kinds(components: list[Distribution]) -> None:
    # Densities are added only with respect to one base measure: counting
    # measure, Lebesgue measure, or that of one lower-dimensional set.
    def describe(attribute):
        return ", ".join(
            f"component {i} ({type(d).__name__}, support {d.support}): {attribute(d)}"
            for i, d in enumerate(components)
        )

    if len({d.is_discrete for d in components}) > 1:
        raise ValueError(
            "Components must be all discrete or all continuous: a probability mass "
            "cannot be added to a density. Got "
            + describe(lambda d: "discrete" if d.is_discrete else "continuous")
        )
    measures = {_base_measure(d.support) for d in components} - {None}
    if len(measures) > 1:
        raise ValueError(
            "Components must have densities with respect to the same base measure: "
            "a density on a lower-dimensional set (such as the simplex or the "
            "sphere) cannot be added to one on another set. Got "
            + describe(lambda d: _base_measure(d.support) or "unknown")
        )


#: Supports that are lower-dimensional sets, by the name of their measure.
_LOWER_DIMENSIONAL = (
    (constraints._Simplex, "the simplex"),
    (constraints._Sphere, "the sphere"),
    (constraints._CorrCholesky, "correlation Cholesky factors"),
    (constraints._CorrMatrix, "correlation matrices"),
    (constraints._LowerCholesky, "lower-triangular matrices"),
    (constraints._PositiveDefinite, "symmetric matrices"),
    (constraints._PositiveSemiDefinite, "symmetric matrices"),
    (constraints._ZeroSum, "zero-sum vectors"),
)
#: Supports that are open (or closed) subsets of their whole space.
_FULL_DIMENSIONAL = (
    constraints._Real,
    constraints._GreaterThan,
    constraints._LessThan,
    constraints._Interval,
    constraints._OrderedVector,
    constraints._PositiveOrderedVector,
    constraints._L1Ball,
)


def _base_measure(support: Constraint) -> Optional[str]:
    # The base measure of a density on ``support``, or None where it is not known.
    if constraints.is_dependent(support) or support.is_discrete:
        return None
    while isinstance(support, constraints._IndependentConstraint):
        support = support.base_constraint
    parts = support.parts if isinstance(support, constraints._Union) else (support,)
    measures = set()
    for part in parts:
        lower = [name for kind, name in _LOWER_DIMENSIONAL if isinstance(part, kind)]
        if lower:
            measures.add(f"the surface measure of {lower[0]}")
        elif isinstance(part, _FULL_DIMENSIONAL):
            measures.add("Lebesgue measure")
        else:
            return None
    return measures.pop() if len(measures) == 1 else None


def _integer_values(d: MixtureGeneral) -> Optional[np.ndarray]:
    # The integers of a discrete mixture's finite support with concrete bounds,
    # in order, where they are the same in every batch element; else None.
    if not d.is_discrete:
        return None
    support = d.support
    parts = support.parts if isinstance(support, constraints._Union) else (support,)
    values = None
    for part in parts:
        span = constraints._interval_span(part)
        if span is None or any(
            end is None or isinstance(end, jax.core.Tracer) for end in span[:2]
        ):
            return None
        low, high = (
            np.broadcast_to(np.asarray(end), d.batch_shape) for end in span[:2]
        )
        if np.any(low != low.flat[0]) or np.any(high != high.flat[0]):
            return None
        part_values = np.arange(low.flat[0], high.flat[0] + 1)
        values = part_values if values is None else np.union1d(values, part_values)
    return values


def _component_support(d: Distribution) -> Constraint:
    """
    The support of a component. A transformed distribution reports the codomain
    of its last transform (``real`` for an affine one, say); where its transforms
    are monotone maps of scalars whose sign is known without tracing, the base
    support is pushed through them instead.
    """
    support = d.support
    if not isinstance(d, TransformedDistribution) or support is not constraints.real:
        return support
    base = d.base_dist
    span = constraints._interval_span(_component_support(base))
    if span is None or base.is_discrete or base.event_dim != 0:
        return support
    lower, upper, lower_closed, upper_closed = span
    # bounds that are known stay concrete under jit
    with jax.ensure_compile_time_eval():
        for t in d.transforms:
            sign = _static_sign(t)
            if sign is None:
                return support
            lower, upper = _image_of_end(t, lower, -1), _image_of_end(t, upper, 1)
            if sign < 0:
                lower, upper = upper, lower
                lower_closed, upper_closed = upper_closed, lower_closed
    return _interval_constraint(lower, upper, lower_closed, upper_closed)


def _static_sign(t: Transform) -> Optional[int]:
    # The sign of the derivative of a monotone map of scalars, where it is known
    # without tracing.
    if t.domain.event_dim != 0 or t.codomain.event_dim != 0:
        return None
    try:
        sign = t.sign
    except NotImplementedError:
        return None
    if isinstance(sign, jax.core.Tracer):
        return None
    signs = np.unique(np.sign(np.asarray(sign)))
    return int(signs[0]) if len(signs) == 1 and signs[0] != 0 else None


def _image_of_end(
    t: Transform, end: Optional[ArrayLike], side: int
) -> Optional[ArrayLike]:
    # The image under t of an interval end; None stands for -inf (side -1) or
    # +inf (side 1). Whether the image of an infinite end is infinite is read off
    # t with traced parameters replaced by ones: it does not depend on them where
    # the sign of t is known without tracing (an affine ``loc``, say).
    if end is not None:
        return _static_if_possible(t, t(end), end)
    infinity = side * np.inf
    stand_in = jax.tree.map(
        lambda leaf: (
            np.ones(np.shape(leaf)) if isinstance(leaf, jax.core.Tracer) else leaf
        ),
        t,
    )
    if np.all(np.isinf(np.asarray(stand_in(infinity)))):
        return None
    return _static_if_possible(t, t(infinity), infinity)


def _static_if_possible(t: Transform, image: ArrayLike, end) -> ArrayLike:
    # The image of a constant end under a transform with constant parameters is
    # a constant too: a Python scalar or a NumPy array, not a JAX array.
    if isinstance(end, jax.Array) or any(
        isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(t)
    ):
        return image
    image = np.asarray(image)
    return image.item() if image.ndim == 0 else image


def _interval_constraint(lower, upper, lower_closed: bool, upper_closed: bool):
    # The interval with these ends (None: infinite); closed where its ends are
    # of mixed kinds, which no constraint describes.
    if lower is None and upper is None:
        return constraints.real
    if upper is None:
        return (
            constraints.greater_than_eq(lower)
            if lower_closed
            else constraints.greater_than(lower)
        )
    if lower is None:
        return (
            constraints.less_than_eq(upper)
            if upper_closed
            else constraints.less_than(upper)
        )
    if not (lower_closed or upper_closed):
        return constraints.open_interval(lower, upper)
    return constraints.interval(lower, upper)
