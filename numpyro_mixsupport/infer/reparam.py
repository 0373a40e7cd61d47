# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Reparameterizers: :class:`UnconstrainedReparam`.

Patch module for ``numpyro/infer/reparam.py``.
"""

import numpyro
import numpyro.distributions as dist
from numpyro.distributions import biject_to
from numpyro.infer.reparam import Reparam

__all__ = ["UnconstrainedReparam"]


class UnconstrainedReparam(Reparam):
    """
    Reparameterizer that samples a latent site on the real line: the site
    ``name`` becomes ``"{name}_unconstrained"``, whose density is that of the
    site pulled back by ``biject_to(support)``, followed by a deterministic site
    ``name`` with the value in the support.

    The transform is built from the site's distribution each time the model
    runs, so a site whose support moves with other latent sites (a
    ``Uniform(0, b)`` with ``b`` sampled, or a mixture whose components' bounds
    are sampled) is reparameterized exactly. The new site has a fixed support,
    the real line, which autoguides, initialization strategies and the samples
    that MCMC returns rely on.

    This reparameterization works only for latent variables, not likelihoods.

    **Example**

    .. doctest::

       >>> import jax
       >>> import numpyro
       >>> import numpyro_mixsupport.distributions as dist
       >>> from numpyro.infer import MCMC, NUTS
       >>> from numpyro_mixsupport.infer.reparam import UnconstrainedReparam
       >>> def model():
       ...     b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
       ...     numpyro.sample("x", dist.Uniform(0.0, b))
       >>> model = numpyro.handlers.reparam(model, {"x": UnconstrainedReparam()})
       >>> mcmc = MCMC(NUTS(model), num_warmup=200, num_samples=200, progress_bar=False)
       >>> mcmc.run(jax.random.key(0))
       >>> samples = mcmc.get_samples()
       >>> bool((samples["x"] < samples["b"]).all())
       True
    """

    def __call__(self, name, fn, obs):
        if obs is not None:
            raise ValueError(
                "UnconstrainedReparam works only for latent sites, but site "
                f"'{name}' is observed"
            )
        fn, expand_shape, event_dim = self._unwrap(fn)
        transform = biject_to(fn.support)
        unconstrained = numpyro.sample(
            f"{name}_unconstrained",
            self._wrap(
                dist.TransformedDistribution(fn, transform.inv),
                expand_shape,
                event_dim,
            ),
        )
        return None, transform(unconstrained)
