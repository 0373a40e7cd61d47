# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Figures for the user guide, drawn from the package itself.

The Sphinx build runs this (see ``conf.py``); it can also be run on its own:

    python docs/make_figures.py [OUTDIR]

It writes ``union_transform.png``: the bijection that ``biject_to`` returns for
two unions of intervals, and the density of a mixture of uniforms on disjoint
intervals pulled back to the real line, where NUTS works; and
``union_widths.png``: that pulled-back log density for intervals of very
different widths and distances, with the transform that only translated the
intervals (before) and with the one that gives each the same room (after).
"""

from pathlib import Path
import sys

import numpy as np

import jax.numpy as jnp

import numpyro_mixsupport.distributions as dist
from numpyro_mixsupport.distributions import constraints

OUTDIR = Path(__file__).resolve().parent / "_generated"

UNIONS = [
    (
        r"$(-\infty, -1) \cup [0, 1] \cup (3, \infty)$",
        constraints.union(
            constraints.less_than(-1.0),
            constraints.interval(0.0, 1.0),
            constraints.greater_than(3.0),
        ),
        (-6.0, 6.0),
        (-6.0, 8.0),
    ),
    (
        r"$[0, 1] \cup [2, 3]$",
        constraints.union(
            constraints.interval(0.0, 1.0), constraints.interval(2.0, 3.0)
        ),
        (-6.0, 6.0),
        (-0.4, 3.4),
    ),
]


def _pieces(constraint, ylim):
    """The parts of the union as finite (low, high) pairs clipped to ``ylim``."""
    pieces = []
    for part in constraint.parts:
        low = getattr(part, "lower_bound", -np.inf)
        high = getattr(part, "upper_bound", np.inf)
        pieces.append((max(float(low), ylim[0]), min(float(high), ylim[1])))
    return sorted(pieces)


def _plot_transform(ax, title, constraint, xlim, ylim):
    t = dist.biject_to(constraint)
    x = np.linspace(*xlim, 4001)
    y = np.asarray(t(jnp.asarray(x)))
    pieces = _pieces(constraint, ylim)
    for i, (low, high) in enumerate(pieces):
        label = "the union" if i == 0 else None
        ax.axhspan(low, high, color="C0", alpha=0.12, lw=0, label=label)
    for i, ((_, low), (high, _)) in enumerate(zip(pieces[:-1], pieces[1:])):
        label = "a gap" if i == 0 else None
        ax.axhspan(
            low, high, facecolor="none", edgecolor="0.6", hatch="///", lw=0, label=label
        )
    # Draw each piece of the graph separately: the map jumps over the gaps.
    jumps = np.flatnonzero(np.diff(y) > 10 * np.max(np.diff(x)) + 1e-9) + 1
    for i, (xs, ys) in enumerate(zip(np.split(x, jumps), np.split(y, jumps))):
        ax.plot(xs, ys, color="C0", lw=2, label="y = T(x)" if i == 0 else None)
    # At a seam both ends of the gap are limits of T; the one T attains (filled)
    # is the end the union holds, the upper one when it holds both.
    for (_, low), (high, _) in zip(pieces[:-1], pieces[1:]):
        seam = float(t.inv(jnp.asarray(low)))
        attained = float(t(jnp.asarray(seam)))
        other = high if np.isclose(attained, low) else low
        ax.plot(seam, attained, "o", color="C0", ms=5)
        ax.plot(seam, other, "o", mfc="white", color="C0", ms=5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x (unconstrained)")
    ax.set_ylabel("y (in the union)")
    ax.set_title(f"biject_to({title})", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)


def _plot_pullback(ax):
    mixture = dist.MixtureGeneral(
        dist.Categorical(probs=jnp.array([0.3, 0.7])),
        [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)],
    )
    t = dist.biject_to(mixture.support)
    x = jnp.linspace(-7.0, 7.0, 2001)
    y = t(x)
    log_density = mixture.log_prob(y) + t.log_abs_det_jacobian(x, y)
    density = np.exp(np.asarray(log_density))
    seam = float(t.inv(jnp.asarray(2.0)))
    ax.fill_between(np.asarray(x), density, color="C1", alpha=0.3, lw=0)
    ax.plot(np.asarray(x), density, color="C1", lw=2)
    ax.axvline(seam, color="0.4", ls=":", lw=1)
    ax.annotate(
        "seam: y jumps\nfrom 1 to 2",
        xy=(seam, density.max() * 0.55),
        xytext=(seam + 1.5, density.max() * 0.85),
        fontsize=8,
        arrowprops=dict(arrowstyle="->", color="0.4"),
    )
    ax.text(-6.5, density.max() * 0.3, "y in [0, 1]", fontsize=8)
    ax.text(3.6, density.max() * 0.3, "y in [2, 3]", fontsize=8)
    ax.set_xlim(-7.0, 7.0)
    ax.set_ylim(0, density.max() * 1.1)
    ax.set_xlabel("x (unconstrained)")
    ax.set_ylabel(r"$p(T(x))\,|T'(x)|$")
    ax.set_title("0.3 Uniform(0, 1) + 0.7 Uniform(2, 3), seen by NUTS", fontsize=10)


def make_union_transform(outdir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (title, constraint, xlim, ylim) in zip(axes, UNIONS):
        _plot_transform(ax, title, constraint, xlim, ylim)
    _plot_pullback(axes[2])
    fig.tight_layout()
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "union_transform.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


WIDTH_CASES = [
    ("0.5 U(0, 1e-3) + 0.5 U(1, 2)", (0.5, 0.5), ((0.0, 1e-3), (1.0, 2.0))),
    ("0.5 U(0, 1e-6) + 0.5 U(1, 2)", (0.5, 0.5), ((0.0, 1e-6), (1.0, 2.0))),
    ("0.3 U(0, 1) + 0.7 U(1e4, 1.1e4)", (0.3, 0.7), ((0.0, 1.0), (1e4, 1.1e4))),
]


def _translated(x, pieces):
    """The transform that translated the intervals (disjoint, sorted, finite):
    a sigmoid onto (l_1, l_1 + total width), then each interval shifted up by
    the gaps below it. Returns y and log|dy/dx|."""
    widths = np.array([hi - lo for lo, hi in pieces])
    total = widths.sum()
    s = 1.0 / (1.0 + np.exp(-x))
    z = total * s
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    index = np.clip(np.searchsorted(edges, z, side="right") - 1, 0, len(pieces) - 1)
    y = np.array([lo for lo, _ in pieces])[index] + z - edges[index]
    log_det = np.log(total) + np.log(s) + np.log1p(-s)
    return y, log_det, index


def _mixture_log_density(y_index, weights, pieces):
    widths = np.array([hi - lo for lo, hi in pieces])
    return np.log(np.asarray(weights)[y_index] / widths[y_index])


def make_union_widths(outdir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.linspace(-25.0, 25.0, 5001)
    fig, axes = plt.subplots(1, len(WIDTH_CASES), figsize=(13, 3.6), sharey=True)
    for ax, (title, weights, pieces) in zip(axes, WIDTH_CASES):
        _, log_det, index = _translated(x, pieces)
        before = _mixture_log_density(index, weights, pieces) + log_det
        support = constraints.union(
            *(constraints.interval(lo, hi) for lo, hi in pieces)
        )
        t = dist.biject_to(support)
        mixture = dist.MixtureGeneral(
            dist.Categorical(probs=jnp.asarray(weights)),
            [dist.Uniform(lo, hi) for lo, hi in pieces],
        )
        xs = jnp.asarray(x)
        ys = t(xs)
        after = np.asarray(mixture.log_prob(ys) + t.log_abs_det_jacobian(xs, ys))
        ax.plot(x, before, color="0.5", lw=1.5, label="before: intervals translated")
        ax.plot(x, after, color="C0", lw=2, label="after: each interval the same room")
        ax.set_ylim(-25, 2)
        ax.set_xlabel("x (unconstrained)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel(r"$\log p(T(x)) + \log|T'(x)|$")
    axes[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "union_widths.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(outdir: Path = OUTDIR) -> list:
    return [make_union_transform(Path(outdir)), make_union_widths(Path(outdir))]


if __name__ == "__main__":
    for path in main(*sys.argv[1:2]):
        print(f"wrote {path}")
