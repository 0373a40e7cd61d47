# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Independent float64 densities of gwkokab's mixture models, from SciPy.

Each function takes the parameters a probe recorded (``params`` and
``static``) and points ``x``, and returns ``log p(x)``; it is ``-inf`` outside
the support. :func:`reference_arrays` adds the gradient with respect to every
parameter by central differences (``nan`` where the density is not finite
nearby). The comparison uses them to tell, where stock and the fork disagree,
which of the two is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats


def truncated_normal_logpdf(x, loc, scale, low=None, high=None) -> np.ndarray:
    """log density of a normal truncated to ``[low, high]`` (``None``: no bound)."""
    low = -np.inf if low is None else np.asarray(low, float)
    high = np.inf if high is None else np.asarray(high, float)
    loc, scale = np.asarray(loc, float), np.asarray(scale, float)
    a, b = (low - loc) / scale, (high - loc) / scale
    x = np.asarray(x, float)
    out = stats.truncnorm.logpdf(x, a, b, loc=loc, scale=scale)
    inside = (x >= low) & (x <= high)
    return np.where(inside, out, -np.inf)


def uniform_logpdf(x, low, high) -> np.ndarray:
    x, low, high = (np.asarray(v, float) for v in (x, low, high))
    inside = (x >= low) & (x <= high)
    return np.where(inside, -np.log(high - low), -np.inf)


def _mix(zeta, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    zeta = float(zeta)
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log1p(-zeta) + first, np.log(zeta) + second)


def two_truncated_normal_mixture(p: dict, x: np.ndarray) -> np.ndarray:
    """``TwoTruncatedNormalMixture``: ``(1 - zeta) N1 + zeta N2``."""
    first = truncated_normal_logpdf(
        x, p["comp1_loc"], p["comp1_scale"], p.get("comp1_low"), p.get("comp1_high")
    )
    second = truncated_normal_logpdf(
        x, p["comp2_loc"], p["comp2_scale"], p.get("comp2_low"), p.get("comp2_high")
    )
    return _mix(p["zeta"], first, second)


def nd_two_truncated_normal_mixture(p: dict, x: np.ndarray) -> np.ndarray:
    """``NDTwoTruncatedNormalMixture``: each component independent across the
    last axis."""
    first = truncated_normal_logpdf(
        x, p["comp1_loc"], p["comp1_scale"], p["comp1_low"], p["comp1_high"]
    ).sum(-1)
    second = truncated_normal_logpdf(
        x, p["comp2_loc"], p["comp2_scale"], p["comp2_low"], p["comp2_high"]
    ).sum(-1)
    return _mix(p["zeta"], first, second)


def nd_isotropic_and_truncated_normal_mixture(p: dict, x: np.ndarray) -> np.ndarray:
    """``NDIsotropicAndTruncatedNormalMixture``: a uniform box and a truncated
    normal, each independent across the last axis."""
    box = uniform_logpdf(x, p["isotropic_low"], p["isotropic_high"]).sum(-1)
    gaussian = truncated_normal_logpdf(
        x, p["loc"], p["scale"], p.get("gaussian_low"), p.get("gaussian_high")
    ).sum(-1)
    return _mix(p["zeta"], box, gaussian)


def generic_tilt_model(p: dict, x: np.ndarray) -> np.ndarray:
    """``GenericTiltModel``: the isotropic and truncated normal mixture of
    (cos tilt 1, cos tilt 2), the bounds defaulting to [-1, 1]."""
    low = [p.get("low1", -1.0), p.get("low2", -1.0)]
    high = [p.get("high1", 1.0), p.get("high2", 1.0)]
    return nd_isotropic_and_truncated_normal_mixture(
        {
            "zeta": p["zeta"],
            "loc": [p["loc1"], p["loc2"]],
            "scale": [p["scale1"], p["scale2"]],
            "isotropic_low": low,
            "isotropic_high": high,
            "gaussian_low": low,
            "gaussian_high": high,
        },
        x,
    )


#: model name -> reference log density
REFERENCES: dict[str, Callable[[dict, np.ndarray], np.ndarray]] = {
    "TwoTruncatedNormalMixture": two_truncated_normal_mixture,
    "NDTwoTruncatedNormalMixture": nd_two_truncated_normal_mixture,
    "NDIsotropicAndTruncatedNormalMixture": nd_isotropic_and_truncated_normal_mixture,
    "GenericTiltModel": generic_tilt_model,
}


def _in_box(x, low, high) -> np.ndarray:
    low = -np.inf if low is None else np.asarray(low, float)
    high = np.inf if high is None else np.asarray(high, float)
    x = np.asarray(x, float)
    return (x >= low) & (x <= high)


def _support_two(p: dict, x) -> np.ndarray:
    return _in_box(x, p.get("comp1_low"), p.get("comp1_high")) | _in_box(
        x, p.get("comp2_low"), p.get("comp2_high")
    )


def _support_nd_two(p: dict, x) -> np.ndarray:
    first = _in_box(x, p["comp1_low"], p["comp1_high"]).all(-1)
    return first | _in_box(x, p["comp2_low"], p["comp2_high"]).all(-1)


def _support_isotropic(p: dict, x) -> np.ndarray:
    box = _in_box(x, p["isotropic_low"], p["isotropic_high"]).all(-1)
    return box | _in_box(x, p.get("gaussian_low"), p.get("gaussian_high")).all(-1)


def _support_tilt(p: dict, x) -> np.ndarray:
    low = [p.get("low1", -1.0), p.get("low2", -1.0)]
    high = [p.get("high1", 1.0), p.get("high2", 1.0)]
    return _in_box(x, low, high).all(-1)


#: model name -> whether each point (an event) lies in the support
SUPPORTS: dict[str, Callable[[dict, np.ndarray], np.ndarray]] = {
    "TwoTruncatedNormalMixture": _support_two,
    "NDTwoTruncatedNormalMixture": _support_nd_two,
    "NDIsotropicAndTruncatedNormalMixture": _support_isotropic,
    "GenericTiltModel": _support_tilt,
}


def _tn_cdf(loc, scale, low, high) -> Callable[[np.ndarray], np.ndarray]:
    low = -np.inf if low is None else float(low)
    high = np.inf if high is None else float(high)
    a, b = (low - loc) / scale, (high - loc) / scale
    return lambda x: stats.truncnorm.cdf(x, a, b, loc=loc, scale=scale)


def _uniform_cdf(low, high) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: stats.uniform.cdf(x, loc=low, scale=high - low)


def _mix_cdf(zeta, first, second) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: (1 - zeta) * first(x) + zeta * second(x)


def _at(v, d):
    return None if v is None else np.broadcast_to(np.asarray(v, float), (2,))[d]


def marginal_cdfs(
    model: str, p: dict
) -> list[Callable[[np.ndarray], np.ndarray]] | None:
    """The CDF of each coordinate of the model's events, or None."""
    zeta = float(p.get("zeta", 0.0))
    if model == "TwoTruncatedNormalMixture":
        return [
            _mix_cdf(
                zeta,
                _tn_cdf(
                    p["comp1_loc"],
                    p["comp1_scale"],
                    p.get("comp1_low"),
                    p.get("comp1_high"),
                ),
                _tn_cdf(
                    p["comp2_loc"],
                    p["comp2_scale"],
                    p.get("comp2_low"),
                    p.get("comp2_high"),
                ),
            )
        ]
    if model == "NDTwoTruncatedNormalMixture":
        return [
            _mix_cdf(
                zeta,
                _tn_cdf(
                    *(_at(p[f"comp1_{k}"], d) for k in ("loc", "scale", "low", "high"))
                ),
                _tn_cdf(
                    *(_at(p[f"comp2_{k}"], d) for k in ("loc", "scale", "low", "high"))
                ),
            )
            for d in range(2)
        ]
    if model == "GenericTiltModel":
        low = [p.get("low1", -1.0), p.get("low2", -1.0)]
        high = [p.get("high1", 1.0), p.get("high2", 1.0)]
        p = {"zeta": zeta, "loc": [p["loc1"], p["loc2"]], "scale": [p["scale1"], p["scale2"]],
             "isotropic_low": low, "isotropic_high": high, "gaussian_low": low,
             "gaussian_high": high}  # fmt: skip
        model = "NDIsotropicAndTruncatedNormalMixture"
    if model == "NDIsotropicAndTruncatedNormalMixture":
        return [
            _mix_cdf(
                zeta,
                _uniform_cdf(_at(p["isotropic_low"], d), _at(p["isotropic_high"], d)),
                _tn_cdf(_at(p["loc"], d), _at(p["scale"], d), _at(p.get("gaussian_low"), d),
                        _at(p.get("gaussian_high"), d)),
            )
            for d in range(2)
        ]  # fmt: skip
    return None


def ks_pvalue(model: str, p: dict, samples: np.ndarray) -> float | None:
    """The smallest Kolmogorov-Smirnov p-value of the samples' coordinates
    against the model's marginal CDFs, or None."""
    cdfs = marginal_cdfs(model, p)
    if cdfs is None:
        return None
    x = np.asarray(samples, float).reshape(len(samples), -1)
    return min(float(stats.kstest(x[:, d], cdfs[d]).pvalue) for d in range(len(cdfs)))


def finite_difference(
    fn: Callable[[dict, np.ndarray], np.ndarray],
    params: dict,
    x: np.ndarray,
    name: str,
    rel_step: float = 1e-6,
) -> np.ndarray:
    """d fn / d params[name] at each point, by central differences; the shape is
    ``(n_points, *shape of the parameter)``, ``nan`` where either side is not
    finite."""
    value = np.asarray(params[name], float)
    grads = []
    for index in np.ndindex(value.shape):
        h = rel_step * max(1.0, abs(float(value[index])))
        up, down = value.copy(), value.copy()
        up[index] += h
        down[index] -= h
        f_up = fn(params | {name: up if value.shape else float(up)}, x)
        f_down = fn(params | {name: down if value.shape else float(down)}, x)
        with np.errstate(invalid="ignore"):
            g = (f_up - f_down) / (2 * h)
        grads.append(np.where(np.isfinite(f_up) & np.isfinite(f_down), g, np.nan))
    out = np.stack(grads, axis=-1)
    return out.reshape(out.shape[:-1] + value.shape)


def reference_arrays(
    model: str,
    meta: dict,
    points: np.ndarray,
    samples: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray] | None:
    """``logp`` and ``grad/<param>`` at ``points`` for one probe case, and, with
    ``samples`` (run -> its samples), ``outside/<run>`` (a flag per sample),
    ``ks/<run>`` (see :func:`ks_pvalue`) and ``logp_samples`` and
    ``grad_samples/<param>`` at stock's samples; None where the model has no
    reference."""
    fn = REFERENCES.get(model)
    if fn is None:
        return None
    params = dict(meta.get("static", {})) | dict(meta["params"])
    x = np.asarray(points, float)
    out = {"logp": fn(params, x)}
    for name in meta["params"]:
        out[f"grad/{name}"] = finite_difference(fn, params, x, name)
    for run, drawn in (samples or {}).items():
        out[f"outside/{run}"] = ~SUPPORTS[model](params, np.asarray(drawn, float))
        out[f"ks/{run}"] = np.asarray(ks_pvalue(model, params, drawn))
    if samples:
        # At stock's samples: used where the fork drew the same ones.
        drawn = np.asarray(samples["stock"], float)
        out["logp_samples"] = fn(params, drawn)
        for name in meta["params"]:
            out[f"grad_samples/{name}"] = finite_difference(fn, params, drawn, name)
    return out
