# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""A latent whose union support moves with another latent, with the drop-in
package: ``b ~ Uniform(1, 2)``, ``x ~ 0.5 Uniform(0, b) + 0.5 Uniform(b + 1,
b + 2)``, so ``E[x] = 1.875``.

NumPyro 0.22's inference rebuilds constrained values with the transform of
the initial point unless the model is replayed, so the package refuses such a
site under NUTS and the autoguides with an error naming the fix, and with the
fix, :class:`~numpyro_mixsupport.infer.reparam.UnconstrainedReparam`, the draws
are right. Prints, for NUTS and for SVI with ``AutoNormal``,
``AutoMultivariateNormal`` and ``AutoDelta``: the refusal without the fix, and
with it ``E[x]``, the share of draws outside their own support and whether the
losses are finite.

    python examples/moving_bounds.py
"""

import numpy as np

import jax
import jax.numpy as jnp

import numpyro
from numpyro.infer import MCMC, NUTS, SVI, Predictive, Trace_ELBO
from numpyro.infer.autoguide import AutoDelta, AutoMultivariateNormal, AutoNormal
import numpyro.optim as optim
import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.infer.reparam import UnconstrainedReparam


def model():
    b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
    numpyro.sample(
        "x",
        dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])),
            [dist.Uniform(0.0, b), dist.Uniform(b + 1.0, b + 2.0)],
        ),
    )


fixed = numpyro.handlers.reparam(model, config={"x": UnconstrainedReparam()})


def outside(b: np.ndarray, x: np.ndarray) -> float:
    inside = ((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))
    return float(1 - inside.mean())


def first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


def main() -> None:
    for label, m in (("without the fix", model), ("with UnconstrainedReparam", fixed)):
        mcmc = MCMC(
            NUTS(m),
            num_warmup=1000,
            num_samples=2000,
            num_chains=4,
            chain_method="vectorized",
            progress_bar=False,
        )
        try:
            mcmc.run(jax.random.key(0))
        except ValueError as error:
            print(f"NUTS {label}: refused: {first_line(error)}")
            continue
        draws = Predictive(m, mcmc.get_samples(), return_sites=["b", "x"])(
            jax.random.key(1)
        )
        b, x = np.asarray(draws["b"]), np.asarray(draws["x"])
        print(
            f"NUTS {label}: E[x] = {x.mean():.4f} (exact 1.875), "
            f"draws outside their support: {outside(b, x):.4f}"
        )
    for guide_class in (AutoNormal, AutoMultivariateNormal, AutoDelta):
        for label, m in (
            ("without the fix", model),
            ("with UnconstrainedReparam", fixed),
        ):
            guide = guide_class(m)
            svi = SVI(m, guide, optim.Adam(0.01), Trace_ELBO())
            try:
                result = svi.run(jax.random.key(2), 2000, progress_bar=False)
            except ValueError as error:
                print(f"{guide_class.__name__} {label}: refused: {first_line(error)}")
                continue
            losses = np.asarray(result.losses)
            draws = Predictive(
                m,
                guide=guide,
                params=result.params,
                num_samples=4000,
                return_sites=["b", "x"],
            )(jax.random.key(3))
            b, x = np.asarray(draws["b"]), np.asarray(draws["x"])
            print(
                f"{guide_class.__name__} {label}: losses finite: "
                f"{bool(np.isfinite(losses).all())}, draws outside their support: "
                f"{outside(b, x):.4f}"
            )


if __name__ == "__main__":
    main()
