# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The hierarchical likelihood of ``examples/population.py`` (per-event posterior
samples and found injections), cross-checked against gwpopulation's
``HyperparameterLikelihood`` with ``ResamplingVT`` on its NumPy backend, against
quadrature, at the support edges, and for calibration over repeated catalogues."""

import importlib.util
from pathlib import Path

from gwpopulation.hyperpe import HyperparameterLikelihood, Model
from gwpopulation.models.mass import ln_two_component_single, two_component_single
from gwpopulation.vt import ResamplingVT
import numpy as np
from numpy.testing import assert_allclose
import pandas as pd
import pytest
from scipy.special import ndtr

import jax
import jax.numpy as jnp

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GWPOP_NAMES = {
    "alpha": "alpha",
    "m_min": "mmin",
    "m_max": "mmax",
    "lam": "lam",
    "mu": "mpp",
    "sigma": "sigpp",
}


def _load():
    spec = importlib.util.spec_from_file_location(
        "population", EXAMPLES / "population.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


population = _load()
NUM_EVENTS, NUM_SAMPLES, NUM_DRAWS = 20, 400, 6000


@pytest.fixture(scope="module")
def data():
    catalogue = population.simulate_catalogue(3, NUM_EVENTS, NUM_SAMPLES)
    injections = population.simulate_injections(4, NUM_DRAWS)
    return catalogue, injections


def primary_mass(dataset, alpha, mmin, mmax, lam, mpp, sigpp):
    return two_component_single(dataset["mass_1"], alpha, mmin, mmax, lam, mpp, sigpp)


def _ln_primary_mass(dataset, alpha, mmin, mmax, lam, mpp, sigpp):
    return ln_two_component_single(
        dataset["mass_1"], alpha, mmin, mmax, lam, mpp, sigpp
    )


# gwpopulation's Model takes a log density from a component's ln_prob attribute.
primary_mass.ln_prob = _ln_primary_mass


def gwpopulation_likelihood(catalogue, injections, maximum_uncertainty=np.inf):
    posteriors = [
        pd.DataFrame({"mass_1": m1, "prior": np.exp(ln_prior)})
        for m1, ln_prior in zip(catalogue["m1"], catalogue["ln_prior"])
    ]
    selection = ResamplingVT(
        model=Model([primary_mass]),
        data={
            "mass_1": injections["m1"],
            "prior": np.exp(injections["ln_prior"]),
            "total_generated": injections["total_generated"],
            "analysis_time": 1.0,
        },
        n_events=len(posteriors),
    )
    return HyperparameterLikelihood(
        posteriors,
        Model([primary_mass]),
        selection_function=selection,
        maximum_uncertainty=maximum_uncertainty,
    )


def ours(params, catalogue, injections, **guards):
    events, injections = population.as_arrays(catalogue, injections)
    params = {k: jnp.asarray(v) for k, v in params.items()}
    return jax.jit(
        lambda p: population.log_likelihood(p, events, injections, **guards)
    )(params)


TRUTH = population.TRUTH
POINTS = [
    TRUTH,
    dict(TRUTH, m_min=7.0),  # samples and injections below m_min
    dict(TRUTH, m_max=45.0, lam=0.3),  # many samples above m_max
    dict(TRUTH, alpha=1.0, m_max=120.0, mu=45.0, sigma=8.0),  # m_max above m_gmax
    dict(TRUTH, alpha=-1.0, m_min=3.0, lam=0.6, mu=25.0, sigma=2.0),  # alpha = -1
    dict(TRUTH, alpha=6.0, m_min=2.0),  # the selection sum does not converge
    dict(TRUTH, m_min=20.0),  # an event entirely below m_min
]


def _outside(params, catalogue):
    m1 = catalogue["m1"]
    return ((m1 < params["m_min"]) | (m1 > params["m_max"])).mean()


@pytest.mark.parametrize("params", POINTS, ids=range(len(POINTS)))
def test_matches_gwpopulation(data, params):
    catalogue, injections = data
    assert _outside(params, catalogue) > 0
    gwpop = gwpopulation_likelihood(catalogue, injections)
    # gwpopulation's NumPy backend warns where an event has no sample inside.
    with np.errstate(divide="ignore", invalid="ignore"):
        expected, expected_variance = gwpop.ln_likelihood_and_variance(
            {GWPOP_NAMES[k]: v for k, v in params.items()}
        )
    # gwpopulation has no per-event guard; ours is switched off to compare.
    actual, diagnostics = ours(params, catalogue, injections, event_ess_factor=0.0)
    if np.isfinite(expected):
        assert_allclose(float(actual), expected, rtol=1e-6)
        assert_allclose(float(diagnostics["variance"]), expected_variance, rtol=1e-6)
        mu, var = gwpop.selection_function.detection_efficiency(
            {GWPOP_NAMES[k]: v for k, v in params.items()}
        )
        assert_allclose(float(diagnostics["detection_fraction"]), mu, rtol=1e-6)
        assert_allclose(float(diagnostics["selection_ess"]), mu**2 / var, rtol=1e-6)
    else:
        assert expected == -np.inf
        assert float(actual) == -np.inf


def test_points_cover_each_guard(data):
    """The points above include both guards' sides and an event with no sample in
    the support, so the comparison covers them."""
    catalogue, injections = data
    selection_failed, empty_event, finite = 0, 0, 0
    for params in POINTS:
        value, d = ours(params, catalogue, injections, event_ess_factor=0.0)
        selection_failed += float(d["selection_ess"]) <= 4 * NUM_EVENTS
        empty_event += float(d["min_event_ess"]) == 0.0
        finite += bool(np.isfinite(value))
    assert selection_failed >= 1 and empty_event >= 1 and finite >= 4


@pytest.mark.parametrize("maximum", [1.0, 3.0])
def test_variance_guard_matches_gwpopulation(data, maximum):
    """gwpopulation's ``maximum_uncertainty`` is compared with the variance of
    the log-likelihood estimate; ours, ``max_variance``, is the same bound."""
    catalogue, injections = data
    gwpop = gwpopulation_likelihood(catalogue, injections, maximum_uncertainty=maximum)
    rejected = 0
    for params in POINTS[:5]:
        expected = gwpop.log_likelihood_ratio(
            {GWPOP_NAMES[k]: v for k, v in params.items()}
        )
        actual, _ = ours(
            params, catalogue, injections, event_ess_factor=0.0, max_variance=maximum
        )
        if expected == -np.finfo(float).max:  # gwpopulation's nan_to_num(-inf)
            assert float(actual) == -np.inf
            rejected += 1
        else:
            assert_allclose(float(actual), expected, rtol=1e-6)
    assert 0 < rejected < 5


def test_event_ess_guard(data):
    """Each event's effective sample size is that implied by gwpopulation's
    per-event variance, 1 / (var_i + 1 / S); the guard rejects a point exactly
    when the smallest is at most ``event_ess_factor`` times the number of
    events."""
    catalogue, injections = data
    gwpop = gwpopulation_likelihood(catalogue, injections)
    for params in POINTS[:5]:
        stats = gwpop.generate_extra_statistics(
            {GWPOP_NAMES[k]: v for k, v in params.items()}
        )
        ess = [1 / (stats[f"var_{i}"] + 1 / NUM_SAMPLES) for i in range(NUM_EVENTS)]
        _, d = ours(params, catalogue, injections, event_ess_factor=0.0)
        assert_allclose(float(d["min_event_ess"]), min(ess), rtol=1e-6)
        for factor in (0.5, 1.0, 3.0, 10.0):
            value, _ = ours(params, catalogue, injections, event_ess_factor=factor)
            converged = min(ess) > factor * NUM_EVENTS
            selection_converged = float(d["selection_ess"]) > 4 * NUM_EVENTS
            assert bool(np.isfinite(value)) == (converged and selection_converged)


def _detection_fraction_given_mass(m1):
    """P(detected | m1) for the example's model: the average over the log-error
    s ~ U(ERROR_LOW, ERROR_HIGH) of E_z[min(1, (m1 e^{s z} / m_det)^k)],
    z ~ N(0, 1), which is 1 - Phi(a) + (m1 / m_det)^k e^{k^2 s^2 / 2} Phi(a - k s)
    with a = ln(m_det / m1) / s."""
    p = population
    k, m_det = p.DETECTION_POWER, p.DETECTION_MASS
    s = np.linspace(p.ERROR_LOW, p.ERROR_HIGH, 201)[:, None]
    a = np.log(m_det / m1)[None, :] / s
    inner = (
        1
        - ndtr(a)
        + np.exp(k * np.log(m1 / m_det)[None, :] + 0.5 * (k * s) ** 2) * ndtr(a - k * s)
    )
    return np.trapezoid(inner, s[:, 0], axis=0) / (p.ERROR_HIGH - p.ERROR_LOW)


def _exact_log_likelihood(params, catalogue):
    """The per-event integrals and the detection fraction by quadrature, for the
    measurement and detection models of the example."""
    p = population
    grid = np.exp(np.linspace(np.log(p.PRIOR_LOW), np.log(p.PRIOR_HIGH), 200_001))
    density = np.exp(
        np.asarray(
            p.mass_distribution(**params, validate_args=False).log_prob(
                jnp.asarray(grid)
            )
        )
    )
    prior = 1.0 / (grid * np.log(p.PRIOR_HIGH / p.PRIOR_LOW))
    total = 0.0
    for observed, error in zip(catalogue["observed"], catalogue["error"]):
        # The event's likelihood as a function of m1 (a normal in ln m1):
        # E_posterior[p / pi] = int p L dm1 / int pi L dm1 over the prior's range.
        like = np.exp(-0.5 * ((np.log(grid) - np.log(observed)) / error) ** 2)
        total += np.log(
            np.trapezoid(density * like, grid) / np.trapezoid(prior * like, grid)
        )
    xi = np.trapezoid(density * _detection_fraction_given_mass(grid), grid)
    return total - len(catalogue["observed"]) * np.log(xi), xi


@pytest.mark.parametrize("params", [POINTS[0], POINTS[1], POINTS[3]], ids=[0, 1, 3])
def test_monte_carlo_estimate_agrees_with_quadrature(params):
    """The Monte Carlo estimate of the log-likelihood lies within a few of its
    own standard deviations of the exact value (a larger catalogue of posterior
    samples and injections than above, so the estimate's variance is small)."""
    catalogue = population.simulate_catalogue(5, 10, 20_000)
    injections = population.simulate_injections(6, 400_000)
    actual, d = ours(params, catalogue, injections, event_ess_factor=0.0)
    expected, xi = _exact_log_likelihood(params, catalogue)
    std = float(np.sqrt(d["variance"]))
    assert std < 0.15
    assert abs(float(actual) - expected) < 4 * std, (float(actual), expected, std)
    rel_std = 1 / np.sqrt(float(d["selection_ess"]))
    assert abs(float(d["detection_fraction"]) / xi - 1) < 4 * rel_std


def test_edges_of_the_support_give_finite_gradients(data):
    """m_min and m_max on a posterior sample and on a found injection: the value
    and gradient are finite, and the gradient is that of the side on which the
    same samples are inside the (closed) support."""
    catalogue, injections = data
    events, inj = population.as_arrays(catalogue, injections)

    def value(theta):
        params = dict(zip(population.NAMES, theta))
        return population.log_likelihood(params, events, inj, event_ess_factor=0.0)[0]

    value_and_grad = jax.jit(jax.value_and_grad(value))
    m1 = catalogue["m1"]
    theta = np.array([TRUTH[n] for n in population.NAMES])
    low_sample = np.sort(m1[(m1 > 4.5) & (m1 < 5.5)])[0]
    high_sample = np.sort(m1[(m1 > 70.0) & (m1 < 90.0)])[-1]
    low_injection = np.sort(injections["m1"][injections["m1"] > 5.0])[0]
    for index, edge, side in [
        (1, low_sample, -1),
        (2, high_sample, +1),
        (1, low_injection, -1),
    ]:
        at = theta.copy()
        at[index] = edge
        v, g = value_and_grad(jnp.asarray(at))
        assert np.isfinite(float(v)) and np.all(np.isfinite(np.asarray(g)))
        near = at.copy()
        near[index] = edge * (1 + side * 1e-12)
        v_near, g_near = value_and_grad(jnp.asarray(near))
        assert_allclose(float(v), float(v_near), rtol=1e-9)
        assert_allclose(np.asarray(g), np.asarray(g_near), rtol=1e-6, atol=1e-9)
    # -inf where an event has no sample inside the support, with finite gradients.
    at = theta.copy()
    at[1] = 20.0
    v, g = value_and_grad(jnp.asarray(at))
    assert float(v) == -np.inf and np.all(np.isfinite(np.asarray(g)))


def test_gradients_match_finite_differences(data):
    catalogue, injections = data
    events, inj = population.as_arrays(catalogue, injections)

    def value(theta):
        params = dict(zip(population.NAMES, theta))
        return population.log_likelihood(params, events, inj, event_ess_factor=0.0)[0]

    theta = jnp.array([3.0, 4.3, 75.0, 0.1, 33.0, 4.0])
    grad = jax.grad(value)(theta)
    for i, name in enumerate(population.NAMES):
        if name in ("m_min", "m_max"):
            # The estimate jumps where a bound crosses a sample; step inside the
            # gap between neighbouring samples.
            values = np.concatenate([catalogue["m1"].ravel(), injections["m1"]])
            gap = np.min(np.abs(values - float(theta[i])))
            eps = gap / 4
        else:
            eps = 1e-6
        step = jnp.zeros(6).at[i].set(eps)
        fd = (value(theta + step) - value(theta - step)) / (2 * eps)
        assert_allclose(grad[i], fd, rtol=1e-5, atol=1e-6, err_msg=name)


def test_smoothed_gradient_sees_the_steps(data):
    """The estimate is a step function of m_min (it jumps where m_min crosses a
    sample or an injection) whose plain gradient misses the steps. With
    ``smoothing`` the value is unchanged, and the gradient follows the slope of
    the steps over a window of a few smoothing widths."""
    catalogue, injections = data
    events, inj = population.as_arrays(catalogue, injections)

    def value(theta, smoothing):
        params = dict(zip(population.NAMES, theta))
        return population.log_likelihood(
            params, events, inj, event_ess_factor=0.0, smoothing=smoothing
        )[0]

    grad = jax.jit(jax.grad(value), static_argnums=1)
    theta = jnp.array([3.0, 4.5, 80.0, 0.1, 33.0, 4.0])
    assert float(value(theta, 0.0)) == float(value(theta, population.SMOOTHING))
    half = 0.3
    step = jnp.zeros(6).at[1].set(half)
    slope = (value(theta + step, 0.0) - value(theta - step, 0.0)) / (2 * half)
    grid = theta[1] + jnp.linspace(-half, half, 41)
    smooth = np.mean([grad(theta.at[1].set(x), population.SMOOTHING)[1] for x in grid])
    plain = np.mean([grad(theta.at[1].set(x), 0.0)[1] for x in grid])
    assert abs(float(slope)) > 0.5
    assert abs(smooth - float(slope)) < 0.25 * abs(float(slope)), (smooth, slope)
    assert abs(plain - float(slope)) > 0.5 * abs(float(slope)), (plain, slope)


#: A prior for calibration, narrower than the example's so that every draw
#: gives a catalogue that the shared injections cover.
CALIBRATION_PRIOR = {
    "alpha": (2.0, 4.5),
    "m_min": (3.5, 6.5),
    "m_max": (60.0, 100.0),
    "lam": (0.02, 0.3),
    "mu": (28.0, 40.0),
    "sigma": (2.0, 6.0),
}


def test_simulation_based_calibration():
    """Ten replicates: hyperparameters drawn from the prior, a catalogue of 10
    events with measurement errors and selection, a NUTS fit. The central 90%
    intervals of the six hyperparameters hold the true values about 90% of the
    time (54 of 60 expected; fewer than 45 has probability below 1e-4 for
    calibrated intervals). Ten NUTS fits sharing one compiled sampler, about
    three minutes on two cores."""
    ranks = population.calibration(
        seed=0,
        num_replicates=10,
        prior=CALIBRATION_PRIOR,
        num_events=10,
        num_posterior_samples=400,
        num_injections=25_000,
        num_warmup=200,
        num_samples=200,
    )
    assert ranks.shape == (10, 6)
    covered = int(((ranks >= 10) & (ranks <= 190)).sum())
    assert 45 <= covered <= 59, (covered, ranks)


def test_example_quick(tmp_path, capsys):
    mcmc, rows = population.main(
        [
            "--num-events=20",
            "--num-posterior-samples=500",
            "--num-injections=40000",
            "--num-warmup=100",
            "--num-samples=100",
            "--num-chains=1",
            "--no-progress-bar",
            f"--out={tmp_path}",
        ]
    )
    out = capsys.readouterr().out
    assert "r_hat" in out and "ess_bulk" in out and "selection_ess" in out
    assert set(rows) == set(population.TRUTH)
    for figure in ("population.png", "corner.png"):
        assert (tmp_path / figure).stat().st_size > 10_000
