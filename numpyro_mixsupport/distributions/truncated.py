# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Truncated distributions with correct gradients.

Patch module for ``numpyro/distributions/truncated.py``:

* :class:`DoublyTruncatedPowerLaw` computes its normalizer in plain,
  differentiable JAX. NumPyro 0.22 differentiates it with a hand-written JVP
  whose ``low`` and ``high`` tangents are those of the density rather than of the
  log density, and which approximates the ``alpha`` tangent at ``alpha = -1`` by
  a finite difference.
* :class:`TwoSidedTruncatedDistribution` (and so :func:`TruncatedNormal`)
  mirrors the problem about ``loc`` when the interval lies above it, as
  ``icdf`` already did, so that ``log_prob``, ``cdf`` and their gradients stay
  accurate when truncating far into the right tail.
"""

from typing import Optional, Union, cast

import jax
from jax import Array, lax
import jax.numpy as jnp
import jax.random as random
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
from numpyro.distributions.truncated import (
    LeftTruncatedDistribution,
    RightTruncatedDistribution,
)
from numpyro.distributions.util import (
    clamp_probs,
    lazy_property,
    promote_shapes,
    validate_sample,
)
from numpyro.util import is_prng_key

__all__ = [
    "DoublyTruncatedPowerLaw",
    "TruncatedCauchy",
    "TruncatedDistribution",
    "TruncatedNormal",
    "TwoSidedTruncatedDistribution",
]


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
    ``log_cdf``. Values and gradients therefore stay accurate far into either tail.

    :param base_dist: the distribution to truncate; one of ``Cauchy``, ``Laplace``,
        ``Logistic``, ``Normal``, ``SoftLaplace`` or ``StudentT``.
    :param low: lower end of the support.
    :param high: upper end of the support.

    **Example**

    .. doctest::

        >>> import jax.numpy as jnp
        >>> from numpyro_mixsupport.distributions import Normal
        >>> from numpyro_mixsupport.distributions.truncated import (
        ...     TwoSidedTruncatedDistribution,
        ... )
        >>> d = TwoSidedTruncatedDistribution(Normal(0.0, 1.0), low=-1.0, high=1.0)
        >>> print(round(float(d.cdf(0.0)), 4))
        0.5
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
        assert isinstance(base_dist, self.supported_types), (
            f"{type(base_dist).__name__} is not supported by this class; for a Gamma "
            "base distribution use numpyro.distributions.TruncatedGamma."
        )
        assert base_dist.support is constraints.real, (
            "The base distribution should be univariate and have real support."
        )
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

    @lazy_property
    def _mirror(self) -> Array:
        # +1 where the interval starts below ``loc`` (work with the left tail as
        # is), -1 where it starts above (reflect about ``loc``).
        return jnp.where(self.base_dist.loc >= self.low, 1.0, -1.0)

    def _reflect(self, value: ArrayLike) -> Array:
        loc = self.base_dist.loc
        return loc - self._mirror * (loc - value)

    @lazy_property
    def _tail_prob_at_low(self) -> Array:
        # cdf(low) if low <= loc, else the survival function at low
        return self.base_dist.cdf(self._reflect(self.low))

    @lazy_property
    def _tail_prob_at_high(self) -> Array:
        # cdf(high) if low <= loc, else the survival function at high
        return self.base_dist.cdf(self._reflect(self.high))

    @lazy_property
    def _log_diff_tail_probs(self) -> Array:
        # log(cdf(high) - cdf(low)), from the left tail of the mirrored problem.
        log_cdf = getattr(self.base_dist, "log_cdf", None)
        if not callable(log_cdf):
            return jnp.log(
                self._mirror * (self._tail_prob_at_high - self._tail_prob_at_low)
            )
        log_low = log_cdf(self._reflect(self.low))
        log_high = log_cdf(self._reflect(self.high))
        larger = jnp.where(self._mirror > 0, log_high, log_low)
        smaller = jnp.where(self._mirror > 0, log_low, log_high)
        return larger + jnp.log(-jnp.expm1(smaller - larger))

    def sample(
        self, key: Optional[jax.Array], sample_shape: tuple[int, ...] = ()
    ) -> Array:
        assert is_prng_key(key)
        assert key is not None
        tiny = jnp.finfo(jnp.result_type(float)).tiny
        u = random.uniform(key, shape=sample_shape + self.batch_shape, minval=tiny)
        return self.icdf(u)

    def icdf(self, q: ArrayLike) -> Array:
        # Inverting the mirrored problem keeps the quantile accurate when the
        # interval is far in the right tail, where cdf(low) rounds to one.
        tail_prob = (1 - q) * self._tail_prob_at_low + q * self._tail_prob_at_high
        loc = self.base_dist.loc
        quantile = (1 - self._mirror) * loc + self._mirror * self.base_dist.icdf(
            clamp_probs(tail_prob)
        )
        outside = jnp.logical_or(jnp.less(q, 0), jnp.greater(q, 1))
        return jnp.where(outside, jnp.nan, quantile)

    def cdf(self, value: ArrayLike) -> Array:
        tail_prob = self.base_dist.cdf(self._reflect(value))
        truncated = (tail_prob - self._tail_prob_at_low) / (
            self._tail_prob_at_high - self._tail_prob_at_low
        )
        # ``where`` rather than ``clip``, which would halve the gradient at the ends
        truncated = jnp.where(jnp.greater(truncated, 1.0), 1.0, truncated)
        truncated = jnp.where(jnp.less(truncated, 0.0), 0.0, truncated)
        return jnp.where(
            jnp.less(value, self.low),
            0.0,
            jnp.where(jnp.greater(value, self.high), 1.0, truncated),
        )

    @validate_sample
    def log_prob(self, value: ArrayLike) -> Array:
        return self.base_dist.log_prob(value) - self._log_diff_tail_probs

    @property
    def mean(self) -> Array:
        if isinstance(self.base_dist, Normal):
            pdf_low = jnp.exp(self.log_prob(self.low))
            pdf_high = jnp.exp(self.log_prob(self.high))
            scale = self.base_dist.scale
            return self.base_dist.loc + (pdf_low - pdf_high) * scale**2
        if isinstance(self.base_dist, Cauchy):
            return jnp.full(self.batch_shape, jnp.nan)
        raise NotImplementedError("mean only available for Normal and Cauchy")

    @property
    def variance(self) -> Array:
        if isinstance(self.base_dist, Normal):
            pdf_low = jnp.exp(self.log_prob(self.low))
            pdf_high = jnp.exp(self.log_prob(self.high))
            loc = self.base_dist.loc
            scale = self.base_dist.scale
            return scale**2 * (
                1
                + (self.low - loc) * pdf_low
                - (self.high - loc) * pdf_high
                - ((pdf_low - pdf_high) * scale) ** 2
            )
        if isinstance(self.base_dist, Cauchy):
            return jnp.full(self.batch_shape, jnp.nan)
        raise NotImplementedError("variance only available for Normal and Cauchy")


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
