# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The mixture density network example trains, predicts and plots."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "examples" / "mixture_density_network.py"
)


def _load():
    spec = importlib.util.spec_from_file_location("mixture_density_network", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mixture_density_network(tmp_path, capsys):
    example = _load()
    argv = ["--steps", "300", "--num-points", "1000", "--num-samples", "200"]
    argv += ["--no-progress-bar", "--out", str(tmp_path)]
    result = example.main(argv)
    assert "all finite" in capsys.readouterr().out

    losses = result["losses"]
    assert losses.shape == (300,)
    assert np.isfinite(losses).all()
    assert losses[-50:].mean() < losses[:50].mean()

    # Negative responses are evaluated only by the Normal component: nothing
    # leaks NaN into the gradients, the fitted network or its predictions.
    draws = result["draws"]
    assert draws.shape == (200, 200)
    assert np.isfinite(draws).all()
    assert (draws < 0).any() and (draws > 5).any()
    low, median, high = result["fitted"]
    assert np.isfinite(result["fitted"]).all()
    assert (low <= median).all() and (median <= high).all()

    assert result["figure"] == tmp_path / "quantiles.png"
    assert result["figure"].stat().st_size > 10_000
