# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""
Power Law + Peak: the binary-black-hole primary-mass distribution
==================================================================

The mass model of LIGO/Virgo/KAGRA population analyses,

.. math::

    p(m_1 \\mid \\theta) = (1 - \\lambda)\\, \\mathrm{PL}(m_1; \\alpha, m_\\min, m_\\max)
        + \\lambda\\, \\mathcal{N}_T(m_1; \\mu, \\sigma, m_\\min, m_{g\\max}),

a power law truncated to :math:`[m_\\min, m_\\max]` mixed with a Gaussian truncated
to :math:`[m_\\min, m_{g\\max}]`, is a ``MixtureGeneral`` of two components with
different supports, both depending on parameters that NUTS samples. No density
is written by hand.

The example draws a synthetic catalogue of exact masses from a configuration near
the published GWTC-3 medians, fits the six hyperparameters with NUTS, prints an
ArviZ summary and whether each true value lies in its 90% interval, and writes
two figures: the data with the fitted density and its 90% band, and a corner plot.

    python examples/power_law_peak.py --num-events 1000 --out out/power_law_peak
"""

import argparse
import os
from pathlib import Path
import time
import warnings

import numpy as np

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
#: Upper end of the Gaussian component, as in the community's reference code.
M_GMAX = 100.0
NAMES = list(TRUTH)
LABELS = [r"$\alpha$", r"$m_\min$", r"$m_\max$", r"$\lambda$", r"$\mu$", r"$\sigma$"]


def mass_distribution(
    alpha, m_min, m_max, lam, mu, sigma, m_gmax=M_GMAX, validate_args=None
):
    """The Power Law + Peak primary-mass distribution as a ``MixtureGeneral``."""
    mixing = dist.Categorical(probs=jnp.stack([1.0 - lam, lam], axis=-1))
    power_law = dist.DoublyTruncatedPowerLaw(-alpha, m_min, m_max)
    peak = dist.TruncatedNormal(mu, sigma, low=m_min, high=m_gmax)
    return dist.MixtureGeneral(mixing, [power_law, peak], validate_args=validate_args)


def model(masses, observed_min, observed_max):
    """
    Uniform priors. The likelihood vanishes unless m_min <= min(masses) and
    m_max >= max(masses), so the priors on m_min and m_max are cut there: the
    posterior is that of the wider priors, and NUTS never meets the cliff.
    """
    alpha = numpyro.sample("alpha", dist.Uniform(0.0, 8.0))
    m_min = numpyro.sample("m_min", dist.Uniform(2.0, observed_min))
    m_max = numpyro.sample("m_max", dist.Uniform(observed_max, 150.0))
    lam = numpyro.sample("lam", dist.Uniform(0.0, 1.0))
    mu = numpyro.sample("mu", dist.Uniform(20.0, 50.0))
    sigma = numpyro.sample("sigma", dist.Uniform(1.0, 10.0))
    with numpyro.plate("events", masses.shape[0]):
        numpyro.sample(
            "m1", mass_distribution(alpha, m_min, m_max, lam, mu, sigma), obs=masses
        )


def simulate(key, num_events):
    """Exact primary masses drawn from the mass distribution at ``TRUTH``."""
    return mass_distribution(**TRUTH).sample(key, (num_events,))


def fit(masses, key, num_chains, num_warmup, num_samples, progress_bar=True):
    mcmc = MCMC(
        NUTS(model, target_accept_prob=0.9),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method="parallel"
        if jax.local_device_count() >= num_chains
        else "sequential",
        progress_bar=progress_bar,
    )
    mcmc.run(key, masses, float(masses.min()), float(masses.max()))
    return mcmc


def coverage(samples, level=0.9):
    """For each hyperparameter: the central ``level`` interval and whether it
    holds the true value."""
    half = (1 - level) / 2
    rows = {}
    for name in NAMES:
        lo, hi = np.quantile(np.asarray(samples[name]), [half, 1 - half])
        rows[name] = (float(lo), float(hi), bool(lo <= TRUTH[name] <= hi))
    return rows


def density_band(samples, grid, num_draws=400, seed=0):
    """Median and 90% band of the fitted density on ``grid``."""
    rng = np.random.default_rng(seed)
    total = len(samples["alpha"])
    idx = rng.choice(total, size=min(num_draws, total), replace=False)
    params = {name: jnp.asarray(samples[name])[idx] for name in NAMES}

    def one(p):
        return jnp.exp(mass_distribution(**p, validate_args=False).log_prob(grid))

    densities = np.asarray(jax.vmap(one)(params))
    return np.quantile(densities, [0.05, 0.5, 0.95], axis=0)


def plot(masses, samples, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    grid = jnp.linspace(2.0, 110.0, 600)
    lo, med, hi = density_band(samples, grid)
    truth = np.exp(
        np.asarray(mass_distribution(**TRUTH, validate_args=False).log_prob(grid))
    )

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.hist(np.asarray(masses), bins=80, density=True, color="0.8", label="catalogue")
    ax.fill_between(grid, lo, hi, color="C0", alpha=0.3, label="90% band")
    ax.plot(grid, med, color="C0", label="posterior median")
    ax.plot(grid, truth, "k--", lw=1, label="truth")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1.0)
    ax.set_xlabel(r"primary mass $m_1$ [$M_\odot$]")
    ax.set_ylabel(r"$p(m_1)$")
    ax.set_title(f"Power Law + Peak fitted to {len(masses)} events")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "density.png", dpi=120)
    plt.close(fig)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import corner

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
    return [out / "density.png", out / "corner.png"]


def summary(mcmc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az

        return az.summary(az.from_numpyro(mcmc), var_names=NAMES, hdi_prob=0.9)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fit the Power Law + Peak model.")
    parser.add_argument("--num-events", type=int, default=1000)
    parser.add_argument("--num-chains", type=int, default=2)
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/power_law_peak"))
    parser.add_argument("--no-progress-bar", action="store_true")
    args = parser.parse_args(argv)

    numpyro.enable_x64()
    key_data, key_fit = jax.random.split(jax.random.key(args.seed))
    masses = simulate(key_data, args.num_events)
    print(
        f"catalogue: {args.num_events} events, m1 in [{float(masses.min()):.2f}, "
        f"{float(masses.max()):.2f}], {int((masses > 25).sum())} above 25"
    )
    start = time.perf_counter()
    mcmc = fit(
        masses,
        key_fit,
        args.num_chains,
        args.num_warmup,
        args.num_samples,
        progress_bar=not args.no_progress_bar,
    )
    print(f"NUTS: {time.perf_counter() - start:.1f} s")
    print(summary(mcmc).to_string())
    samples = mcmc.get_samples()
    rows = coverage(samples)
    print(f"\n{'parameter':10s} {'truth':>8s} {'90% interval':>22s}  inside")
    for name, (lo, hi, inside) in rows.items():
        print(
            f"{name:10s} {TRUTH[name]:8.3f} [{lo:9.3f}, {hi:9.3f}]  {'yes' if inside else 'NO'}"
        )
    for path in plot(masses, samples, args.out):
        print(f"wrote {path}")
    return mcmc, rows


if __name__ == "__main__":
    # One CPU device per chain, so the chains run in parallel.
    numpyro.set_host_device_count(int(os.environ.get("NUM_CPU_DEVICES", 2)))
    main()
