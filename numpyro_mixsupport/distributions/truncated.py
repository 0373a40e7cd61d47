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
  work in log space: the normalizer from ``log_cdf``, ``cdf`` from differences
  of log tail probabilities and, for a ``Normal`` base, ``icdf`` (and so
  ``sample``) by inverting ``log_ndtr``. ``log_prob``, ``cdf``, ``icdf``,
  samples and their gradients stay accurate, in float32 too, when truncating
  many scales into a tail, where NumPyro 0.22's one-sided classes give NaN or
  infinite values.
"""

import math
from typing import Optional, Union, cast

import jax
from jax import Array, lax
import jax.numpy as jnp
import jax.random as random
from jax.scipy.special import log_ndtr, ndtri
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
    clamp_probs,
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


def _log_cdf(base_dist: Distribution, value: ArrayLike) -> Array:
    """``log F(value)``, by the base distribution's ``log_cdf`` where it has one.

    For a ``Cauchy`` base, ``F(x) = atan2(1, -z) / pi`` with ``z = (x - loc) /
    scale``, which is free of the cancellation in ``1/2 + atan(z) / pi`` in the left
    tail.
    """
    if isinstance(base_dist, Cauchy):
        z = (value - base_dist.loc) / base_dist.scale
        return jnp.log(jnp.arctan2(1.0, -z)) - math.log(math.pi)
    log_cdf = getattr(base_dist, "log_cdf", None)
    if callable(log_cdf):
        return log_cdf(value)
    return jnp.log(base_dist.cdf(value))


def _log1mexp(t: ArrayLike) -> Array:
    """``log(1 - exp(t))`` for ``t <= 0``, accurate for small and large ``|t|``."""
    near_zero = jnp.greater(t, -math.log(2.0))
    t_near = jnp.where(near_zero, t, -1.0)
    t_far = jnp.where(near_zero, -1.0, t)
    return jnp.where(near_zero, jnp.log(-jnp.expm1(t_near)), jnp.log1p(-jnp.exp(t_far)))


@jax.custom_jvp
def _ndtri_exp(log_p: ArrayLike) -> Array:
    r"""The standard normal quantile of ``exp(log_p)``: ``x`` with
    :math:`\log\Phi(x) = \mathrm{log\_p}`, also where ``exp(log_p)`` underflows.

    Where ``exp(log_p)`` is comfortably representable this is
    ``ndtri(exp(log_p))``, or ``-ndtri(-expm1(log_p))`` above ``log(1/2)``. Below,
    the asymptotic :math:`x_0 = -\sqrt{t - \log t - \log 2\pi}` with
    :math:`t = -2\,\mathrm{log\_p}` is refined by Newton steps on
    :math:`\log\Phi(x) - \mathrm{log\_p}`. The derivative,
    :math:`\Phi(x) / \phi(x)`, is supplied directly.
    """
    log_p = jnp.asarray(log_p, dtype=jnp.result_type(log_p, float))
    threshold = 0.75 * math.log(float(jnp.finfo(log_p.dtype).tiny))
    in_tail = jnp.less(log_p, threshold)
    upper = jnp.greater(log_p, -math.log(2.0))
    # each branch sees only inputs valid for it
    log_p_middle = jnp.where(jnp.logical_or(in_tail, upper), -1.0, log_p)
    log_p_upper = jnp.where(upper, log_p, -1.0)
    log_p_tail = jnp.where(
        jnp.logical_and(in_tail, jnp.isfinite(log_p)), log_p, 2 * threshold
    )
    middle = ndtri(jnp.exp(log_p_middle))
    above = -ndtri(-jnp.expm1(log_p_upper))
    t = -2 * log_p_tail
    x = -jnp.sqrt(t - jnp.log(t) - math.log(2 * math.pi))
    for _ in range(3):
        log_cdf = log_ndtr(x)
        log_pdf = -0.5 * x * x - 0.5 * math.log(2 * math.pi)
        x = x - (log_cdf - log_p_tail) * jnp.exp(log_cdf - log_pdf)
    tail = jnp.where(jnp.isneginf(log_p), -jnp.inf, x)
    return jnp.where(in_tail, tail, jnp.where(upper, above, middle))


@_ndtri_exp.defjvp
def _ndtri_exp_jvp(
    primals: tuple[ArrayLike], tangents: tuple[ArrayLike]
) -> tuple[Array, Array]:
    (log_p,), (log_p_dot,) = primals, tangents
    x = _ndtri_exp(log_p)
    finite = jnp.isfinite(x)
    x_safe = jnp.where(finite, x, 0.0)
    log_pdf = -0.5 * x_safe * x_safe - 0.5 * math.log(2 * math.pi)
    slope = jnp.where(finite, jnp.exp(log_p - log_pdf), 0.0)
    return x, slope * log_p_dot


def _quantile_from_log_prob(base_dist: Distribution, log_p: ArrayLike) -> Array:
    """``x`` with ``log F(x) = log_p <= log(1/2)``: in log space for a ``Normal``
    base, as ``loc - scale / tan(pi p)`` for a ``Cauchy`` base (accurate for small
    ``p``), else by ``base_dist.icdf`` of the (clamped) probability."""
    if isinstance(base_dist, Normal):
        return base_dist.loc + base_dist.scale * _ndtri_exp(log_p)
    if isinstance(base_dist, Cauchy):
        return base_dist.loc - base_dist.scale / jnp.tan(math.pi * jnp.exp(log_p))
    return base_dist.icdf(clamp_probs(jnp.exp(log_p)))


def _mirror(
    base_dist: Distribution, low: Optional[Array], high: Optional[Array]
) -> Array:
    """+1 where the support reaches below ``loc`` (the problem is used as is), -1
    where it lies above ``loc`` (the problem is reflected about ``loc``). After
    the reflection the lower end of the support, ``A``, is at most ``loc``."""
    loc = base_dist.loc
    if low is None:
        return jnp.where(jnp.less_equal(high, loc), 1.0, -1.0)
    return jnp.where(jnp.greater_equal(loc, low), 1.0, -1.0)


def _normal_log_cdf_plus_half_square(z: ArrayLike) -> Array:
    """``log Phi(z) + z**2 / 2``, free of the cancellation of forming it from
    ``log_ndtr(z)`` far in the left tail: there it is ``log R(-z) - log(2 pi) / 2``
    with the Mills ratio ``R`` from Laplace's continued fraction."""
    far = jnp.less(z, -4.0)
    t = jnp.where(far, -z, 4.0)
    fraction = t
    for k in range(30, 0, -1):
        fraction = t + k / fraction
    tail = -jnp.log(fraction) - 0.5 * math.log(2 * math.pi)
    z_near = jnp.where(far, 0.0, z)
    return jnp.where(far, tail, log_ndtr(z_near) + 0.5 * z_near * z_near)


def _log_cdf_gap(
    base_dist: Distribution,
    u: ArrayLike,
    v: ArrayLike,
    u_minus_v: ArrayLike,
    log_cdf_u: ArrayLike,
    log_cdf_v: ArrayLike,
) -> Array:
    """``log F(u) - log F(v)``, given both terms and ``u - v`` computed directly.

    For a ``Normal`` base with both points in the left tail the difference is
    formed as ``h(z_u) - h(z_v) - (z_u - z_v)(z_u + z_v) / 2`` with ``h(z) =
    log Phi(z) + z**2 / 2``, which keeps it accurate when ``u`` and ``v`` are close
    and far in the tail, where the two logs are large and nearly equal.
    """
    plain = log_cdf_u - log_cdf_v
    if not isinstance(base_dist, Normal):
        return plain
    loc, scale = base_dist.loc, base_dist.scale
    z_u, z_v = (u - loc) / scale, (v - loc) / scale
    left = jnp.logical_and(jnp.less_equal(z_u, 0), jnp.less_equal(z_v, 0))
    left = jnp.logical_and(left, jnp.isfinite(z_u) & jnp.isfinite(z_v))
    z_u, z_v = jnp.where(left, z_u, -1.0), jnp.where(left, z_v, -1.0)
    dz = jnp.where(left, u_minus_v / scale, 0.0)
    tail = (
        _normal_log_cdf_plus_half_square(z_u)
        - _normal_log_cdf_plus_half_square(z_v)
        - 0.5 * dz * (z_u + z_v)
    )
    return jnp.where(left, tail, plain)


def _mirrored_tails(
    base_dist: Distribution, low: Optional[Array], high: Optional[Array]
) -> tuple[Array, Array, Array, Array, Array]:
    """The truncation in mirrored coordinates, for a symmetric base distribution.

    With ``L`` and ``H`` the ends reflected about ``loc`` where ``mirror`` is -1,
    the support is ``[A, B] = [L, H]`` where ``mirror`` is +1 and ``[H, L]`` where
    it is -1, and ``F(A) <= 1/2`` is a left-tail probability. Returns ``(mirror,
    log F(L), log F(H), log(1 - F(B)), log(F(B) - F(A)))``; a missing end (``None``)
    stands for an infinite one. Everything is in log space, so it stays finite and
    accurate far in either tail.
    """
    loc = base_dist.loc
    mirror = _mirror(base_dist, low, high)
    ends = []
    for end, infinite in ((low, -jnp.inf), (high, jnp.inf)):
        if end is None:
            reflected = mirror * infinite
            # log F and log(1 - F) at the reflected infinite end
            ends.append(
                (
                    jnp.where(reflected > 0, 0.0, -jnp.inf),
                    jnp.where(reflected > 0, -jnp.inf, 0.0),
                )
            )
        else:
            offset = mirror * (end - loc)
            ends.append(
                (_log_cdf(base_dist, loc + offset), _log_cdf(base_dist, loc - offset))
            )
    (log_cdf_low, log_sf_low), (log_cdf_high, log_sf_high) = ends
    positive = mirror > 0
    if low is None or high is None:
        gap = log_cdf_high - log_cdf_low
    else:
        gap = _log_cdf_gap(
            base_dist,
            loc + mirror * (high - loc),
            loc + mirror * (low - loc),
            mirror * (high - low),
            log_cdf_high,
            log_cdf_low,
        )
    # log F(B) and log F(A) - log F(B)
    log_cdf_b = jnp.where(positive, log_cdf_high, log_cdf_low)
    gap_ab = jnp.where(positive, -gap, gap)
    log_sf_b = jnp.where(positive, log_sf_high, log_sf_low)
    log_mass = log_cdf_b + _log1mexp(gap_ab)
    return mirror, log_cdf_low, log_cdf_high, log_sf_b, log_mass


def _clamp(value: ArrayLike, low: Optional[Array], high: Optional[Array]) -> Array:
    # ``where`` rather than ``clip``, which would halve the gradient at the ends
    value = jnp.asarray(value)
    if low is not None:
        value = jnp.where(jnp.less(value, low), low, value)
    if high is not None:
        value = jnp.where(jnp.greater(value, high), high, value)
    return value


def _mirrored_log_prob(
    d: Distribution, low: Optional[Array], high: Optional[Array], value: ArrayLike
) -> Array:
    """``log f(x) - log(F(B) - F(A))``, the normalizer from log tail
    probabilities."""
    return d.base_dist.log_prob(value) - d._tails()[-1]


def _truncated_cdf(
    d: Distribution, low: Optional[Array], high: Optional[Array], value: ArrayLike
) -> Array:
    """``(F(x) - F(low)) / (F(high) - F(low))`` as a ratio of tail probabilities.

    In mirrored coordinates ``X``, the mass between ``A`` and ``X`` (where not
    mirrored) or between ``X`` and ``B`` (where mirrored) over the total, each
    from the exponential of differences of log tail probabilities.
    """
    mirror, log_cdf_low, log_cdf_high, _, log_mass = d._tails()
    base_dist = d.base_dist
    loc = base_dist.loc
    inside = _clamp(value, low, high)
    x = loc + mirror * (inside - loc)
    log_cdf_x = _log_cdf(base_dist, x)

    def gap_to(end: Optional[Array], log_cdf_end: Array) -> Array:
        # log F(X) - log F(E), E the reflected end; F(-inf) = 0, F(inf) = 1
        if end is None:
            return jnp.where(jnp.isneginf(log_cdf_end), jnp.inf, log_cdf_x)
        reflected = loc + mirror * (end - loc)
        return _log_cdf_gap(
            base_dist, x, reflected, mirror * (inside - end), log_cdf_x, log_cdf_end
        )

    gap_low, gap_high = gap_to(low, log_cdf_low), gap_to(high, log_cdf_high)
    positive = mirror > 0
    gap_ax = -jnp.where(positive, gap_low, gap_high)  # log F(A) - log F(X)
    gap_xb = jnp.where(positive, gap_high, gap_low)  # log F(X) - log F(B)
    log_cdf_b = jnp.where(positive, log_cdf_high, log_cdf_low)
    log_mass_ratio = log_mass - log_cdf_b  # log((F(B) - F(A)) / F(B))
    below = jnp.exp(gap_xb - log_mass_ratio) * -jnp.expm1(gap_ax)
    above = jnp.exp(-log_mass_ratio) * -jnp.expm1(gap_xb)
    cdf = jnp.where(positive, below, above)
    # ``where`` rather than ``clip``, which would halve the gradient at the ends
    cdf = jnp.where(jnp.greater(cdf, 1.0), 1.0, cdf)
    cdf = jnp.where(jnp.less(cdf, 0.0), 0.0, cdf)
    if low is not None:
        cdf = jnp.where(jnp.less(value, low), 0.0, cdf)
    if high is not None:
        cdf = jnp.where(jnp.greater(value, high), 1.0, cdf)
    return cdf


def _truncated_icdf(
    d: Distribution, low: Optional[Array], high: Optional[Array], q: ArrayLike
) -> Array:
    """The quantile, found in mirrored coordinates from the smaller of
    ``log F(X) = log(F(A) + p (F(B) - F(A)))`` and
    ``log(1 - F(X)) = log(1 - F(B) + (1 - p) (F(B) - F(A)))``, where ``p`` is
    ``q``, or ``1 - q`` where mirrored."""
    mirror, log_cdf_low, log_cdf_high, log_sf_b, log_mass = d._tails()
    log_cdf_a = jnp.where(mirror > 0, log_cdf_low, log_cdf_high)
    base_dist = d.base_dist
    loc = base_dist.loc
    q = jnp.asarray(q)
    valid = jnp.logical_and(jnp.greater_equal(q, 0), jnp.less_equal(q, 1))
    q = jnp.where(valid, q, 0.5)
    log_q, log_1mq = jnp.log(q), jnp.log1p(-q)
    log_p = jnp.where(mirror > 0, log_q, log_1mq)
    log_1mp = jnp.where(mirror > 0, log_1mq, log_q)
    log_cdf_x = jnp.logaddexp(log_cdf_a, log_p + log_mass)
    log_sf_x = jnp.logaddexp(log_sf_b, log_1mp + log_mass)
    lower = jnp.less(log_cdf_x, -math.log(2.0))
    x_lower = _quantile_from_log_prob(
        base_dist, jnp.where(lower, log_cdf_x, -math.log(2.0))
    )
    x_upper = 2 * loc - _quantile_from_log_prob(
        base_dist, jnp.where(lower, -math.log(2.0), log_sf_x)
    )
    mirrored = jnp.where(lower, x_lower, x_upper)
    quantile = _clamp(loc + mirror * (mirrored - loc), low, high)
    return jnp.where(valid, quantile, jnp.nan)


def _truncated_sample(
    d: Distribution, key: Optional[jax.Array], sample_shape: tuple[int, ...]
) -> Array:
    assert is_prng_key(key)
    assert key is not None
    dtype = jnp.result_type(d.base_dist.loc, d.base_dist.scale, float)
    u = random.uniform(
        key,
        shape=sample_shape + d.batch_shape,
        dtype=dtype,
        minval=jnp.finfo(dtype).tiny,
    )
    return d.icdf(u)


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
    about ``loc``, so that the normalizer is a left-tail probability, and it is
    taken in log space when the base distribution has a ``log_cdf``; for a
    ``Normal`` base the quantile is also found in log space. ``log_prob``,
    ``cdf``, ``icdf``, samples and their gradients therefore stay accurate, in
    float32 too, when ``low`` is many scales above ``loc``.

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

    def _tails(self) -> tuple[Array, Array, Array, Array, Array]:
        return _mirrored_tails(self.base_dist, self.low, None)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, self.low, None, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, self.low, None, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return _mirrored_log_prob(self, self.low, None, value)

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
    mirrored about ``loc``; the normalizer is taken in log space when the base
    distribution has a ``log_cdf``, and for a ``Normal`` base the quantile too, so
    that ``log_prob``, ``cdf``, ``icdf``, samples and their gradients stay
    accurate, in float32 too, when ``high`` is many scales below ``loc``.

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

    def _tails(self) -> tuple[Array, Array, Array, Array, Array]:
        return _mirrored_tails(self.base_dist, None, self.high)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, None, self.high, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, None, self.high, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return _mirrored_log_prob(self, None, self.high, value)

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
    probabilities, and it is taken in log space when the base distribution has a
    ``log_cdf``, as are ``cdf`` and, for a ``Normal`` base, ``icdf``. Values and
    gradients therefore stay accurate far into either tail, in float32 too.

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

    def _tails(self) -> tuple[Array, Array, Array, Array, Array]:
        return _mirrored_tails(self.base_dist, self.low, self.high)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        return _truncated_sample(self, key, sample_shape)

    def icdf(self, q: ArrayLike) -> Array:
        return _truncated_icdf(self, self.low, self.high, q)

    def cdf(self, value: ArrayLike) -> Array:
        return _truncated_cdf(self, self.low, self.high, value)

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return _mirrored_log_prob(self, self.low, self.high, value)

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


def _log1p_q_expm1_ratio(t: ArrayLike, q: ArrayLike) -> Array:
    """``log(1 + q * expm1(t)) / t``, smooth and NaN-free through ``t = 0``.

    The numerator is the cumulant generating function of ``Bernoulli(q)``, taken
    as ``logaddexp(log(1 - q), log(q) + t)`` away from zero and by its Taylor
    series (the Bernoulli cumulants) near zero. At ``q = 0`` and ``q = 1`` it is
    replaced by its tangent line in ``q``, which has the same value and a finite
    derivative where ``log(q)`` or ``log(1 - q)`` has none.
    """
    small = jnp.less(jnp.abs(t), 1e-3)
    t_big = jnp.where(small, 1.0, t)
    interior = jnp.logical_and(jnp.greater(q, 0), jnp.less(q, 1))
    q_interior = jnp.where(interior, q, 0.5)
    cgf = jnp.logaddexp(jnp.log1p(-q_interior), jnp.log(q_interior) + t_big)
    t_clipped = jnp.clip(t_big, -700.0, 700.0)
    cgf_at_ends = jnp.where(
        jnp.less_equal(q, 0),
        q * jnp.expm1(t_clipped),
        t_big + (1 - q) * jnp.expm1(-t_clipped),
    )
    big = jnp.where(interior, cgf, cgf_at_ends) / t_big
    t_small = jnp.where(small, t, 0.0)
    k2 = q * (1 - q)
    k3 = k2 * (1 - 2 * q)
    k4 = k2 * (1 - 6 * k2)
    k5 = k3 * (1 - 12 * k2)
    series = q + t_small * (
        k2 / 2 + t_small * (k3 / 6 + t_small * (k4 / 24 + t_small * k5 / 120))
    )
    return jnp.where(small, series, big)


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

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        inside = jnp.logical_and(
            jnp.greater_equal(value, self.low), jnp.less_equal(value, self.high)
        )
        positive_value = jnp.logical_and(inside, jnp.greater(value, 0))
        log_value = jnp.log(jnp.where(positive_value, value, self.high))
        positive_low, log_low, log_high, log_width = self._log_bounds()

        # low > 0: log Z = (alpha + 1) log a + log log(b / a) + log(expm1(t) / t)
        t = (self.alpha + 1) * log_width
        log_prob = (
            self.alpha * (log_value - log_low)
            - log_low
            - jnp.log(log_width)
            - _log_expm1_ratio(t)
        )

        # low = 0: log Z = (alpha + 1) log b - log(alpha + 1), finite if alpha > -1
        proper, one_more_alpha = self._index_for_zero_low()
        log_prob_zero_low = jnp.where(
            proper,
            self.alpha * log_value
            - one_more_alpha * log_high
            + jnp.log(one_more_alpha),
            -jnp.inf,
        )
        log_prob = jnp.where(positive_low, log_prob, log_prob_zero_low)

        # x = 0 (in the support only when low = 0): x ** alpha is 0, 1 or inf; with
        # the stand-in x = high above, log_prob is -log Z wherever alpha = 0.
        at_zero = jnp.where(
            jnp.greater(self.alpha, 0),
            -jnp.inf,
            jnp.where(jnp.less(self.alpha, 0), jnp.inf, 0.0),
        )
        log_prob = jnp.where(
            positive_value, log_prob, jnp.where(inside, at_zero + log_prob, -jnp.inf)
        )
        return log_prob

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
        valid = jnp.logical_and(jnp.greater_equal(q, 0), jnp.less_equal(q, 1))
        q_safe = jnp.where(valid, q, 0.5)
        positive_low, log_low, log_high, log_width = self._log_bounds()

        # log(x / a) = log(1 + q expm1(t)) / (alpha + 1)
        t = (self.alpha + 1) * log_width
        log_x = log_low + log_width * _log1p_q_expm1_ratio(t, q_safe)

        # low = 0: x = b q ** (1 / (alpha + 1))
        proper, one_more_alpha = self._index_for_zero_low()
        positive_q = jnp.greater(q_safe, 0)
        log_q = jnp.log(jnp.where(positive_q, q_safe, 1.0))
        log_x_zero_low = jnp.where(
            positive_q, log_high + log_q / one_more_alpha, -jnp.inf
        )
        log_x_zero_low = jnp.where(proper, log_x_zero_low, jnp.nan)
        x = jnp.exp(jnp.where(positive_low, log_x, log_x_zero_low))
        # keep rounding inside the support; ``where`` keeps the full gradient at
        # the ends, where ``clip`` would halve it
        x = jnp.where(jnp.less(x, self.low), self.low, x)
        x = jnp.where(jnp.greater(x, self.high), self.high, x)
        return jnp.where(valid, x, jnp.nan)

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        assert is_prng_key(key)
        assert key is not None
        u = random.uniform(key, sample_shape + self.batch_shape)
        return self.icdf(u)
