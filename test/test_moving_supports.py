# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""A latent whose union support moves with another latent:
``b ~ U(1, 2)``, ``x ~ 0.5 U(0, b) + 0.5 U(b + 1, b + 2)``, E[x] = 1.875.

NumPyro 0.22's inference freezes such a support at the initial point, so the
package refuses it with a message that names the site and the fix, and the fix
(``UnconstrainedReparam``, or a deterministic site for MCMC) gives right draws.
"""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import numpyro
from numpyro.diagnostics import effective_sample_size
from numpyro.infer import HMC, MCMC, NUTS, SVI, Predictive, Trace_ELBO
from numpyro.infer.autoguide import AutoDelta, AutoMultivariateNormal, AutoNormal
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints
from numpyro_mixsupport.infer.reparam import UnconstrainedReparam
from numpyro_mixsupport.infer.util import _is_dynamic_support

EXPECTED_MEAN = 1.875


def moving(deterministic=False):
    def model():
        b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
        numpyro.sample(
            "x",
            dist.MixtureGeneral(
                dist.Categorical(probs=jnp.array([0.5, 0.5])),
                [dist.Uniform(0.0, b), dist.Uniform(b + 1.0, b + 2.0)],
            ),
        )
        if deterministic:
            numpyro.deterministic("twice_b", 2 * b)

    return model


def reparameterized():
    return numpyro.handlers.reparam(moving(), {"x": UnconstrainedReparam()})


def in_own_support(x, b):
    return ((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))


def _mcmc(kernel, num_samples=2000):
    return MCMC(
        kernel,
        num_warmup=1000,
        num_samples=num_samples,
        num_chains=4,
        chain_method="vectorized",
        progress_bar=False,
    )


MCMC_MESSAGE = (
    r"The latent site 'x' has the support Union\(.*\), whose bounds are arrays\. "
    r"NumPyro 0\.22 builds the samples .* Sample the site on the real line: "
    r"numpyro\.handlers\.reparam\(model, config=\{'x': UnconstrainedReparam\(\)\}\)"
    r".*or add a numpyro\.deterministic site"
)


@pytest.mark.parametrize("kernel", [NUTS, HMC])
def test_mcmc_is_refused_with_the_fix(kernel):
    with pytest.raises(ValueError, match=MCMC_MESSAGE):
        _mcmc(kernel(moving()), num_samples=10).run(jax.random.key(0))


@pytest.mark.parametrize("guide", [AutoNormal, AutoMultivariateNormal, AutoDelta])
def test_autoguides_are_refused_with_the_fix(guide):
    message = (
        f"{guide.__name__} cannot follow the support of the latent site 'x', "
        r"Union\(.*\), whose bounds are arrays: .* numpyro\.handlers\.reparam\("
        r"model, config=\{'x': UnconstrainedReparam\(\)\}\)"
    )
    svi = SVI(moving(), guide(moving()), numpyro.optim.Adam(0.01), Trace_ELBO())
    with pytest.raises(ValueError, match=message):
        svi.run(jax.random.key(0), 10, progress_bar=False)
    # A deterministic site does not help an autoguide: it is refused too.
    with pytest.raises(ValueError, match=message):
        Predictive(moving(True), guide=guide(moving(True)), num_samples=2)(
            jax.random.key(0)
        )


@pytest.mark.parametrize(
    "kernel, model",
    [
        (NUTS, moving(deterministic=True)),
        (NUTS, reparameterized()),
        (HMC, reparameterized()),
    ],
    ids=["NUTS-deterministic", "NUTS-reparam", "HMC-reparam"],
)
def test_mcmc_draws_follow_the_support(kernel, model):
    mcmc = _mcmc(kernel(model))
    mcmc.run(jax.random.key(1))
    samples = mcmc.get_samples(group_by_chain=True)
    x, b = np.asarray(samples["x"]), np.asarray(samples["b"])
    assert in_own_support(x, b).all()
    # NUTS within 0.03; HMC, whose effective sample size is a few times
    # smaller, within four Monte Carlo standard errors
    mcse = x.std() / np.sqrt(effective_sample_size(x))
    tolerance = 0.03 if kernel is NUTS else 4 * mcse
    assert abs(x.mean() - EXPECTED_MEAN) < tolerance


@pytest.mark.parametrize("guide", [AutoNormal, AutoMultivariateNormal, AutoDelta])
def test_svi_with_the_reparameterization(guide):
    model = reparameterized()
    guide = guide(model)
    result = SVI(model, guide, numpyro.optim.Adam(0.01), Trace_ELBO()).run(
        jax.random.key(0), 1500, progress_bar=False
    )
    assert bool(jnp.isfinite(result.losses).all())
    assert result.losses[-100:].mean() < result.losses[:100].mean()
    draws = Predictive(
        model,
        guide=guide,
        params=result.params,
        num_samples=2000,
        return_sites=["x", "b"],
    )(jax.random.key(2))
    assert in_own_support(np.asarray(draws["x"]), np.asarray(draws["b"])).all()


@pytest.mark.parametrize(
    "bounds", [(0.0, 1.0, 2.0, 3.0), (np.zeros(2), 1.0, 2.0, np.full(2, 3.0))]
)
def test_constant_bounds_are_not_refused(bounds):
    lo, hi, lo2, hi2 = bounds

    def model():
        with numpyro.plate("n", 2):
            numpyro.sample(
                "x",
                dist.MixtureGeneral(
                    dist.Categorical(probs=jnp.array([0.5, 0.5])),
                    [dist.Uniform(lo, hi), dist.Uniform(lo2, hi2)],
                ),
            )

    mcmc = MCMC(NUTS(model), num_warmup=50, num_samples=50, progress_bar=False)
    mcmc.run(jax.random.key(0))
    x = np.asarray(mcmc.get_samples()["x"])
    assert (((x >= 0) & (x <= 1)) | ((x >= 2) & (x <= 3))).all()
    SVI(model, AutoNormal(model), numpyro.optim.Adam(0.01), Trace_ELBO()).run(
        jax.random.key(0), 10, progress_bar=False
    )


def test_reparameterization_refuses_observed_sites():
    def model():
        numpyro.sample("y", dist.Normal(), obs=1.0)

    model = numpyro.handlers.reparam(model, {"y": UnconstrainedReparam()})
    with pytest.raises(ValueError, match="only for latent sites, but site 'y'"):
        numpyro.handlers.seed(model, 0)()


def test_reparameterized_density():
    # The density of the unconstrained site is that of the site pulled back.
    model = numpyro.handlers.reparam(
        lambda: numpyro.sample("x", dist.Gamma(2.0, 1.5)),
        {"x": UnconstrainedReparam()},
    )
    tr = numpyro.handlers.trace(
        numpyro.handlers.substitute(model, {"x_unconstrained": 0.3})
    ).get_trace()
    site = tr["x_unconstrained"]
    expected = dist.Gamma(2.0, 1.5).log_prob(jnp.exp(0.3)) + 0.3
    np.testing.assert_allclose(site["fn"].log_prob(site["value"]), expected, rtol=1e-12)
    np.testing.assert_allclose(tr["x"]["value"], np.exp(0.3), rtol=1e-12)
    assert tr["x"]["type"] == "deterministic"


class _NotIterable:
    def __iter__(self):
        raise TypeError("not iterable")


class _BareChild(constraints.Constraint):
    # tree_flatten gives its child bare, not in a sequence, as the
    # BijectorConstraint of numpyro.contrib.tfp does with a TFP bijector
    def __init__(self, child):
        self.child = child

    def __call__(self, x):
        return x > 0

    def tree_flatten(self):
        return self.child, ()

    @classmethod
    def tree_unflatten(cls, aux_data, child):
        return cls(child)


class _NotAPytree(constraints.Constraint):
    def __call__(self, x):
        return x > 0


def _two_pieces(lo):
    return constraints.union(
        constraints.interval(lo, 1.0), constraints.greater_than(2.0)
    )


@pytest.mark.parametrize(
    "support, dynamic",
    [
        (constraints.interval(jnp.array(0.0), 1.0), True),
        (_two_pieces(jnp.zeros(2)), True),
        (constraints.interval(0.0, 1.0), False),
        (_two_pieces(np.zeros(2)), False),
        (constraints.real, False),
        (_NotAPytree(), False),
        (_BareChild(_NotIterable()), False),
        (_BareChild(object()), False),
    ],
    ids=[
        "array-interval",
        "array-union",
        "scalar-interval",
        "numpy-union",
        "real",
        "not-a-pytree",
        "child-raises-type-error",
        "child-not-iterable",
    ],
)
def test_which_supports_are_dynamic(support, dynamic):
    # a support whose bounds are JAX arrays may move with other latent sites;
    # one that cannot be flattened has no bounds to read
    assert _is_dynamic_support(support) is dynamic
