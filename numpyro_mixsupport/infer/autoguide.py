# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Autoguides refuse a latent union whose support may move.

Patch module for ``numpyro/infer/autoguide.py``. In the fork
``AutoGuide._setup_prototype`` calls :func:`_check_static_supports` on the
prototype trace.
"""

import numpyro_mixsupport.distributions.constraints as constraints
from numpyro_mixsupport.infer.util import _is_dynamic_support

__all__ = []


def _check_static_supports(guide: str, prototype_trace: dict) -> None:
    """
    Raise a ``ValueError`` for a latent site whose support is a union with array
    bounds: an autoguide builds the transform of each site from its support at
    the initial point, so where the bounds depend on other latent sites its draws
    would leave the support.
    """
    for name, site in prototype_trace.items():
        if site["type"] != "sample" or site["is_observed"]:
            continue
        support = site["fn"].support
        if isinstance(support, constraints._Union) and _is_dynamic_support(support):
            raise ValueError(
                f"{guide} cannot follow the support of the latent site '{name}', "
                f"{support}, whose bounds are arrays: it builds the transform of "
                "each site from its support at the initial point, so where these "
                "bounds depend on other latent sites its draws would leave the "
                "support. Sample the site on the real line: numpyro.handlers.reparam("
                f"model, config={{'{name}': UnconstrainedReparam()}}) with "
                "UnconstrainedReparam from numpyro_mixsupport.infer.reparam."
            )
