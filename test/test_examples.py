# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The examples run end to end at small settings."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_power_law_peak(tmp_path, capsys):
    example = _load("power_law_peak")
    argv = ["--num-events", "600", "--num-chains", "1", "--num-warmup", "300"]
    argv += ["--num-samples", "300", "--no-progress-bar", "--out", str(tmp_path)]
    mcmc, rows = example.main(argv)
    out = capsys.readouterr().out
    assert "r_hat" in out and "ess_bulk" in out
    assert set(rows) == set(example.TRUTH)
    # The well-measured hyperparameters are recovered.
    for name in ("alpha", "lam", "mu"):
        assert rows[name][2], (name, rows[name])
    for figure in ("density.png", "corner.png"):
        assert (tmp_path / figure).stat().st_size > 10_000


def test_disjoint_windows(tmp_path, capsys):
    example = _load("disjoint_windows")
    found, exact, moves = example.main(
        ["--num-samples", "3000", "--out", str(tmp_path)]
    )
    assert "samples outside every window: 0" in capsys.readouterr().out
    assert abs(sum(exact) - 1.0) < 1e-6
    for f, e in zip(found, exact):
        assert abs(f - e) < 0.05
    assert moves > 100
    assert (tmp_path / "windows.png").stat().st_size > 10_000
