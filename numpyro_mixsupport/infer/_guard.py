# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Refuses the latent unions whose draws NumPyro 0.22 would build wrongly.

This module is part of the package alone, which cannot change
:mod:`numpyro.infer`. NumPyro 0.22 builds the samples that MCMC returns with the
transforms of the initial point unless it replays the model, and it replays
only where a deterministic site, or a ``greater_than`` or ``interval`` support
with array bounds, is in the model; its autoguides build the transform of each
site from the support at the initial point. A latent site whose support is a
union with array bounds, which may depend on other latent sites, would get
wrong draws silently. ``biject_to`` of such a union, when NumPyro collects the
transforms of a model (``numpyro.infer.util._transforms_from_trace``), raises a
``ValueError`` that names the site and the fix instead.
"""

import sys
from types import FrameType
from typing import Optional

from numpyro.infer import autoguide, util as infer_util
from numpyro_mixsupport.distributions import constraints, transforms
from numpyro_mixsupport.infer.autoguide import _check_static_supports
from numpyro_mixsupport.infer.util import _is_dynamic_support

_COLLECTING = infer_util._transforms_from_trace.__code__
_GUIDE_SETUP = autoguide.AutoGuide._setup_prototype.__code__


def _frame_of(code, frame: Optional[FrameType]) -> Optional[FrameType]:
    while frame is not None and frame.f_code is not code:
        frame = frame.f_back
    return frame


def _replays(model_trace: dict) -> bool:
    # NumPyro 0.22's own test for replaying the model.
    for site in model_trace.values():
        if site["type"] == "deterministic":
            return True
        if site["type"] != "sample" or site["is_observed"]:
            continue
        support = site["fn"].support
        if isinstance(support, constraints._GreaterThan):
            bounds = (support.lower_bound,)
        elif isinstance(support, constraints._Interval):
            bounds = (support.lower_bound, support.upper_bound)
        else:
            continue
        if any(not isinstance(bound, (int, float)) for bound in bounds):
            return True
    return False


def check_union_site(constraint: constraints.Constraint) -> None:
    """
    Raise a ``ValueError`` where NumPyro is collecting the transforms of a model
    whose latent site has the union support ``constraint`` with array bounds, and
    would build its draws, or its autoguide, with the bounds of the initial point.
    """
    if not _is_dynamic_support(constraint):
        return
    collecting = _frame_of(_COLLECTING, sys._getframe(1))
    if collecting is None:
        return
    if collecting.f_locals.get("support") is not constraint:
        # the constraint of a param site, say
        return
    name = collecting.f_locals["k"]
    model_trace = collecting.f_locals["model_trace"]
    guide = _frame_of(_GUIDE_SETUP, collecting)
    if guide is not None:
        _check_static_supports(type(guide.f_locals["self"]).__name__, model_trace)
    if not _replays(model_trace):
        raise ValueError(
            f"The latent site '{name}' has the support {constraint}, whose bounds "
            "are arrays. NumPyro 0.22 builds the samples it returns with the bounds "
            "of the initial point unless it replays the model, and it does not "
            "replay for a union, so where these bounds depend on other latent sites "
            f"the draws of '{name}' would be wrong. Sample the site on the real "
            "line: numpyro.handlers.reparam(model, config="
            f"{{'{name}': UnconstrainedReparam()}}) with UnconstrainedReparam from "
            "numpyro_mixsupport.infer.reparam; or add a numpyro.deterministic site "
            "to the model, which makes NumPyro replay it."
        )


@transforms.biject_to.register(constraints._Union)
def _transform_to_union(constraint: constraints.Constraint) -> transforms.Transform:
    check_union_site(constraint)
    return transforms._transform_to_union(constraint)
