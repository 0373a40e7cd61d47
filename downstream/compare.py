# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Compare what a probe recorded on stock NumPyro and on the fork.

A probe (see ``gwkokab_probe.py``) writes, for every case, the arrays
``points``, ``logp``, ``grad/<param>``, ``samples`` and, at the samples,
``logp_samples`` and ``grad_samples/<param>``, plus the errors that building or
evaluating raised. Two runs of the same probe are compared element by element:

* equal: the same value (infinities of one sign, or both ``nan``), or both
  finite and within the tolerance of the dtype;
* *accepted*: a difference where stock was wrong. Without a reference that is
  only where stock is ``nan`` (or ``log_prob`` is ``+inf``) and the fork is
  finite; with a reference (an independent float64 computation, see
  ``reference.py``), where the fork agrees with the reference and stock does
  not (elements where the reference is ``nan`` have none);
* *failed*: any other difference, a different shape, or a step that stock
  completes and the fork raises on.

The arrays at the samples are compared only where the samples are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

OK, ACCEPTED, FAILED = "ok", "accepted", "FAILED"


@dataclass(frozen=True)
class Tolerance:
    """``|a - b| <= atol * scale + rtol * max(|a|, |b|)``, where ``scale`` is the
    largest finite magnitude of stock's array (at least 1)."""

    rtol: float
    atol: float


#: Samples that differ are accepted when stock's fail a Kolmogorov-Smirnov test
#: against the reference at this level and the fork's pass it.
KS_ALPHA = 1e-3
#: stock vs fork, by dtype.
TOLERANCE = {"float32": Tolerance(1e-4, 1e-5), "float64": Tolerance(1e-9, 1e-12)}
#: fork or stock vs a float64 reference (gradients are finite differences).
REFERENCE_TOLERANCE = {
    "float32": Tolerance(1e-3, 1e-4),
    "float64": Tolerance(1e-6, 1e-7),
}


def _scale(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return max(1.0, float(finite.max())) if finite.size else 1.0


def close(
    a: np.ndarray, b: np.ndarray, tol: Tolerance, scale: float = 1.0
) -> np.ndarray:
    """Elementwise: the same value, both ``nan``, or finite and within ``tol``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(a - b) <= tol.atol * scale + tol.rtol * np.maximum(
            np.abs(a), np.abs(b)
        )
    both_finite = np.isfinite(a) & np.isfinite(b)
    return (a == b) | (np.isnan(a) & np.isnan(b)) | (both_finite & near)


@dataclass
class FieldResult:
    """The comparison of one array."""

    name: str
    status: str
    size: int = 0
    #: reason -> number of elements
    accepted: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    #: a few differing elements: (index, stock, fork, reference or None)
    examples: list[tuple] = field(default_factory=list)

    def summary(self) -> str:
        items = [*self.failed.items(), *self.accepted.items()]
        parts = [f"{n}/{self.size} {why}" if n else why for why, n in items]
        return f"{self.name}: " + "; ".join(parts)


def _describe(v: float) -> str:
    return "nan" if np.isnan(v) else repr(float(v))


def compare_field(
    name: str,
    stock: np.ndarray,
    fork: np.ndarray,
    dtype: str,
    reference: np.ndarray | None = None,
    *,
    is_log_density: bool = False,
    outside: tuple[np.ndarray, np.ndarray] | None = None,
) -> FieldResult:
    """Compare one array of stock's with the fork's (see the module docstring).
    ``outside`` (for samples): where stock's and where the fork's samples lie
    outside the model's support, one flag per sample, by an independent check;
    a differing sample is then judged by it."""
    stock, fork = np.asarray(stock), np.asarray(fork)
    if stock.shape != fork.shape:
        return FieldResult(
            name, FAILED, stock.size, failed={f"shape {stock.shape} -> {fork.shape}": 1}
        )
    tol = TOLERANCE[dtype]
    s, f = stock.astype(float).ravel(), fork.astype(float).ravel()
    equal = close(s, f, tol, _scale(s))
    result = FieldResult(name, OK, s.size)
    if equal.all():
        return result
    differ = ~equal
    # (reason, elements, accepted?)
    reasons: list[tuple[str, np.ndarray, bool]] = []
    r = None
    unjudged = differ
    if reference is not None:
        r = np.broadcast_to(np.asarray(reference, float), stock.shape).ravel()
        rtol = REFERENCE_TOLERANCE[dtype]
        fork_right = close(f, r, rtol, _scale(r))
        stock_right = close(s, r, rtol, _scale(r))
        # A nan in the reference means it has no value there.
        judged = differ & ~np.isnan(r)
        both_on = judged & fork_right & stock_right
        with np.errstate(invalid="ignore"):
            fork_closer = np.abs(f - r) <= np.abs(s - r)
        reasons = [
            ("stock off the reference, fork on it", judged & fork_right & ~stock_right, True),
            ("fork off the reference", judged & ~fork_right, False),
            ("both on the reference, the fork closer", both_on & fork_closer, True),
            ("both on the reference, the fork further", both_on & ~fork_closer, False),
        ]  # fmt: skip
        unjudged = differ & np.isnan(r)
    if outside is not None:
        s_out, f_out = (
            np.broadcast_to(
                np.asarray(o, bool).reshape(o.shape + (1,) * (stock.ndim - o.ndim)),
                stock.shape,
            ).ravel()
            for o in outside
        )
        reasons += [
            ("stock sample outside the support, the fork's inside",
             unjudged & s_out & ~f_out, True),
            ("fork sample outside the support", unjudged & f_out, False),
        ]  # fmt: skip
        unjudged = unjudged & ~s_out & ~f_out
    stock_wrong = np.isnan(s) | ((s == np.inf) if is_log_density else False)
    right = unjudged & stock_wrong & np.isfinite(f)
    why = "stock nan/+inf, fork finite" if is_log_density else "stock nan, fork finite"
    rest = [
        (why, right, True),
        ("fork nan, stock not", unjudged & np.isnan(f) & ~np.isnan(s), False),
        ("fork infinite, stock finite", unjudged & np.isinf(f) & np.isfinite(s), False),
        ("stock infinite, fork finite", unjudged & np.isinf(s) & np.isfinite(f) & ~right,
         False),
        ("both finite, apart", unjudged & np.isfinite(s) & np.isfinite(f), False),
    ]  # fmt: skip
    covered = np.any([m for _, m, _ in rest], axis=0)
    rest.append(("other", unjudged & ~covered, False))
    reasons += rest
    accepted = np.zeros_like(differ)
    for why, mask, ok in reasons:
        n = int(mask.sum())
        if n:
            (result.accepted if ok else result.failed)[why] = n
        if ok:
            accepted |= mask
    failing = differ & ~accepted
    shown = np.flatnonzero(failing if failing.any() else differ)[:3]
    result.examples = [
        (
            int(i),
            _describe(s[i]),
            _describe(f[i]),
            None if r is None else _describe(r[i]),
        )
        for i in shown
    ]
    result.status = FAILED if failing.any() else ACCEPTED
    return result


@dataclass
class CaseResult:
    """The comparison of one case in one dtype."""

    case: str
    dtype: str
    status: str = OK
    notes: list[str] = field(default_factory=list)
    fields: list[FieldResult] = field(default_factory=list)

    def add(self, status: str, note: str) -> None:
        order = (OK, ACCEPTED, FAILED)
        if order.index(status) > order.index(self.status):
            self.status = status
        self.notes.append(f"{status}: {note}" if status != OK else note)


#: The steps a probe records errors for, and the arrays each makes.
STEPS = {
    "build": (),
    "samples": ("samples",),
    "logp": ("logp", "logp_samples"),
    "grad": ("grad", "grad_samples"),
}


def compare_case(
    case: str,
    dtype: str,
    stock_meta: dict,
    fork_meta: dict,
    stock: dict[str, np.ndarray],
    fork: dict[str, np.ndarray],
    reference: dict[str, np.ndarray] | None = None,
) -> CaseResult:
    """Compare one case: ``*_meta`` is the case's JSON entry of each run,
    ``stock``/``fork`` its arrays (keys without the case prefix), ``reference``
    the reference arrays where one exists (``logp``, ``grad/<param>``, and
    ``outside/stock``, ``outside/fork``: which samples of each run lie outside
    the support)."""
    result = CaseResult(case, dtype)
    s_err, f_err = stock_meta.get("errors", {}), fork_meta.get("errors", {})
    for step in STEPS:
        if step in f_err and step not in s_err:
            result.add(FAILED, f"{step} fails on the fork only: {f_err[step]}")
        elif step in s_err and step not in f_err:
            result.add(ACCEPTED, f"{step} fails on stock only: {s_err[step]}")
        elif step in s_err and s_err[step] != f_err[step]:
            result.add(
                OK, f"{step} fails on both, differently: {s_err[step]} | {f_err[step]}"
            )
        elif step in s_err:
            result.add(OK, f"{step} fails on both: {s_err[step]}")
    new_warnings = sorted(
        set(fork_meta.get("warnings", [])) - set(stock_meta.get("warnings", []))
    )
    for w in new_warnings:
        result.add(OK, f"new warning on the fork: {w}")
    if (
        "points" in stock
        and "points" in fork
        and not np.array_equal(stock["points"], fork["points"])
    ):
        result.add(FAILED, "the two runs evaluated different points")
        return result
    samples_equal = None
    if "samples" in stock and "samples" in fork:
        outside = None
        if reference is not None and "outside/stock" in reference:
            outside = (reference["outside/stock"], reference["outside/fork"])
        samples = compare_field(
            "samples", stock["samples"], fork["samples"], dtype, outside=outside
        )
        if (
            samples.status == FAILED
            and reference is not None
            and "ks/stock" in reference
        ):
            # A changed stream is a regression unless stock's draws do not
            # follow the model and the fork's do.
            p_stock, p_fork = float(reference["ks/stock"]), float(reference["ks/fork"])
            if p_stock < KS_ALPHA <= p_fork:
                samples.status = ACCEPTED
                samples.accepted |= samples.failed
                samples.failed = {}
                samples.accepted[
                    "(stock's samples do not follow the model: "
                    f"KS p = {p_stock:.2g}; the fork's do: p = {p_fork:.2g})"
                ] = 0
            else:
                samples.failed[f"(KS p: stock {p_stock:.2g}, fork {p_fork:.2g})"] = 0
        samples_equal = samples.status == OK
        _record(result, samples)
    for key in sorted(set(stock) & set(fork)):
        if key in ("points", "samples"):
            continue
        at_samples = key.split("/")[0].endswith("_samples")
        if at_samples and not samples_equal:
            continue
        ref = None if reference is None else reference.get(key)
        field_result = compare_field(
            key,
            stock[key],
            fork[key],
            dtype,
            ref,
            is_log_density=key.startswith("logp"),
        )
        _record(result, field_result)
    for key in sorted(set(stock) ^ set(fork)):
        lacking = f_err if key in stock else s_err
        if not _explained(key, lacking):
            where = "stock" if key in stock else "the fork"
            result.add(FAILED, f"{key} recorded by {where} only")
    return result


def _explained(key: str, errors: dict) -> bool:
    """Whether an error of a run explains that it lacks the array ``key``."""
    field_name = key.split("/")[0]
    if "build" in errors:
        return True
    if field_name.endswith("_samples") and "samples" in errors:
        return True
    return any(field_name in STEPS[step] for step in errors if step in STEPS)


def _record(result: CaseResult, field_result: FieldResult) -> None:
    result.fields.append(field_result)
    if field_result.status != OK:
        note = field_result.summary()
        if field_result.status == FAILED and field_result.examples:
            note += "; e.g. " + ", ".join(
                f"[{i}] stock {s} fork {f}" + (f" ref {r}" if r is not None else "")
                for i, s, f, r in field_result.examples
            )
        result.add(field_result.status, note)


def split_arrays(arrays: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{"case/field": a}`` -> ``{case: {field: a}}``, the case names being the
    part before the second-last, or last, known field name."""
    out: dict[str, dict[str, np.ndarray]] = {}
    fields = {"points", "samples", "logp", "logp_samples", "grad", "grad_samples"}
    for key, value in arrays.items():
        parts = key.split("/")
        for i in range(len(parts) - 1, 0, -1):
            if parts[i] in fields:
                out.setdefault("/".join(parts[:i]), {})["/".join(parts[i:])] = value
                break
    return out


def format_results(results: list[CaseResult]) -> str:
    """One line per case and dtype, then the notes of those not plainly ok."""
    width = max([len(r.case) for r in results] + [10])
    lines = [f"{'case':<{width}}  {'dtype':<7}  result"]
    for r in results:
        lines.append(f"{r.case:<{width}}  {r.dtype:<7}  {r.status}")
        for note in r.notes:
            lines.append(f"{'':<{width}}    {note}")
    counts = {s: sum(r.status == s for r in results) for s in (OK, ACCEPTED, FAILED)}
    lines.append(
        f"model comparisons: {counts[OK]} ok, {counts[ACCEPTED]} accepted "
        f"(stock wrong), {counts[FAILED]} failed"
    )
    return "\n".join(lines)
