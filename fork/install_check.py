# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Checks of a NumPyro installed from the fork branch, with NumPyro's own names
only (run by ``python -m fork install-check`` in a fresh environment).

* NUTS on ``0.3 Uniform(0, 1) + 0.7 Uniform(2, 3)`` puts 0.7 of its draws in
  ``(2, 3)``;
* NUTS on ``b ~ Uniform(1, 2)``, ``x ~ 0.5 Uniform(0, b) + 0.5 Uniform(b + 1,
  b + 2)``: every draw of ``x`` inside its own support, ``E[x] = 1.875``;
* SVI with ``AutoNormal`` on the same model: refused with an error that names
  the fix, ``UnconstrainedReparam``, with which the losses are finite and
  ``Predictive`` draws lie inside the support.

Exits with 1 if a check fails.
"""

import sys

import numpy as np

import jax
import jax.numpy as jnp

import numpyro
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS, SVI, Predictive, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.infer.reparam import UnconstrainedReparam
import numpyro.optim as optim


def _nuts(model, seed=0):
    mcmc = MCMC(
        NUTS(model),
        num_warmup=1000,
        num_samples=2000,
        num_chains=4,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(seed))
    return mcmc.get_samples()


def disjoint():
    numpyro.sample(
        "x",
        dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.3, 0.7])),
            [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
        ),
    )


def moving():
    b = numpyro.sample("b", dist.Uniform(1.0, 2.0))
    numpyro.sample(
        "x",
        dist.MixtureGeneral(
            dist.Categorical(probs=jnp.array([0.5, 0.5])),
            [dist.Uniform(0.0, b), dist.Uniform(b + 1.0, b + 2.0)],
        ),
    )


def main() -> int:
    print("numpyro", numpyro.__version__, "from", numpyro.__file__)
    failures = []

    x = np.asarray(_nuts(disjoint)["x"])
    share = float((x > 2).mean())
    inside = bool((((x >= 0) & (x <= 1)) | ((x >= 2) & (x <= 3))).all())
    print(
        f"disjoint uniforms: share in (2, 3) = {share:.3f} (exact 0.7); all inside: {inside}"
    )
    if not (abs(share - 0.7) < 0.03 and inside):
        failures.append("disjoint uniforms")

    draws = _nuts(moving)
    b, x = np.asarray(draws["b"]), np.asarray(draws["x"])
    outside = float(1 - (((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))).mean())
    mean = float(x.mean())
    print(
        f"moving bounds, NUTS: E[x] = {mean:.4f} (exact 1.875); "
        f"share of draws outside their support: {outside:.4f}"
    )
    if not (abs(mean - 1.875) < 0.03 and outside == 0):
        failures.append("moving bounds under NUTS")

    for label, model in (
        ("AutoNormal", moving),
        (
            "AutoNormal + UnconstrainedReparam",
            numpyro.handlers.reparam(moving, config={"x": UnconstrainedReparam()}),
        ),
    ):
        guide = AutoNormal(model)
        svi = SVI(model, guide, optim.Adam(0.01), Trace_ELBO())
        try:
            result = svi.run(jax.random.key(1), 2000, progress_bar=False)
        except ValueError as error:
            message = str(error)
            print(f"moving bounds, SVI {label}: refused: {message.splitlines()[0]}")
            if "UnconstrainedReparam" not in message:
                failures.append(f"SVI {label}: the refusal does not name the fix")
            continue
        losses = np.asarray(result.losses)
        post = Predictive(
            model,
            guide=guide,
            params=result.params,
            num_samples=4000,
            return_sites=["b", "x"],
        )(jax.random.key(2))
        b, x = np.asarray(post["b"]), np.asarray(post["x"])
        outside = float(
            1 - (((x >= 0) & (x <= b)) | ((x >= b + 1) & (x <= b + 2))).mean()
        )
        print(
            f"moving bounds, SVI {label}: losses finite: {bool(np.isfinite(losses).all())}"
            f", final {losses[-100:].mean():.3f}; Predictive draws outside: {outside:.4f}"
        )
        if not (np.isfinite(losses).all() and outside == 0):
            failures.append(f"SVI {label}")

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
