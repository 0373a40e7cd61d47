# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""``vmap_over`` rules for the union constraint and its transform.

Patch module for ``numpyro/distributions/batch_util.py``.
"""

import copy
from typing import Any, Optional, Sequence

from numpyro.distributions.batch_util import vmap_over
import numpyro_mixsupport.distributions.constraints as constraints
from numpyro_mixsupport.distributions.transforms import IntervalUnionTransform

__all__ = []


@vmap_over.register
def _vmap_over_union(constraint: constraints._Union, parts: Optional[Sequence] = None):
    # ``parts``: the axes of each part, e.g. ``[vmap_over(part, lower_bound=0), None]``
    axes: Any = copy.copy(constraint)
    axes.parts = parts if parts is None else tuple(parts)
    return axes


@vmap_over.register
def _vmap_over_interval_union_transform(
    transform: IntervalUnionTransform, codomain: Optional[constraints._Union] = None
):
    axes: Any = copy.copy(transform)
    axes._codomain = codomain
    return axes
