# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""
Power Law + Peak as population analyses fit it
==============================================

Binary-black-hole population analyses do not see exact masses. Each detected
event comes with posterior samples of its primary mass :math:`m_1`, drawn under a
default prior :math:`\\pi(m_1)`, and the catalogue is biased towards heavy
systems, which are seen further away. The hierarchical likelihood of the
hyperparameters :math:`\\Lambda = (\\alpha, m_\\min, m_\\max, \\lambda, \\mu,
\\sigma)` reweights each event's samples by the population and divides by the
fraction of the population that would be detected,

.. math::

    \\ln \\mathcal{L}(\\Lambda) = \\sum_{i=1}^{N} \\ln \\frac{1}{S} \\sum_{j=1}^{S}
        \\frac{p(m_{ij} \\mid \\Lambda)}{\\pi(m_{ij})}
        - N \\ln \\xi(\\Lambda), \\qquad
    \\xi(\\Lambda) = \\frac{1}{N_\\mathrm{draw}} \\sum_{k\\,\\mathrm{found}}
        \\frac{p(m_k \\mid \\Lambda)}{p_\\mathrm{draw}(m_k)},

with :math:`\\xi` estimated from simulated signals ("injections") drawn from a
reference distribution :math:`p_\\mathrm{draw}` and passed through the same
detection model as the catalogue. :math:`p(m \\mid \\Lambda)` is the Power Law +
Peak ``MixtureGeneral`` of ``examples/power_law_peak.py``. Its support
:math:`[m_\\min, \\max(m_\\max, m_{g\\max})]` moves with the hyperparameters that
NUTS samples, so at every step some posterior samples and injections lie outside
it: their terms are exactly zero, and values and gradients stay finite.

The built-in catalogue (all masses in solar masses):

* true masses from Power Law + Peak at ``TRUTH``;
* measurement: the observed mass is :math:`m_1 e^{\\sigma_i \\epsilon}` with
  :math:`\\epsilon \\sim \\mathcal{N}(0, 1)` and a per-event log-error
  :math:`\\sigma_i \\sim \\mathcal{U}(0.1, 0.3)` (10-30%, known);
* detection: an observation is kept with probability
  :math:`\\min(1, (m^\\mathrm{obs}_1 / 60)^{2.5})` (the sensitive volume grows
  as the chirp mass to the power 5/2), a function of the data only, so the
  events' likelihoods need no correction;
* posterior samples: under a prior log-uniform in :math:`m_1` on
  [``PRIOR_LOW``, ``PRIOR_HIGH``], :math:`\\ln m_1` is a normal of mean
  :math:`\\ln m^\\mathrm{obs}_1` and deviation :math:`\\sigma_i`, truncated to
  the prior's range, and is sampled exactly;
* injections: true masses from a reference distribution, log-uniform on
  [``DRAW_LOW``, ``DRAW_HIGH``] for 70% of the draws and on [``DRAW_LOW``,
  ``DRAW_LOW_HIGH``] for 30% (few low masses are detected), observed and
  detected as above; the found ones are kept with :math:`\\ln p_\\mathrm{draw}`,
  and :math:`N_\\mathrm{draw}` counts them all.

The Monte Carlo sums are trusted only where they have converged, as in
gwpopulation: the log-likelihood is :math:`-\\infty` where the effective sample
size of the selection sum, :math:`\\xi^2 / \\mathrm{Var}[\\xi]`, is at most
:math:`4N` (``ResamplingVT``'s check, from Farr 2019, arXiv:1904.10879), or where
an event's effective sample size :math:`(\\sum_j w_{ij})^2 / \\sum_j w_{ij}^2` is
at most :math:`N` (gwpopulation_pipe's ``MinimumEffectiveSamplesLikelihood``),
and optionally where the variance of the estimate of :math:`\\ln \\mathcal{L}`
exceeds a bound (``maximum_uncertainty``). Without the per-event check, NUTS
finds spurious modes where a steep power law piles its mass on one sample of an
event just above :math:`m_\\min`. :math:`-\\infty` rather than a finite penalty:
the estimate there is not a likelihood at all, and a penalty would leave a slope
for NUTS to follow. NumPyro treats a log density of :math:`-\\infty` as a
divergence and ends the trajectory there, so the guard is a wall at the edge of
the region where the estimate is trusted, and a trajectory that reaches it is
counted as divergent.

The estimate is a step function of :math:`m_\\min` and :math:`m_\\max`: it jumps
each time a bound crosses a sample or an injection, and its gradient misses
those jumps, which is most of its dependence on :math:`m_\\min` (a slope of a few
nats per solar mass where the gradient sees a tenth of one). NUTS on that
gradient takes ever smaller steps and stalls. The gradient NUTS follows is
therefore that of a smoothed estimate: each component evaluated at the nearest
point of its own support, times logistic steps of relative width ``SMOOTHING``
at its ends. The value, which decides every acceptance, is the estimate itself,
so the sampler stays exact: a leapfrog step with any position-dependent force
preserves volume and is reversible. ``--smoothing 0`` runs NUTS on the plain
gradient.

The script fits the six hyperparameters with NUTS, prints an ArviZ summary, the
Monte Carlo diagnostics over the posterior and whether each true value lies in
its 90% interval, and writes two figures: the fitted population against the
truth and a corner plot.

    python examples/population.py --out build/population
    python examples/population.py --quick   # fewer samples and draws, a few minutes
"""

import argparse
import functools
import os
from pathlib import Path
import time
import warnings

import numpy as np
from scipy.stats import truncnorm

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import MCMC, NUTS
import numpyro_mixsupport.distributions as dist

#: Near the GWTC-3 medians (Power Law + Peak), in solar masses.
TRUTH = {
    "alpha": 3.4,
    "m_min": 5.0,
    "m_max": 87.0,
    "lam": 0.04,
    "mu": 34.0,
    "sigma": 3.6,
}
NAMES = list(TRUTH)
LABELS = [r"$\alpha$", r"$m_\min$", r"$m_\max$", r"$\lambda$", r"$\mu$", r"$\sigma$"]
#: Upper end of the Gaussian component, as in the community's reference code.
M_GMAX = 100.0
#: Uniform priors on the hyperparameters.
PRIOR = {
    "alpha": (-4.0, 12.0),
    "m_min": (2.0, 10.0),
    "m_max": (40.0, 150.0),
    "lam": (0.0, 1.0),
    "mu": (20.0, 50.0),
    "sigma": (1.0, 10.0),
}
#: The events' posterior samples are drawn under a prior log-uniform on this range.
PRIOR_LOW, PRIOR_HIGH = 1.0, 1000.0
#: Injections are drawn log-uniform on this range, which covers every population
#: the priors allow, except a fraction drawn log-uniform up to DRAW_LOW_HIGH.
DRAW_LOW, DRAW_HIGH = 2.0, 200.0
DRAW_LOW_FRACTION, DRAW_LOW_HIGH = 0.3, 12.0
#: Range of the per-event log-errors.
ERROR_LOW, ERROR_HIGH = 0.1, 0.3
#: Detection: probability min(1, (observed mass / DETECTION_MASS) ** DETECTION_POWER).
DETECTION_MASS, DETECTION_POWER = 60.0, 2.5
#: The relative width over which the gradient that NUTS follows sees the edges
#: of the support (see the module's docstring).
SMOOTHING = 0.02
#: Population draws per batch when simulating a catalogue.
BATCH = 10_000


def mass_distribution(
    alpha, m_min, m_max, lam, mu, sigma, m_gmax=M_GMAX, validate_args=None
):
    """The Power Law + Peak primary-mass distribution as a ``MixtureGeneral``."""
    mixing = dist.Categorical(probs=jnp.stack([1.0 - lam, lam], axis=-1))
    power_law = dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max)
    peak = dist.TruncatedNormal(mu, sigma, low=m_min, high=m_gmax)
    return dist.MixtureGeneral(mixing, [power_law, peak], validate_args=validate_args)


def detection_probability(observed_mass):
    """The probability that an observation with this mass is detected."""
    return np.minimum(1.0, (observed_mass / DETECTION_MASS) ** DETECTION_POWER)


def _observe(rng, true_mass):
    """Observed masses, log-errors and which observations are detected."""
    error = rng.uniform(ERROR_LOW, ERROR_HIGH, true_mass.shape)
    observed = true_mass * np.exp(error * rng.standard_normal(true_mass.shape))
    detected = rng.uniform(size=true_mass.shape) < detection_probability(observed)
    return observed, error, detected


@jax.jit
def _draw_population(key, params):
    return mass_distribution(**params, validate_args=False).sample(key, (BATCH,))


def simulate_catalogue(seed, num_events, num_samples, truth=None):
    """
    A catalogue of ``num_events`` detected events, each with ``num_samples``
    posterior samples of its primary mass.

    :return: a dict with ``m1`` and ``ln_prior`` of shape ``(num_events,
        num_samples)`` (the samples and the log of the prior they were drawn
        under), and the true and observed masses and the log-errors of shape
        ``(num_events,)``.
    """
    truth = TRUTH if truth is None else truth
    rng = np.random.default_rng(seed)
    truth = {name: jnp.asarray(float(truth[name])) for name in NAMES}
    key = jax.random.key(seed)
    found = {"true": [], "observed": [], "error": []}
    count = 0
    while count < num_events:
        key, subkey = jax.random.split(key)
        true_mass = np.asarray(_draw_population(subkey, truth))
        observed, error, detected = _observe(rng, true_mass)
        found["true"].append(true_mass[detected])
        found["observed"].append(observed[detected])
        found["error"].append(error[detected])
        count += int(detected.sum())
    true_mass, observed, error = (
        np.concatenate(found[k])[:num_events] for k in ("true", "observed", "error")
    )
    # The posterior of ln m1 under a log-uniform prior: the measurement's normal,
    # truncated to the prior's range.
    center, scale = np.log(observed)[:, None], error[:, None]
    low = (np.log(PRIOR_LOW) - center) / scale
    high = (np.log(PRIOR_HIGH) - center) / scale
    z = truncnorm.rvs(low, high, size=(num_events, num_samples), random_state=rng)
    m1 = np.exp(center + scale * z)
    ln_prior = -np.log(m1) - np.log(np.log(PRIOR_HIGH / PRIOR_LOW))
    return {
        "m1": m1,
        "ln_prior": ln_prior,
        "true": true_mass,
        "observed": observed,
        "error": error,
    }


def draw_log_density(m1):
    """The log density of the injections' reference distribution: log-uniform on
    [``DRAW_LOW``, ``DRAW_HIGH``], with a fraction ``DRAW_LOW_FRACTION`` of the
    draws log-uniform on [``DRAW_LOW``, ``DRAW_LOW_HIGH``] instead, where few
    are detected."""
    m1 = np.asarray(m1)
    wide = (1 - DRAW_LOW_FRACTION) / np.log(DRAW_HIGH / DRAW_LOW)
    narrow = DRAW_LOW_FRACTION / np.log(DRAW_LOW_HIGH / DRAW_LOW)
    inside = (m1 >= DRAW_LOW) & (m1 <= DRAW_HIGH)
    with np.errstate(divide="ignore"):
        return np.log(inside * (wide + narrow * (m1 <= DRAW_LOW_HIGH)) / m1)


def simulate_injections(seed, num_draws):
    """
    Found injections: ``num_draws`` true masses drawn from the reference
    distribution (``draw_log_density``), observed and detected as the catalogue
    is.

    :return: a dict with the found masses ``m1``, their log draw density
        ``ln_prior`` and ``total_generated``, the number drawn.
    """
    rng = np.random.default_rng(seed)
    narrow = rng.uniform(size=num_draws) < DRAW_LOW_FRACTION
    high = np.where(narrow, DRAW_LOW_HIGH, DRAW_HIGH)
    true_mass = DRAW_LOW * (high / DRAW_LOW) ** rng.uniform(size=num_draws)
    _, _, detected = _observe(rng, true_mass)
    m1 = true_mass[detected]
    return {
        "m1": m1,
        "ln_prior": draw_log_density(m1),
        "total_generated": num_draws,
    }


def _log_mean_and_ess(log_weights, count):
    """
    The log of the mean of the weights along the last axis, divided by
    ``count`` rather than the number of terms, and the effective sample size
    ``(sum w)^2 / sum w^2``. Where every weight is zero the log-mean is -inf,
    the effective sample size 0, and the gradients are finite.
    """
    peak = jnp.max(log_weights, axis=-1, keepdims=True)
    empty = jnp.isneginf(peak[..., 0])
    peak = jax.lax.stop_gradient(jnp.where(jnp.isfinite(peak), peak, 0.0))
    scaled = jnp.exp(log_weights - peak)
    total = jnp.sum(scaled, axis=-1)
    total_sq = jnp.sum(scaled * scaled, axis=-1)
    safe_total = jnp.where(empty, 1.0, total)
    safe_sq = jnp.where(empty, 1.0, total_sq)
    log_mean = jnp.where(
        empty, -jnp.inf, jnp.log(safe_total) + peak[..., 0] - jnp.log(count)
    )
    ess = jnp.where(empty, 0.0, safe_total**2 / safe_sq)
    return log_mean, ess


def _log_density(population, m1, smoothing):
    """
    ``log p(m1)`` and a stand-in whose gradient NUTS follows: the mixture with
    each component evaluated at the nearest point of its own support and
    multiplied by logistic steps of relative width ``smoothing`` at the ends of
    that support; ``log p(m1)`` itself when ``smoothing`` is 0.
    """
    log_p = population.log_prob(m1)
    if not smoothing:
        return log_p, log_p
    log_weights = jnp.log(population.mixing_distribution.probs)
    smooth = None
    for k, component in enumerate(population.component_distributions):
        low, high = component.support.lower_bound, component.support.upper_bound
        term = (
            log_weights[k]
            + component.log_prob(jnp.clip(m1, low, high))
            + jax.nn.log_sigmoid((m1 - low) / (smoothing * low))
            + jax.nn.log_sigmoid((high - m1) / (smoothing * high))
        )
        smooth = term if smooth is None else jnp.logaddexp(smooth, term)
    return jax.lax.stop_gradient(log_p), smooth


def _estimate(event_log_weights, injection_log_weights, total_generated):
    """The log-likelihood estimate and the effective sample sizes of its sums."""
    num_events, num_samples = jnp.shape(event_log_weights)
    event_log_mean, event_ess = _log_mean_and_ess(event_log_weights, num_samples)
    log_xi, found_ess = _log_mean_and_ess(injection_log_weights, total_generated)
    return jnp.sum(event_log_mean) - num_events * log_xi, event_ess, found_ess, log_xi


def log_likelihood(
    params,
    events,
    injections,
    selection_ess_factor=4.0,
    event_ess_factor=1.0,
    max_variance=jnp.inf,
    smoothing=0.0,
):
    """
    The hierarchical log-likelihood of the hyperparameters and its Monte Carlo
    diagnostics.

    :param dict params: the six hyperparameters, by name.
    :param dict events: ``m1`` and ``ln_prior`` of shape ``(N, S)``.
    :param dict injections: the found ``m1``, their ``ln_prior`` (the log of the
        draw density) and ``total_generated``.
    :param float selection_ess_factor: the log-likelihood is -inf unless the
        effective sample size of the selection sum exceeds this times ``N``
        (gwpopulation's ``ResamplingVT`` convergence check uses 4).
    :param float event_ess_factor: the log-likelihood is -inf unless every
        event's effective sample size exceeds this times ``N``
        (gwpopulation_pipe's ``MinimumEffectiveSamplesLikelihood`` uses 1).
    :param float max_variance: the log-likelihood is -inf where the variance of
        its estimate exceeds this (gwpopulation's ``maximum_uncertainty``,
        which it compares with the variance).
    :param float smoothing: if positive, the value is unchanged but its gradient
        is that of the estimate with the edges of the support smoothed over this
        relative width (see the module's docstring).
    :return: the log-likelihood and a dict of diagnostics: ``variance`` (of the
        log-likelihood estimate), ``selection_ess``, ``min_event_ess`` and
        ``detection_fraction`` (:math:`\\xi`).
    """
    population = mass_distribution(**params, validate_args=False)
    event_log_p, event_smooth = _log_density(population, events["m1"], smoothing)
    injection_log_p, injection_smooth = _log_density(
        population, injections["m1"], smoothing
    )
    total_generated = injections["total_generated"]
    value, event_ess, found_ess, log_xi = _estimate(
        event_log_p - events["ln_prior"],
        injection_log_p - injections["ln_prior"],
        total_generated,
    )
    if smoothing:
        smooth_value = _estimate(
            event_smooth - events["ln_prior"],
            injection_smooth - injections["ln_prior"],
            total_generated,
        )[0]
        value = jax.lax.stop_gradient(value - smooth_value) + smooth_value
    num_events, num_samples = jnp.shape(events["m1"])
    # Var[xi] / xi^2 = sum w^2 / (sum w)^2 - 1 / N_draw; its inverse is the
    # selection effective sample size.
    selection_rel_var = _inverse(found_ess) - 1.0 / total_generated
    selection_ess = 1.0 / selection_rel_var
    # The variance of each event's log-mean, 1 / ESS_i - 1 / S (to first order).
    event_variance = _inverse(event_ess) - 1.0 / num_samples
    variance = jnp.sum(event_variance) + num_events**2 * selection_rel_var
    smallest_event_ess = jnp.min(event_ess)
    trusted = (
        (selection_ess > selection_ess_factor * num_events)
        & (smallest_event_ess > event_ess_factor * num_events)
        & (variance <= max_variance)
    )
    diagnostics = {
        "variance": variance,
        "selection_ess": selection_ess,
        "min_event_ess": smallest_event_ess,
        "detection_fraction": jnp.exp(log_xi),
    }
    return jnp.where(trusted, value, -jnp.inf), diagnostics


def _inverse(x):
    """1 / x, inf at 0, with finite gradients."""
    positive = x > 0
    return jnp.where(positive, 1.0 / jnp.where(positive, x, 1.0), jnp.inf)


def model(events, injections, prior=None, smoothing=SMOOTHING, **guards):
    """Uniform priors (``PRIOR`` unless ``prior`` is given) and the hierarchical
    likelihood as a factor; its Monte Carlo diagnostics are recorded as
    deterministic sites."""
    prior = PRIOR if prior is None else prior
    params = {name: numpyro.sample(name, dist.Uniform(*prior[name])) for name in NAMES}
    value, diagnostics = log_likelihood(
        params, events, injections, smoothing=smoothing, **guards
    )
    for name, v in diagnostics.items():
        numpyro.deterministic(name, v)
    numpyro.factor("log_likelihood", value)


def as_arrays(events, injections):
    """The arrays the likelihood reads, as JAX arrays."""
    events = {k: jnp.asarray(events[k]) for k in ("m1", "ln_prior")}
    injections = {
        "m1": jnp.asarray(injections["m1"]),
        "ln_prior": jnp.asarray(injections["ln_prior"]),
        "total_generated": float(injections["total_generated"]),
    }
    return events, injections


def make_mcmc(num_chains, num_warmup, num_samples, progress_bar=True, **options):
    """NUTS on ``model`` with ``options`` (keyword arguments of ``model``) bound;
    the data are arguments of the compiled sampler, so another catalogue of the
    same shape reuses it."""
    return MCMC(
        NUTS(functools.partial(model, **options)),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method="parallel"
        if jax.local_device_count() >= num_chains
        else "sequential",
        progress_bar=progress_bar,
        jit_model_args=True,
    )


def fit(
    events,
    injections,
    key,
    num_chains,
    num_warmup,
    num_samples,
    progress_bar=True,
    **options,
):
    """NUTS on the catalogue ``events`` and the found ``injections``; returns the
    ``MCMC`` object once its samples are computed."""
    events, injections = as_arrays(events, injections)
    mcmc = make_mcmc(num_chains, num_warmup, num_samples, progress_bar, **options)
    mcmc.run(key, events, injections, extra_fields=("diverging", "num_steps"))
    # The run is dispatched asynchronously; wait for the draws themselves.
    jax.block_until_ready(mcmc.get_samples())
    return mcmc


def calibration(
    seed,
    num_replicates,
    prior,
    num_events,
    num_posterior_samples,
    num_injections,
    num_warmup,
    num_samples,
    progress_bar=False,
):
    """
    Simulation-based calibration: for each replicate, hyperparameters drawn
    from ``prior``, a catalogue simulated from them, and the rank of each true
    value among the posterior draws. All replicates share one set of
    injections and one compiled sampler.

    :return: the ranks, of shape ``(num_replicates, 6)``, in ``[0, num_samples]``.
    """
    rng = np.random.default_rng(seed)
    injections = simulate_injections(seed, num_injections)
    mcmc = make_mcmc(1, num_warmup, num_samples, progress_bar=progress_bar, prior=prior)
    ranks = np.zeros((num_replicates, len(NAMES)), dtype=int)
    for r in range(num_replicates):
        truth = {name: rng.uniform(*prior[name]) for name in NAMES}
        catalogue = simulate_catalogue(
            seed + 1 + r, num_events, num_posterior_samples, truth=truth
        )
        events, inj = as_arrays(catalogue, injections)
        mcmc.run(jax.random.key(seed + r), events, inj)
        samples = mcmc.get_samples()
        for i, name in enumerate(NAMES):
            ranks[r, i] = int((np.asarray(samples[name]) < truth[name]).sum())
    return ranks


def coverage(samples, truth=None, level=0.9):
    """For each hyperparameter: the central ``level`` interval and whether it
    holds the true value."""
    truth = TRUTH if truth is None else truth
    half = (1 - level) / 2
    rows = {}
    for name in NAMES:
        lo, hi = np.quantile(np.asarray(samples[name]), [half, 1 - half])
        rows[name] = (float(lo), float(hi), bool(lo <= truth[name] <= hi))
    return rows


def density_band(samples, grid, num_draws=400, seed=0):
    """5%, 50% and 95% quantiles of the fitted density on ``grid``."""
    rng = np.random.default_rng(seed)
    total = len(samples["alpha"])
    idx = rng.choice(total, size=min(num_draws, total), replace=False)
    params = {name: jnp.asarray(samples[name])[idx] for name in NAMES}

    def one(p):
        return jnp.exp(mass_distribution(**p, validate_args=False).log_prob(grid))

    densities = np.asarray(jax.vmap(one)(params))
    return np.quantile(densities, [0.05, 0.5, 0.95], axis=0)


def plot(catalogue, samples, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import corner

    out.mkdir(parents=True, exist_ok=True)
    grid = jnp.linspace(2.0, 120.0, 700)
    lo, med, hi = density_band(samples, grid)
    truth = np.exp(
        np.asarray(mass_distribution(**TRUTH, validate_args=False).log_prob(grid))
    )
    num_events = len(catalogue["true"])

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 7), sharex=True, height_ratios=[2.2, 1]
    )
    top.fill_between(grid, lo, hi, color="C0", alpha=0.3, label="90% band")
    top.plot(grid, med, color="C0", label="posterior median")
    top.plot(grid, truth, "k--", lw=1, label="truth")
    top.set_yscale("log")
    top.set_ylim(1e-5, 1.0)
    top.set_ylabel(r"population $p(m_1)$")
    top.set_title(
        f"Power Law + Peak from {num_events} detected events\n"
        "(measurement errors and selection effects)"
    )
    top.legend(loc="upper right")
    bins = np.linspace(2.0, 120.0, 60)
    bottom.hist(
        catalogue["true"], bins=bins, color="0.75", label="detected, true masses"
    )
    bottom.hist(
        catalogue["observed"],
        bins=bins,
        histtype="step",
        color="C3",
        label="detected, observed masses",
    )
    bottom.set_xlabel(r"primary mass $m_1$ [$M_\odot$]")
    bottom.set_ylabel("events")
    bottom.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "population.png", dpi=120)
    plt.close(fig)

    values = np.column_stack([np.asarray(samples[name]) for name in NAMES])
    fig = corner.corner(
        values,
        labels=LABELS,
        truths=[TRUTH[name] for name in NAMES],
        truth_color="k",
        quantiles=[0.05, 0.5, 0.95],
        show_titles=True,
        title_fmt=".2f",
        color="C0",
    )
    fig.suptitle("Posterior of the hyperparameters (black: truth)", y=1.02)
    fig.savefig(out / "corner.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return [out / "population.png", out / "corner.png"]


def summary(mcmc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az

        # The likelihood is a factor, not an observed site: no pointwise
        # log-likelihood to compute.
        data = az.from_numpyro(mcmc, log_likelihood=False)
        return az.summary(data, var_names=NAMES, hdi_prob=0.9)


#: The settings of ``--quick``.
QUICK = {
    "num_events": 70,
    "num_posterior_samples": 1000,
    "num_injections": 100_000,
    "num_warmup": 200,
    "num_samples": 200,
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit Power Law + Peak to events with measurement errors and selection."
    )
    parser.add_argument("--num-events", type=int, default=70)
    parser.add_argument("--num-posterior-samples", type=int, default=2000)
    parser.add_argument("--num-injections", type=int, default=200_000)
    parser.add_argument("--num-chains", type=int, default=2)
    parser.add_argument("--num-warmup", type=int, default=500)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer posterior samples and injections, and short chains: "
        + ", ".join(f"{k}={v}" for k, v in QUICK.items()),
    )
    parser.add_argument(
        "--smoothing",
        type=float,
        default=SMOOTHING,
        help="relative width of the edges in the gradient NUTS follows (0: none)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("build/population"))
    parser.add_argument("--no-progress-bar", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)

    numpyro.enable_x64()
    catalogue = simulate_catalogue(
        args.seed, args.num_events, args.num_posterior_samples
    )
    injections = simulate_injections(args.seed + 1, args.num_injections)
    below = (catalogue["m1"] < TRUTH["m_min"]).mean()
    above = (catalogue["m1"] > TRUTH["m_max"]).mean()
    print(
        f"catalogue: {args.num_events} detected events x {args.num_posterior_samples}"
        f" posterior samples; true m1 in [{catalogue['true'].min():.1f},"
        f" {catalogue['true'].max():.1f}]; {100 * below:.1f}% of the samples below"
        f" the true m_min, {100 * above:.1f}% above the true m_max"
    )
    print(f"injections: {len(injections['m1'])} found of {args.num_injections} drawn")
    start = time.perf_counter()
    mcmc = fit(
        catalogue,
        injections,
        jax.random.key(args.seed),
        args.num_chains,
        args.num_warmup,
        args.num_samples,
        progress_bar=not args.no_progress_bar,
        smoothing=args.smoothing,
    )
    print(f"NUTS: {time.perf_counter() - start:.1f} s")
    print(summary(mcmc).to_string())
    samples = mcmc.get_samples()
    extra = mcmc.get_extra_fields()
    divergences = int(np.asarray(extra["diverging"]).sum())
    steps = float(np.asarray(extra["num_steps"]).mean())
    print(
        f"\n{divergences} divergent transitions of {len(extra['diverging'])},"
        f" {steps:.0f} leapfrog steps per transition on average;"
        " Monte Carlo over the posterior (median [min, max]):"
    )
    for name in ("selection_ess", "min_event_ess", "variance"):
        v = np.asarray(samples[name])
        print(f"  {name:14s} {np.median(v):10.2f} [{v.min():10.2f}, {v.max():10.2f}]")
    rows = coverage(samples)
    print(f"\n{'parameter':10s} {'truth':>8s} {'90% interval':>22s}  inside")
    for name, (lo, hi, inside) in rows.items():
        print(
            f"{name:10s} {TRUTH[name]:8.3f} [{lo:9.3f}, {hi:9.3f}]  {'yes' if inside else 'NO'}"
        )
    for path in plot(catalogue, samples, args.out):
        print(f"wrote {path}")
    return mcmc, rows


if __name__ == "__main__":
    # One CPU device per chain, so the chains run in parallel.
    numpyro.set_host_device_count(int(os.environ.get("NUM_CPU_DEVICES", 2)))
    main()
