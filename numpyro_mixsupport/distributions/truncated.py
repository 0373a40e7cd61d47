# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Truncated distributions with correct gradients.

Patch module for ``numpyro/distributions/truncated.py``:

* :class:`DoublyTruncatedPowerLaw` computes its normalizer in plain,
  differentiable JAX. NumPyro 0.22 differentiates it with a hand-written JVP
  whose ``low`` and ``high`` tangents are those of the density rather than of the
  log density, and which approximates the ``alpha`` tangent at ``alpha = -1`` by
  a finite difference.
* :class:`LeftTruncatedDistribution`, :class:`RightTruncatedDistribution` and
  :class:`TwoSidedTruncatedDistribution` (and so :func:`TruncatedNormal`) mirror
  the problem about ``loc`` so that the support starts in the left tail, and
  take the tail probabilities in log space, for a ``Normal`` base beyond the
  range of ``erfc`` from the asymptotic series of the Mills ratio. ``log_prob``,
  ``cdf``, ``icdf``, samples and their gradients stay accurate, in float32 too,
  when truncating many scales into a tail, where NumPyro 0.22's classes give NaN
  or infinite values. ``log_prob`` and its gradients cost what NumPyro's do, to
  run and to compile (the work done once per distribution is compiled as few
  kernels). The quantile is ``ndtri`` of the smaller tail probability, with a
  log-space inversion where that underflows; as the choice is made per point,
  every point of ``icdf`` pays for that branch too. Samples are NumPyro's
  uniform draws pushed through the quantile; the draws are never small enough
  to need the log-space inversion unless the parameters put the whole support
  that deep, and ``sample`` decides that once per batch of parameters.
"""

from functools import partial
import math
from typing import NamedTuple, Optional, Union, cast

import jax
from jax import Array, lax
import jax.numpy as jnp
import jax.random as random
from jax.scipy.special import betainc, erfc, ndtri
from jax.typing import ArrayLike

from numpyro._typing import NumLike
from numpyro.distributions import constraints
from numpyro.distributions.constraints import Constraint
from numpyro.distributions.continuous import (
    Cauchy,
    Laplace,
    Logistic,
    Normal,
    SoftLaplace,
    StudentT,
)
from numpyro.distributions.distribution import Distribution
from numpyro.distributions.util import (
    promote_shapes,
    validate_sample,
)
from numpyro.util import is_prng_key

__all__ = [
    "DoublyTruncatedPowerLaw",
    "LeftTruncatedDistribution",
    "RightTruncatedDistribution",
    "TruncatedCauchy",
    "TruncatedDistribution",
    "TruncatedNormal",
    "TwoSidedTruncatedDistribution",
]


def _check_base_dist(base_dist: Distribution, supported_types: tuple) -> None:
    assert isinstance(base_dist, supported_types), (
        f"{type(base_dist).__name__} is not supported by this class; for a Gamma "
        "base distribution use numpyro.distributions.TruncatedGamma."
    )
    assert base_dist.support is constraints.real, (
        "The base distribution should be univariate and have real support."
    )


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# log(1 - w + 3 w**2 - 15 w**3 + ...), the log of the asymptotic series of
# -z Phi(z) / phi(z) in w = 1 / z**2, as a power series in w
_MILLS_LOG_SERIES = (-1.0, 5 / 2, -37 / 3, 353 / 4, -4081 / 5, 55205 / 6)


def _is_single(dtype: jnp.dtype) -> bool:
    return jnp.finfo(dtype).bits <= 32


def _normal_tail_start(dtype: jnp.dtype) -> tuple[float, float]:
    """``(z, log Phi(z))`` for the ``z < 0`` below which ``Phi(z)`` is close to
    leaving the normal range of ``dtype`` (about -12.2 in float32, -36.6 in
    float64); beyond it the normal tail is taken from its asymptotic series."""
    z = 1.0 - math.sqrt(-2.0 * math.log(float(jnp.finfo(dtype).tiny)))
    return z, math.log(0.5 * math.erfc(-z / math.sqrt(2.0)))


def _polyval(coefficients: tuple[float, ...], w: Array) -> Array:
    """``sum(c_k w**k for k = 1, 2, ...)`` by Horner's rule."""
    result = coefficients[-1]
    for c in coefficients[-2::-1]:
        result = c + w * result
    return w * result


@jax.custom_jvp
def _normal_log_cdf_and_h(z: Array) -> tuple[Array, Array]:
    r"""``log Phi(z)``, accurate far into the left tail, and where ``z`` is beyond
    :func:`_normal_tail_start` also :math:`h = \log\Phi(z) + z^2 / 2` from the
    asymptotic series of the Mills ratio, free of the cancellation of forming it
    from ``log Phi(z)``. The derivative, :math:`\phi(z) / \Phi(z)`, is supplied
    directly."""
    start, _ = _normal_tail_start(z.dtype)
    deep = jnp.less(z, start)
    z_deep = jnp.where(deep, z, start)
    cdf = 0.5 * erfc(jnp.where(deep, start, z) * -math.sqrt(0.5))
    # one log for both branches: of Phi(z), or of -z in the series
    log = jnp.log(jnp.where(deep, -z_deep, cdf))
    s = z_deep * z_deep
    terms = 4 if _is_single(z.dtype) else 6
    h = _polyval(_MILLS_LOG_SERIES[:terms], 1 / s) - log - _HALF_LOG_2PI
    return jnp.where(deep, h - 0.5 * s, log), h


@_normal_log_cdf_and_h.defjvp
def _normal_log_cdf_and_h_jvp(
    primals: tuple[Array], tangents: tuple[Array]
) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    (z,), (z_dot,) = primals, tangents
    log_cdf, h = _normal_log_cdf_and_h(z)
    finite = jnp.isfinite(z)
    z = jnp.where(finite, z, 0.0)
    # phi(z) / Phi(z); beyond the tail start from h, free of the cancellation
    # of -z^2 / 2 against log Phi(z)
    start, _ = _normal_tail_start(z.dtype)
    log_slope = jnp.where(
        jnp.less(z, start),
        -_HALF_LOG_2PI - h,
        -0.5 * z * z - _HALF_LOG_2PI - jnp.where(finite, log_cdf, 0.0),
    )
    slope = jnp.where(finite, jnp.exp(log_slope), 0.0)
    return (log_cdf, h), (slope * z_dot, (slope + z) * z_dot)


def _log_cdf(base_dist: Distribution, z: ArrayLike) -> tuple[Array, Optional[tuple]]:
    """``log F(z)`` of the standardized base distribution: accurate in the left
    tail, where ``F(z)`` is small or underflows, and to absolute precision in the
    right one. For a ``Normal`` base also ``(h, deep, z_deep)`` for
    :func:`_log_cdf_gap`: ``h`` of :func:`_normal_log_cdf_and_h`, where ``deep``,
    and ``z_deep`` is ``z`` there."""
    z = jnp.asarray(z)
    if isinstance(base_dist, Normal):
        start, _ = _normal_tail_start(z.dtype)
        deep = jnp.less(z, start)
        log_cdf, h = _normal_log_cdf_and_h(z)
        return log_cdf, (h, deep, jnp.where(deep, z, start))
    if isinstance(base_dist, Cauchy):
        # atan2(1, -z) / pi is free of the cancellation in 1/2 + atan(z) / pi
        return jnp.log(jnp.arctan2(1.0, -z)) - math.log(math.pi), None
    left = jnp.less_equal(z, 0)
    if isinstance(base_dist, Logistic):
        return jax.nn.log_sigmoid(z), None
    if isinstance(base_dist, StudentT):
        df = base_dist.df
        tail = 0.5 * betainc(0.5 * df, 0.5, df / (df + z * z))
        return jnp.where(left, jnp.log(tail), jnp.log1p(-tail)), None
    # F(z) for z <= 0 and 1 - F(z) for z > 0 from w = exp(-|z|); each branch sees
    # only arguments valid for it
    z_left = jnp.where(left, z, 0.0)
    w = jnp.exp(jnp.where(left, z, -z))
    if isinstance(base_dist, Laplace):
        return jnp.where(left, z_left - math.log(2.0), jnp.log1p(-0.5 * w)), None
    # SoftLaplace: F(z) = 2 / pi atan(exp(z)); atan(w) / w -> 1 as w underflows
    positive = jnp.greater(w, 0)
    w_safe = jnp.where(positive, w, 1.0)
    ratio = jnp.where(positive, jnp.arctan(w_safe) / w_safe, 1.0)
    log_left = math.log(2 / math.pi) + z_left + jnp.log(ratio)
    return jnp.where(left, log_left, jnp.log1p(-2 / math.pi * w * ratio)), None


def _log_cdf_gap(
    evaluated: tuple[Array, Optional[tuple]],
    end: tuple[Array, Optional[tuple]],
    dz: ArrayLike,
) -> Array:
    """``log F(z) - log F(e)`` for the evaluations of :func:`_log_cdf` at ``z``
    and at an end ``e``, given ``dz = z - e`` computed directly.

    For a ``Normal`` base with both points deep in the tail it is formed as
    ``h(z) - h(e) - dz (z + e) / 2``, which stays accurate when the two are close:
    there the logs are large and nearly equal.
    """
    (log_cdf, extra), (log_cdf_end, extra_end) = evaluated, end
    plain = log_cdf - log_cdf_end
    if extra is None:
        return plain
    (h, deep, z_deep), (h_end, deep_end, z_end) = extra, extra_end
    both = jnp.logical_and(deep, deep_end)
    dz = jnp.where(both, dz, 0.0)
    return jnp.where(both, h - h_end - 0.5 * dz * (z_deep + z_end), plain)


class _Tails(NamedTuple):
    """A truncation in mirrored coordinates (see :func:`_mirrored_tails`)."""

    mirror: Array
    log_mass: Array
    log_cdf_b: Array
    ratio: Array
    mass: Array
    sf_b: Array
    end: tuple


def _mirrored_tails(
    base_dist: Distribution, low: Optional[Array], high: Optional[Array]
) -> _Tails:
    """The truncation to ``[low, high]`` (``None`` for a missing end) in mirrored,
    standardized coordinates ``u = mirror (x - loc) / scale``.

    ``mirror`` is +1 where the support reaches below ``loc`` (for
    ``RightTruncatedDistribution``, where ``high <= loc``) and -1 elsewhere, so
    that the mirrored support ``[a, b]`` has ``a <= 0`` and the tail probabilities
    needed are left-tail ones. Returns ``log(F(b) - F(a))``, ``log F(b)``,
    ``F(a) / F(b)``, ``F(b) - F(a)``, ``1 - F(b)`` and the evaluation of
    :func:`_log_cdf` at the mirrored finite end, or with two ends at the mirrored
    ``low`` (``a`` where ``mirror`` is +1, ``b`` where it is -1). Unused values
    are dropped when traced.
    """
    loc, scale = base_dist.loc, base_dist.scale
    if low is None or high is None:
        z = ((high if low is None else low) - loc) / scale
        positive = jnp.less_equal(z, 0)
        end = _log_cdf(base_dist, jnp.where(positive, z, -z))
        cdf = jnp.exp(end[0])
        # the finite end is a where the support is [a, inf), b where (-inf, b]
        is_a = positive if high is None else jnp.logical_not(positive)
        return _Tails(
            jnp.where(positive, 1.0, -1.0),
            _log_mass(base_dist, low, high),
            jnp.where(is_a, 0.0, end[0]),
            jnp.where(is_a, cdf, 0.0),
            jnp.where(is_a, 1 - cdf, cdf),
            jnp.where(is_a, 0.0, 1 - cdf),
            end,
        )
    ends = _two_sided_ends(base_dist, low, high)
    mass_fraction = -jnp.expm1(-ends.gap)
    b = ends.b
    log_cdf_b = ends.at_b[0]
    cdf_b = jnp.exp(log_cdf_b)
    b_above = jnp.greater(b, 0)
    sf_b_above = jnp.exp(_log_cdf(base_dist, jnp.where(b_above, -b, 0.0))[0])
    return _Tails(
        jnp.where(ends.positive, 1.0, -1.0),
        log_cdf_b + jnp.log(mass_fraction),
        log_cdf_b,
        jnp.exp(-ends.gap),
        cdf_b * mass_fraction,
        jnp.where(b_above, sf_b_above, 1 - cdf_b),
        jax.tree.map(lambda x, y: jnp.where(ends.positive, x, y), ends.at_a, ends.at_b),
    )


class _Ends(NamedTuple):
    """Both ends of a two-sided truncation in mirrored coordinates (see
    :func:`_mirrored_tails`)."""

    positive: Array
    b: Array
    at_a: tuple
    at_b: tuple
    gap: Array


def _two_sided_ends(base_dist: Distribution, low: Array, high: Array) -> _Ends:
    """The mirrored ends ``a`` and ``b`` of ``[low, high]``, with the evaluations
    of :func:`_log_cdf` at each (``log F`` first) and ``log F(b) - log F(a)``."""
    loc, scale = base_dist.loc, base_dist.scale
    z_low, z_high = (low - loc) / scale, (high - loc) / scale
    positive = jnp.less_equal(z_low, 0)
    a = jnp.where(positive, z_low, -z_high)
    b = jnp.where(positive, z_high, -z_low)
    at_a, at_b = _log_cdf(base_dist, a), _log_cdf(base_dist, b)
    gap = _log_cdf_gap(at_b, at_a, (high - low) / scale)
    return _Ends(positive, b, at_a, at_b, gap)


def _log_mass(
    base_dist: Distribution, low: Optional[Array], high: Optional[Array]
) -> Array:
    """``log(F(high) - F(low))`` (``None`` for a missing end), the ``log_mass``
    of :func:`_mirrored_tails`, computed alone for ``log_prob``."""
    if low is None:
        return _log_cdf(base_dist, (high - base_dist.loc) / base_dist.scale)[0]
    if high is None:
        return _log_cdf(base_dist, (base_dist.loc - low) / base_dist.scale)[0]
    ends = _two_sided_ends(base_dist, low, high)
    return ends.at_b[0] + jnp.log(-jnp.expm1(-ends.gap))


def _apart(*values: ArrayLike) -> tuple[Array, ...]:
    """``values``, computed once per distribution, stacked behind an optimization
    barrier.

    XLA then compiles the work that leads to them as one kernel, instead of one
    small kernel per transcendental function where they feed computations over
    many points, which shortens compilation severalfold.
    """
    return tuple(lax.optimization_barrier(jnp.stack(jnp.broadcast_arrays(*values))))


def _clamp(value: ArrayLike, low: Optional[Array], high: Optional[Array]) -> Array:
    # ``where`` rather than ``clip``, which would halve the gradient at the ends
    value = jnp.asarray(value)
    if low is not None:
        value = jnp.where(jnp.less(value, low), low, value)
    if high is not None:
        value = jnp.where(jnp.greater(value, high), high, value)
    return value


def _truncated_cdf(
    d: Distribution, low: Optional[Array], high: Optional[Array], value: ArrayLike
) -> Array:
    """``(F(x) - F(low)) / (F(high) - F(low))`` from log tail probabilities.

    In mirrored coordinates this is ``(F(u) - F(a)) / (F(b) - F(a))`` where
    ``mirror`` is +1 and ``(F(b) - F(u)) / (F(b) - F(a))`` where it is -1, each
    formed from the difference of ``log F`` at ``u`` and at the mirrored ``low``
    (at ``high`` for ``RightTruncatedDistribution``).
    """
    tails = d._tails()
    base_dist = d.base_dist
    mirror, log_mass = tails.mirror, tails.log_mass
    positive = jnp.greater(mirror, 0)
    inside = _clamp(value, low, high)
    z = (inside - base_dist.loc) / base_dist.scale
    if low is None:
        # mirror +1: F(z) / F(high); mirror -1: (1 - F(u)) / (1 - F(a)) with
        # 1 - F(u) = F(z)
        at_z = _log_cdf(base_dist, z)
        gap = _log_cdf_gap(at_z, tails.end, (inside - high) / base_dist.scale)
        cdf = jnp.exp(jnp.where(positive, gap, at_z[0] - log_mass))
    else:
        # mirror +1: (F(u) - F(a)) / mass, mirror -1: (F(b) - F(u)) / mass, where
        # a, respectively b, is the mirrored low
        at_u = _log_cdf(base_dist, mirror * z)
        dz = mirror * (inside - low) / base_dist.scale
        gap = _log_cdf_gap(at_u, tails.end, dz)
        cdf = jnp.exp(jnp.where(positive, at_u[0], tails.end[0]) - log_mass)
        cdf = cdf * -jnp.expm1(jnp.where(positive, -gap, gap))
    # ``where`` rather than ``clip``, which would halve the gradient at the ends
    cdf = jnp.where(jnp.greater(cdf, 1.0), 1.0, cdf)
    cdf = jnp.where(jnp.less(cdf, 0.0), 0.0, cdf)
    if low is not None:
        cdf = jnp.where(jnp.less(value, low), 0.0, cdf)
    if high is not None:
        cdf = jnp.where(jnp.greater(value, high), 1.0, cdf)
    return cdf


@jax.custom_jvp
def _normal_tail_quantile(p: Array, log_p: Array) -> Array:
    r"""``z <= 0`` with :math:`\Phi(z) = p` for ``p <= 1/2``, given also ``log_p =
    log p``, which is used where ``p`` is too small for ``ndtri``.

    There, with :math:`t = -2 \log p - \log 2\pi` and :math:`L = \log t`,
    :math:`z^2 = t - L + (L - 2) / t + (L^2 / 2 - 3L + 7) / t^2 + \dots`, the
    inversion of the asymptotic series of :math:`\log\Phi`; in float64 a third
    term and a Newton step follow. The derivative, :math:`1 / \phi(z)` in ``p``
    (:math:`p / \phi(z)` in ``log_p`` where that is used), is supplied directly.
    """
    _, log_start = _normal_tail_start(p.dtype)
    deep = jnp.less(log_p, log_start)
    near = ndtri(jnp.where(deep, 0.25, p))
    log_p_deep = jnp.where(jnp.logical_and(deep, jnp.isfinite(log_p)), log_p, log_start)
    t = -2 * log_p_deep - 2 * _HALF_LOG_2PI
    big_l = jnp.log(t)
    e = 1 / t
    terms = big_l * big_l / 2 - 3 * big_l + 7
    if not _is_single(p.dtype):
        terms = terms + e * (big_l * (big_l * (big_l / 3 - 3.5) + 17) - 107 / 3)
    s = t - big_l + e * (big_l - 2 + e * terms)
    if not _is_single(p.dtype):
        residual = s + jnp.log(s) - 2 * _polyval(_MILLS_LOG_SERIES, 1 / s) - t
        s = s - residual / (1 + 1 / s)
    far = jnp.where(jnp.isneginf(log_p), -jnp.inf, -jnp.sqrt(s))
    return jnp.where(deep, far, near)


@_normal_tail_quantile.defjvp
def _normal_tail_quantile_jvp(
    primals: tuple[Array, Array], tangents: tuple[Array, Array]
) -> tuple[Array, Array]:
    (p, log_p), (p_dot, log_p_dot) = primals, tangents
    z_out = _normal_tail_quantile(p, log_p)
    _, log_start = _normal_tail_start(p.dtype)
    deep = jnp.less(log_p, log_start)
    finite = jnp.isfinite(z_out)
    z = jnp.where(finite, z_out, 0.0)
    log_slope = jnp.where(deep, log_p, 0.0) + 0.5 * z * z + _HALF_LOG_2PI
    slope = jnp.where(finite, jnp.exp(log_slope), 0.0)
    return z_out, jnp.where(deep, log_p_dot, p_dot) * slope


def _ndtri_exp(log_p: ArrayLike) -> Array:
    r"""The standard normal quantile of ``exp(log_p)``: ``x`` with
    :math:`\log\Phi(x) = \mathrm{log\_p}`, also where ``exp(log_p)`` underflows."""
    log_p = jnp.asarray(log_p, dtype=jnp.result_type(log_p, float))
    upper = jnp.greater(log_p, -math.log(2.0))
    log_p_lower = jnp.where(upper, -1.0, log_p)
    sf = -jnp.expm1(jnp.where(upper, log_p, -1.0))
    z = _normal_tail_quantile(
        jnp.where(upper, sf, jnp.exp(log_p_lower)),
        jnp.where(upper, jnp.log(sf), log_p_lower),
    )
    return jnp.where(upper, -z, z)


def _tail_quantile(
    base_dist: Distribution, p: Array, factor: Array, log_scale: Array
) -> Array:
    """``z <= 0`` with ``F(z) = p <= 1/2`` for the standardized base distribution,
    given also ``p = factor * exp(log_scale)`` for where ``p`` underflows."""
    if isinstance(base_dist, Normal):
        return _normal_tail_quantile(p, jnp.log(factor) + log_scale)
    if isinstance(base_dist, Cauchy):
        # tan(pi (p - 1/2)), without the rounding of p - 1/2
        return -1 / jnp.tan(math.pi * p)
    if isinstance(base_dist, Laplace):
        return jnp.log(2 * factor) + log_scale
    if isinstance(base_dist, Logistic):
        return jnp.log(factor / (1 - p)) + log_scale
    if isinstance(base_dist, SoftLaplace):
        # log tan(pi p / 2), with tan(y) / y -> 1 as y underflows
        y = 0.5 * math.pi * p
        positive = jnp.greater(y, 0)
        y = jnp.where(positive, y, 1.0)
        ratio = jnp.where(positive, jnp.tan(y) / y, 1.0)
        return jnp.log(0.5 * math.pi * factor * ratio) + log_scale
    return (base_dist.icdf(p) - base_dist.loc) / base_dist.scale


def _truncated_icdf(
    d: Distribution,
    low: Optional[Array],
    high: Optional[Array],
    q: ArrayLike,
    *,
    sampling: bool = False,
) -> Array:
    """The quantile, found in mirrored coordinates from the smaller of
    ``F(u) = F(b) (p + (1 - p) F(a) / F(b))`` and
    ``1 - F(u) = 1 - F(b) + (1 - p) (F(b) - F(a))``, where ``p`` is ``q``, or
    ``1 - q`` where mirrored; the former also in log space. With ``sampling``,
    ``q`` are uniform draws, and for a ``Normal`` base the log-space inversion
    is skipped where the parameters rule it out (see below)."""
    tails = d._tails()
    base_dist = d.base_dist
    q = jnp.asarray(q)
    # in the precision of q where that is wider (as are the draws of sample), so
    # that F(b) and the log of the quantile's probability agree
    dtype = jnp.result_type(q, tails.log_mass)
    log_cdf_b = jnp.asarray(tails.log_cdf_b, dtype)
    mirror, log_cdf_b, cdf_b, ratio, mass, sf_b = _apart(
        tails.mirror,
        log_cdf_b,
        jnp.exp(log_cdf_b),
        *(jnp.asarray(x, dtype) for x in (tails.ratio, tails.mass, tails.sf_b)),
    )
    positive = jnp.greater(mirror, 0)

    def quantile(q: Array, deep: bool) -> Array:
        p_lo = jnp.where(positive, q, 1 - q)
        p_hi = jnp.where(positive, 1 - q, q)
        y = p_lo + p_hi * ratio
        cdf = cdf_b * y
        sf = sf_b + p_hi * mass
        lower = jnp.less_equal(cdf, sf)
        # the smaller tail probability, also as a factor times the exponential
        # of a log for where it underflows
        p = jnp.where(lower, cdf, sf)
        if deep:
            z = _tail_quantile(
                base_dist, p, jnp.where(lower, y, sf), jnp.where(lower, log_cdf_b, 0.0)
            )
        else:
            z = ndtri(p)
        # the quantile of the smaller tail probability, on its side of loc
        sign = jnp.where(lower, mirror, -mirror)
        x = base_dist.loc + sign * base_dist.scale * z
        valid = jnp.logical_and(jnp.greater_equal(q, 0), jnp.less_equal(q, 1))
        return jnp.where(valid, _clamp(x, low, high), jnp.nan)

    if sampling and isinstance(base_dist, Normal):
        # the smaller tail probability of a draw q is at least about
        # min(q, 1 - q) F(b) (the upper one is the smaller only where b is far
        # above 0 and F(b) - F(a) > 1/2), so where F(b) > exp(log_start / 2) it
        # leaves the range of ``ndtri`` only for q within about 1e-17 of 0 or 1
        # (1e-147 in float64), which a draw does not reach in practice: then
        # ``ndtri`` alone serves every draw. The condition is on the parameters
        # only, and one branch runs for all draws (both under ``vmap`` over the
        # parameters)
        _, log_start = _normal_tail_start(log_cdf_b.dtype)
        return lax.cond(
            jnp.all(jnp.greater_equal(log_cdf_b, 0.5 * log_start)),
            partial(quantile, deep=False),
            partial(quantile, deep=True),
            q,
        )
    return quantile(q, deep=True)


def _truncated_sample(
    d: Distribution,
    low: Optional[Array],
    high: Optional[Array],
    key: Optional[jax.Array],
    sample_shape: tuple[int, ...],
) -> Array:
    assert is_prng_key(key)
    assert key is not None
    minval = jnp.finfo(jnp.result_type(float)).tiny
    u = random.uniform(key, shape=sample_shape + d.batch_shape, minval=minval)
    return _truncated_icdf(d, low, high, u, sampling=True)


def _truncated_moments(
    d: Distribution, low: Optional[Array], high: Optional[Array], moment: str
) -> Array:
    """Mean or variance of a truncated ``Normal`` (``nan`` for ``Cauchy``)."""
    if isinstance(d.base_dist, Normal):
        loc, scale = d.base_dist.loc, d.base_dist.scale
        # density and (end - loc) * density at each end, zero at a missing one
        pdf_low = 0.0 if low is None else jnp.exp(d.log_prob(low))
        pdf_high = 0.0 if high is None else jnp.exp(d.log_prob(high))
        mean_shift = (pdf_low - pdf_high) * scale
        if moment == "mean":
            return loc + mean_shift * scale
        moment_low = 0.0 if low is None else (low - loc) * pdf_low
        moment_high = 0.0 if high is None else (high - loc) * pdf_high
        return scale**2 * (1 + moment_low - moment_high - mean_shift**2)
    if isinstance(d.base_dist, Cauchy):
        return jnp.full(d.batch_shape, jnp.nan)
    raise NotImplementedError(f"{moment} only available for Normal and Cauchy")


class LeftTruncatedDistribution(Distribution):
    r"""
    A univariate, symmetric base distribution restricted to ``[low, inf)``,

    .. math::

        p(x) = \frac{f(x)}{1 - F(\mathrm{low})}, \qquad x \ge \mathrm{low},

    where :math:`f` and :math:`F` are the density and distribution function of the
    base distribution. When ``low`` lies above ``loc`` the computation is mirrored
    about ``loc``, so that the tail probabilities are left-tail ones, and these
    are taken in log space (for a ``Normal`` base beyond the range of ``erfc``
    from the asymptotic series of the Mills ratio). The quantile is that of the
    base distribution at the smaller of the two tail probabilities, found in log
    space where that underflows, and samples are uniform draws of the default
    float dtype pushed through it, as in NumPyro. ``log_prob``, ``cdf``,
    ``icdf``, samples and their gradients therefore stay accurate, in float32
    too, when ``low`` is many scales above ``loc``.

    :param base_dist: the distribution to truncate; one of ``Cauchy``, ``Laplace``,
        ``Logistic``, ``Normal``, ``SoftLaplace`` or ``StudentT``.
    :param low: lower end of the support.

    **Example**

    .. doctest::

        >>> import jax.numpy as jnp
        >>> from numpyro_mixsupport.distributions import (
        ...     LeftTruncatedDistribution,
        ...     Normal,
        ... )
        >>> low = jnp.float32(0.0)
        >>> d = LeftTruncatedDistribution(Normal(-3.0, 0.5), low=low)  # 6 sigma
        >>> print(round(float(d.cdf(jnp.float32(0.1))), 4))
        0.7138
        >>> print(round(float(d.icdf(0.5)), 4))
        0.0558
        >>> from numpyro_mixsupport.distributions import Laplace
        >>> d = LeftTruncatedDistribution(Laplace(0.0, 1.0), low=30.0)
        >>> print(round(float(d.log_prob(31.0)), 4))  # exp(-(x - low)) out there
        -1.0
    """

    arg_constraints = {"low": constraints.real}
    reparametrized_params = ["low"]
    supported_types = (Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT)
    pytree_data_fields = ("base_dist", "low", "_support")
    _support: constraints.Constraint

    def __init__(
        self,
        base_dist: Union[Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT],
        low: ArrayLike = 0.0,
        *,
        validate_args: Optional[bool] = None,
    ):
        _check_base_dist(base_dist, self.supported_types)
        batch_shape = lax.broadcast_shapes(base_dist.batch_shape, jnp.shape(low))
        self.base_dist: Union[
            Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT
        ] = jax.tree.map(lambda p: promote_shapes(p, shape=batch_shape)[0], base_dist)
        (self.low,) = promote_shapes(low, shape=batch_shape)
        self._support = constraints.greater_than_eq(cast(NumLike, low))
        super().__init__(batch_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Constraint:
        return self._support

    def _tails(self) -> tuple:
        return _mirrored_tails(self.base_dist, self.low, None)

    def _log_mass(self) -> Array:
        return _log_mass(self.base_dist, self.low, None)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, self.low, None, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, self.low, None, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, self.low, None, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return self.base_dist.log_prob(value) - self._log_mass()

    @property
    def mean(self) -> Array:
        return _truncated_moments(self, self.low, None, "mean")

    @property
    def variance(self) -> Array:
        return _truncated_moments(self, self.low, None, "variance")


class RightTruncatedDistribution(Distribution):
    r"""
    A univariate, symmetric base distribution restricted to ``(-inf, high]``,

    .. math::

        p(x) = \frac{f(x)}{F(\mathrm{high})}, \qquad x \le \mathrm{high},

    where :math:`f` and :math:`F` are the density and distribution function of the
    base distribution. When ``high`` lies above ``loc`` the computation is
    mirrored about ``loc``, and the tail probabilities are taken in log space, as
    for :class:`LeftTruncatedDistribution`, so that ``log_prob``, ``cdf``,
    ``icdf``, samples and their gradients stay accurate, in float32 too, when
    ``high`` is many scales below ``loc``.

    :param base_dist: the distribution to truncate; one of ``Cauchy``, ``Laplace``,
        ``Logistic``, ``Normal``, ``SoftLaplace`` or ``StudentT``.
    :param high: upper end of the support.

    **Example**

    .. doctest::

        >>> import jax
        >>> import jax.numpy as jnp
        >>> from numpyro_mixsupport.distributions import (
        ...     Normal,
        ...     RightTruncatedDistribution,
        ... )
        >>> high = jnp.float32(-13.0)
        >>> d = RightTruncatedDistribution(Normal(0.0, 1.0), high=high)
        >>> print(round(float(d.log_prob(high)), 4))
        2.5708
        >>> print(bool(d.sample(jax.random.key(0), (100,)).max() <= high))
        True
    """

    arg_constraints = {"high": constraints.real}
    reparametrized_params = ["high"]
    supported_types = (Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT)
    pytree_data_fields = ("base_dist", "high", "_support")
    _support: constraints.Constraint

    def __init__(
        self,
        base_dist: Union[Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT],
        high: ArrayLike = 0.0,
        *,
        validate_args: Optional[bool] = None,
    ):
        _check_base_dist(base_dist, self.supported_types)
        batch_shape = lax.broadcast_shapes(base_dist.batch_shape, jnp.shape(high))
        self.base_dist: Union[
            Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT
        ] = jax.tree.map(lambda p: promote_shapes(p, shape=batch_shape)[0], base_dist)
        (self.high,) = promote_shapes(high, shape=batch_shape)
        self._support = constraints.less_than_eq(cast(NumLike, high))
        super().__init__(batch_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Constraint:
        return self._support

    def _tails(self) -> tuple:
        return _mirrored_tails(self.base_dist, None, self.high)

    def _log_mass(self) -> Array:
        return _log_mass(self.base_dist, None, self.high)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, None, self.high, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, None, self.high, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, None, self.high, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return self.base_dist.log_prob(value) - self._log_mass()

    @property
    def mean(self) -> Array:
        return _truncated_moments(self, None, self.high, "mean")

    @property
    def variance(self) -> Array:
        return _truncated_moments(self, None, self.high, "variance")


class TwoSidedTruncatedDistribution(Distribution):
    r"""
    A univariate, symmetric base distribution restricted to ``[low, high]``,

    .. math::

        p(x) = \frac{f(x)}{F(\mathrm{high}) - F(\mathrm{low})},
        \qquad \mathrm{low} \le x \le \mathrm{high},

    where :math:`f` and :math:`F` are the density and distribution function of the
    base distribution. When the interval lies above ``loc`` the computation is
    mirrored about ``loc`` (the base distributions are symmetric), so that
    :math:`F(\mathrm{high}) - F(\mathrm{low})` is a difference of left-tail
    probabilities, taken in log space, as are ``cdf`` and ``icdf`` (see
    :class:`LeftTruncatedDistribution`). Values and gradients therefore stay
    accurate far into either tail, in float32 too.

    :param base_dist: the distribution to truncate; one of ``Cauchy``, ``Laplace``,
        ``Logistic``, ``Normal``, ``SoftLaplace`` or ``StudentT``.
    :param low: lower end of the support.
    :param high: upper end of the support.

    **Example**

    .. doctest::

        >>> import jax.numpy as jnp
        >>> from numpyro_mixsupport.distributions import (
        ...     Normal,
        ...     TwoSidedTruncatedDistribution,
        ... )
        >>> d = TwoSidedTruncatedDistribution(Normal(0.0, 1.0), low=-1.0, high=1.0)
        >>> print(round(float(d.cdf(0.0)), 4))
        0.5
        >>> low, high = jnp.float32(13.0), jnp.float32(14.0)
        >>> d = TwoSidedTruncatedDistribution(Normal(0.0, 1.0), low=low, high=high)
        >>> print(round(float(d.cdf(jnp.float32(13.1))), 4))
        0.7309
    """

    arg_constraints = {
        "low": constraints.dependent(is_discrete=False, event_dim=0),
        "high": constraints.dependent(is_discrete=False, event_dim=0),
    }
    reparametrized_params = ["low", "high"]
    supported_types = (Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT)
    pytree_data_fields = ("base_dist", "low", "high", "_support")
    _support: constraints.Constraint

    def __init__(
        self,
        base_dist: Union[Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT],
        low: ArrayLike = 0.0,
        high: ArrayLike = 1.0,
        *,
        validate_args: Optional[bool] = None,
    ):
        _check_base_dist(base_dist, self.supported_types)
        batch_shape = lax.broadcast_shapes(
            base_dist.batch_shape, jnp.shape(low), jnp.shape(high)
        )
        self.base_dist: Union[
            Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT
        ] = jax.tree.map(lambda p: promote_shapes(p, shape=batch_shape)[0], base_dist)
        (self.low,) = promote_shapes(low, shape=batch_shape)
        (self.high,) = promote_shapes(high, shape=batch_shape)
        self._support = constraints.interval(cast(NumLike, low), cast(NumLike, high))
        super().__init__(batch_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Constraint:
        return self._support

    def _tails(self) -> tuple:
        return _mirrored_tails(self.base_dist, self.low, self.high)

    def _log_mass(self) -> Array:
        return _log_mass(self.base_dist, self.low, self.high)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, self.low, self.high, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, self.low, self.high, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, self.low, self.high, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return self.base_dist.log_prob(value) - self._log_mass()

    @property
    def mean(self) -> Array:
        return _truncated_moments(self, self.low, self.high, "mean")

    @property
    def variance(self) -> Array:
        return _truncated_moments(self, self.low, self.high, "variance")


def TruncatedDistribution(
    base_dist: Union[Cauchy, Laplace, Logistic, Normal, SoftLaplace, StudentT],
    low: Optional[ArrayLike] = None,
    high: Optional[ArrayLike] = None,
    *,
    validate_args: Optional[bool] = None,
) -> Distribution:
    """
    Truncate a univariate base distribution from below, above or both.

    :param base_dist: the distribution to truncate; one of ``Cauchy``, ``Laplace``,
        ``Logistic``, ``Normal``, ``SoftLaplace`` or ``StudentT``.
    :param low: lower end of the support, or ``None`` for no lower truncation.
    :param high: upper end of the support, or ``None`` for no upper truncation.
    :return: ``base_dist`` itself, a :class:`LeftTruncatedDistribution`, a
        :class:`RightTruncatedDistribution` or a
        :class:`TwoSidedTruncatedDistribution`.

    **Example**

    .. doctest::

        >>> from numpyro_mixsupport.distributions import Normal
        >>> from numpyro_mixsupport.distributions.truncated import (
        ...     TruncatedDistribution,
        ... )
        >>> d = TruncatedDistribution(Normal(0.0, 1.0), low=0.0, high=2.0)
        >>> type(d).__name__
        'TwoSidedTruncatedDistribution'
    """
    if low is None and high is None:
        return base_dist
    if high is None:
        return LeftTruncatedDistribution(
            base_dist, low=low, validate_args=validate_args
        )
    if low is None:
        return RightTruncatedDistribution(
            base_dist, high=high, validate_args=validate_args
        )
    return TwoSidedTruncatedDistribution(
        base_dist, low=low, high=high, validate_args=validate_args
    )


def TruncatedCauchy(
    loc: ArrayLike = 0.0,
    scale: ArrayLike = 1.0,
    *,
    low: Optional[ArrayLike] = None,
    high: Optional[ArrayLike] = None,
    validate_args: Optional[bool] = None,
) -> Distribution:
    """
    A Cauchy distribution truncated to ``[low, high]``; see
    :func:`TruncatedDistribution`.

    :param loc: location of the Cauchy distribution.
    :param scale: scale of the Cauchy distribution.
    :param low: lower end of the support, or ``None``.
    :param high: upper end of the support, or ``None``.

    **Example**

    .. doctest::

        >>> from numpyro_mixsupport.distributions.truncated import TruncatedCauchy
        >>> d = TruncatedCauchy(0.0, 1.0, low=-1.0, high=1.0)
        >>> print(round(float(d.cdf(1.0)), 4))
        1.0
    """
    return TruncatedDistribution(
        Cauchy(loc, scale), low=low, high=high, validate_args=validate_args
    )


def TruncatedNormal(
    loc: ArrayLike = 0.0,
    scale: ArrayLike = 1.0,
    *,
    low: Optional[ArrayLike] = None,
    high: Optional[ArrayLike] = None,
    validate_args: Optional[bool] = None,
) -> Distribution:
    """
    A normal distribution truncated to ``[low, high]``; see
    :func:`TruncatedDistribution`.

    :param loc: mean of the normal distribution.
    :param scale: standard deviation of the normal distribution.
    :param low: lower end of the support, or ``None``.
    :param high: upper end of the support, or ``None``.

    **Example**

    .. doctest::

        >>> from numpyro_mixsupport.distributions.truncated import TruncatedNormal
        >>> d = TruncatedNormal(0.0, 1.0, low=8.0, high=9.0)
        >>> print(round(float(d.log_prob(8.5)), 4))
        -2.0303
    """
    return TruncatedDistribution(
        Normal(loc, scale), low=low, high=high, validate_args=validate_args
    )


def _log_expm1_ratio(t: ArrayLike) -> Array:
    """``log(expm1(t) / t)``, smooth and NaN-free through ``t = 0``.

    Away from zero the ratio is taken as ``max(t, 0) + log(-expm1(-|t|)) - log|t|``,
    which neither overflows nor cancels; near zero a Taylor series is used (the
    function is the cumulant generating function of ``Uniform(0, 1)``). Both
    branches see only inputs valid for them, so their gradients stay finite.
    """
    small = jnp.less(jnp.abs(t), 1e-2)
    t_big = jnp.where(small, 1.0, t)
    abs_t = jnp.abs(t_big)
    big = jnp.maximum(t_big, 0.0) + jnp.log(-jnp.expm1(-abs_t)) - jnp.log(abs_t)
    t_small = jnp.where(small, t, 0.0)
    t2 = t_small * t_small
    series = t_small / 2 + t2 / 24 - t2 * t2 / 2880
    return jnp.where(small, series, big)


def _series_threshold(dtype: jnp.dtype) -> float:
    """``|t|`` below which :func:`_bernoulli_cgf_ratio_series` is exact to the
    precision of ``dtype`` (its first omitted term is below ``3.5e-4 t**5``), and
    above which the closed forms lose little to rounding."""
    return (float(jnp.finfo(dtype).eps) / 3.5e-4) ** 0.2


def _bernoulli_cgf_ratio_series(t: ArrayLike, q: ArrayLike) -> Array:
    """``log(1 + q expm1(t)) / t`` for small ``|t|``: the cumulant generating
    function of ``Bernoulli(q)`` over ``t``, by its Taylor series."""
    k2 = q * (1 - q)
    k3 = k2 * (1 - 2 * q)
    k4 = k2 * (1 - 6 * k2)
    k5 = k3 * (1 - 12 * k2)
    return q + t * (k2 / 2 + t * (k3 / 6 + t * (k4 / 24 + t * k5 / 120)))


class DoublyTruncatedPowerLaw(Distribution):
    r"""
    Power law with index :math:`\alpha` on the interval :math:`[a, b]`,

    .. math::

        p(x) = \frac{x^{\alpha}}{Z(\alpha, a, b)}, \qquad a \le x \le b,

    with normalizer

    .. math::

        Z(\alpha, a, b) = \int_a^b x^\alpha \, dx = \begin{cases}
            \dfrac{b^{\alpha + 1} - a^{\alpha + 1}}{\alpha + 1}
                & \alpha \ne -1, \\
            \log b - \log a & \alpha = -1.
        \end{cases}

    With :math:`t = (\alpha + 1) \log(b / a)` the normalizer is evaluated as
    :math:`\log Z = (\alpha + 1) \log a + \log\log(b / a) + \log(\mathrm{expm1}(t) / t)`,
    which is continuous, smooth and accurate through :math:`\alpha = -1`, so
    ``log_prob``, ``cdf``, ``icdf`` and samples are differentiable in
    :math:`\alpha`, :math:`a` and :math:`b` by plain autodiff. ``low`` may be zero
    when :math:`\alpha > -1`.

    :param alpha: index of the power law.
    :param low: lower end :math:`a \ge 0` of the support.
    :param high: upper end :math:`b > a` of the support.

    **Example**

    .. doctest::

        >>> import jax
        >>> from numpyro_mixsupport.distributions.truncated import (
        ...     DoublyTruncatedPowerLaw,
        ... )
        >>> d = DoublyTruncatedPowerLaw(alpha=-2.0, low=1.0, high=10.0)
        >>> print(round(float(d.log_prob(2.0)), 4))  # log(2**-2 / 0.9)
        -1.2809
        >>> print(round(float(d.cdf(d.icdf(0.25))), 4))
        0.25
        >>> x = d.sample(jax.random.key(0), (1000,))
        >>> bool(((x >= 1.0) & (x <= 10.0)).all())
        True
    """

    arg_constraints = {
        "alpha": constraints.real,
        "low": constraints.greater_than_eq(0),
        "high": constraints.greater_than(0),
    }
    reparametrized_params = ["alpha", "low", "high"]
    pytree_data_fields = ("alpha", "low", "high", "_support")
    _support: constraints.Constraint

    def __init__(
        self,
        alpha: ArrayLike,
        low: ArrayLike,
        high: ArrayLike,
        *,
        validate_args: Optional[bool] = None,
    ):
        self.alpha, self.low, self.high = promote_shapes(alpha, low, high)
        self._support = constraints.interval(cast(NumLike, low), cast(NumLike, high))
        batch_shape = lax.broadcast_shapes(
            jnp.shape(alpha), jnp.shape(low), jnp.shape(high)
        )
        super().__init__(batch_shape=batch_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Constraint:
        return self._support

    def _log_bounds(self) -> tuple[Array, Array, Array, Array]:
        """``(low > 0, log low, log high, log(high / low))`` with a safe ``low``.

        Where ``low`` is zero a stand-in ``high / 2`` keeps the ``low > 0`` branch
        finite; its result is discarded there.
        """
        positive_low = jnp.greater(self.low, 0)
        low = jnp.where(positive_low, self.low, 0.5 * self.high)
        log_low = jnp.log(low)
        log_high = jnp.log(self.high)
        return positive_low, log_low, log_high, log_high - log_low

    def _index_for_zero_low(self) -> tuple[Array, Array]:
        """``(alpha + 1 > 0, alpha + 1)``, the latter set to one where not positive.

        With ``low = 0`` the distribution is proper only for ``alpha > -1``.
        """
        one_more_alpha = self.alpha + 1
        proper = jnp.greater(one_more_alpha, 0)
        return proper, jnp.where(proper, one_more_alpha, 1.0)

    def _log_normalizer(self) -> Array:
        """``log Z``; ``inf`` for ``low = 0`` and ``alpha <= -1``, where the
        distribution is improper."""
        positive_low, log_low, log_high, log_width = self._log_bounds()
        # low > 0: log Z = (alpha + 1) log a + log log(b / a) + log(expm1(t) / t)
        t = (self.alpha + 1) * log_width
        log_z = (self.alpha + 1) * log_low + jnp.log(log_width) + _log_expm1_ratio(t)
        # low = 0: log Z = (alpha + 1) log b - log(alpha + 1), if alpha > -1
        proper, one_more_alpha = self._index_for_zero_low()
        log_z_zero_low = jnp.where(
            proper, one_more_alpha * log_high - jnp.log(one_more_alpha), jnp.inf
        )
        return jnp.where(positive_low, log_z, log_z_zero_low)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        # As elsewhere in NumPyro, values outside the support are set to -inf by
        # the check of values against the support; without it the expression
        # is evaluated at positive values, and is -inf at the others outside
        # the support. Gradients are finite everywhere. x = 0 is in the support
        # only where low = 0, and x ** alpha is 0, 1 or inf there. Where log Z
        # is not finite (improper for low = 0 and alpha <= -1, or degenerate
        # parameters) log_prob is -inf.
        log_z = self._log_normalizer()
        finite = jnp.isfinite(log_z)
        log_z = jnp.where(finite, log_z, jnp.inf)
        # the density at x = 0 is zero, or x = 0 lies outside the support
        nothing_at_zero = jnp.logical_or(
            jnp.greater(self.alpha, 0), jnp.greater(self.low, 0)
        )
        log_at_zero = jnp.where(
            jnp.logical_or(nothing_at_zero, jnp.logical_not(finite)),
            -jnp.inf,
            jnp.where(jnp.less(self.alpha, 0), jnp.inf, 0.0),
        )
        alpha, log_z, log_at_zero = _apart(self.alpha, log_z, log_at_zero)
        positive = jnp.greater(value, 0)
        log_value = jnp.log(jnp.where(positive, value, 1.0))
        at_zero = jnp.where(jnp.equal(value, 0), log_at_zero, -jnp.inf)
        return jnp.where(positive, alpha * log_value, at_zero) - log_z

    def cdf(self, value: ArrayLike) -> Array:
        r"""
        .. math::

            F(x) = \frac{x^{\alpha + 1} - a^{\alpha + 1}}{b^{\alpha + 1} - a^{\alpha + 1}}
            \quad (\alpha \ne -1), \qquad
            F(x) = \frac{\log(x / a)}{\log(b / a)} \quad (\alpha = -1).

        :param value: points at which to evaluate the distribution function.
        """
        # x = low is evaluated by the formula, so its gradient is the one-sided
        # derivative from inside the support.
        below = jnp.logical_or(jnp.less(value, self.low), jnp.less_equal(value, 0))
        above = jnp.greater(value, self.high)
        inside = jnp.logical_not(jnp.logical_or(below, above))
        log_value = jnp.log(jnp.where(inside, value, self.high))
        positive_low, log_low, log_high, log_width = self._log_bounds()

        # F = expm1(u) / expm1(t) with u = (alpha + 1) log(x / a), t = u(x = b)
        one_more_alpha = self.alpha + 1
        log_ratio = log_value - log_low
        u = one_more_alpha * log_ratio
        t = one_more_alpha * log_width
        cdf = jnp.exp(_log_expm1_ratio(u) - _log_expm1_ratio(t)) * (
            log_ratio / log_width
        )

        # low = 0: F = (x / b) ** (alpha + 1)
        proper, safe_one_more_alpha = self._index_for_zero_low()
        cdf_zero_low = jnp.where(
            proper, jnp.exp(safe_one_more_alpha * (log_value - log_high)), jnp.nan
        )
        cdf = jnp.where(positive_low, cdf, cdf_zero_low)
        # ``where`` rather than ``clip``, which would halve the gradient at the ends
        cdf = jnp.where(jnp.greater(cdf, 1.0), 1.0, cdf)
        return jnp.where(below, 0.0, jnp.where(above, 1.0, cdf))

    def icdf(self, q: ArrayLike) -> Array:
        r"""
        .. math::

            F^{-1}(q) = \left(a^{\alpha + 1}
                + q \left(b^{\alpha + 1} - a^{\alpha + 1}\right)\right)^{1 / (\alpha + 1)}
            \quad (\alpha \ne -1), \qquad
            F^{-1}(q) = a \left(\frac{b}{a}\right)^{q} \quad (\alpha = -1).

        :param q: probabilities in :math:`[0, 1]`; others give ``nan``.
        """
        q = jnp.asarray(q)
        positive_low, log_low, log_high, log_width = self._log_bounds()
        # with s = alpha + 1 and t = s log(b / a), x = a w ** (1 / s) with
        # w = 1 - q + q (b / a) ** s where t < 0, and x = b w ** (1 / s) with
        # w = q + (1 - q) (a / b) ** s where t > 0 (a = 0 included): both terms
        # of w are positive, so one log and one exp per point suffice
        one_more_alpha = self.alpha + 1
        t = jnp.where(positive_low, one_more_alpha * log_width, jnp.inf)
        small = jnp.less(jnp.abs(t), _series_threshold(jnp.result_type(q, t)))
        negative = jnp.less(t, 0)
        ratio = jnp.where(positive_low, jnp.exp(-jnp.abs(t)), 0.0)
        inverse = 1 / jnp.where(small, 1.0, one_more_alpha)
        # |t| small: log(x / a) = log(b / a) log(1 + q expm1(t)) / t by its series
        t_small = jnp.where(small, t, 0.0)
        negative, small, log_low, log_end, log_width, t_small, ratio, inverse = _apart(
            negative,
            small,
            log_low,
            jnp.where(negative, log_low, log_high),
            log_width,
            t_small,
            ratio,
            inverse,
        )
        negative, small = negative > 0, small > 0
        p_hi = jnp.where(negative, q, 1 - q)
        w = jnp.where(negative, 1 - q, q) + p_hi * ratio
        positive = jnp.greater(w, 0)
        log_x = log_end + jnp.log(jnp.where(positive, w, 1.0)) * inverse
        log_x = jnp.where(positive, log_x, -jnp.inf)
        series = log_low + log_width * _bernoulli_cgf_ratio_series(t_small, q)
        x = jnp.exp(jnp.where(small, series, log_x))
        # keep rounding inside the support; ``where`` keeps the full gradient at
        # the ends, where ``clip`` would halve it
        x = jnp.where(jnp.less(x, self.low), self.low, x)
        x = jnp.where(jnp.greater(x, self.high), self.high, x)
        # nan outside [0, 1], and for low = 0 and alpha <= -1 (improper)
        valid = jnp.logical_and(jnp.greater_equal(q, 0), jnp.less_equal(q, 1))
        valid = jnp.logical_and(valid, jnp.logical_or(positive_low, one_more_alpha > 0))
        return jnp.where(valid, x, jnp.nan)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        assert is_prng_key(key)
        assert key is not None
        u = random.uniform(key, sample_shape + self.batch_shape)
        return self.icdf(u)
