# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The downstream harness's own logic: comparing two probe runs, the reference
densities, and counting JUnit outcomes. No environments, no network."""

from pathlib import Path
import sys

import numpy as np
import pytest
from scipy import stats

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from downstream import compare, junit, reference  # noqa: E402

nan, inf = np.nan, np.inf


# ---------------------------------------------------------------------------
# compare_field
# ---------------------------------------------------------------------------


def test_close_treats_equal_infinities_and_nans_as_equal():
    tol = compare.TOLERANCE["float64"]
    a = np.array([inf, -inf, nan, 1.0, 1.0])
    b = np.array([inf, -inf, nan, 1.0 + 1e-12, 1.1])
    assert compare.close(a, b, tol).tolist() == [True, True, True, True, False]
    assert not compare.close(np.array([inf]), np.array([-inf]), tol)[0]
    assert not compare.close(np.array([nan]), np.array([0.0]), tol)[0]


def test_identical_arrays_are_ok():
    a = np.array([-1.0, -inf, nan])
    result = compare.compare_field("logp", a, a.copy(), "float32")
    assert result.status == compare.OK
    assert not result.failed and not result.accepted


@pytest.mark.parametrize(
    "dtype, fork_value, status",
    [
        ("float32", 1.00005, compare.OK),
        ("float32", 1.001, compare.FAILED),
        ("float64", 1.0 + 1e-11, compare.OK),
        ("float64", 1.0 + 1e-7, compare.FAILED),
    ],
)
def test_tolerance_depends_on_dtype(dtype, fork_value, status):
    result = compare.compare_field(
        "logp", np.array([1.0]), np.array([fork_value]), dtype
    )
    assert result.status == status


def test_nan_on_stock_finite_on_fork_is_accepted():
    stock = np.array([0.5, nan, nan])
    fork = np.array([0.5, 0.25, 0.0])
    result = compare.compare_field("grad/loc", stock, fork, "float32")
    assert result.status == compare.ACCEPTED
    assert result.accepted == {"stock nan, fork finite": 2}
    assert not result.failed


def test_nan_on_fork_fails_and_shows_where():
    stock = np.array([0.5, 0.25])
    fork = np.array([0.5, nan])
    result = compare.compare_field("grad/loc", stock, fork, "float32")
    assert result.status == compare.FAILED
    assert result.failed == {"fork nan, stock not": 1}
    assert result.examples == [(1, "0.25", "nan", None)]


def test_finite_difference_without_reference_fails():
    result = compare.compare_field(
        "logp", np.array([-1.0]), np.array([-2.0]), "float64"
    )
    assert result.status == compare.FAILED
    assert result.failed == {"both finite, apart": 1}


def test_log_density_plus_inf_on_stock_is_wrong_minus_inf_needs_a_reference():
    stock = np.array([inf, -inf])
    fork = np.array([-2.0, -3.0])
    result = compare.compare_field("logp", stock, fork, "float64", is_log_density=True)
    assert result.accepted == {"stock nan/+inf, fork finite": 1}
    assert result.failed == {"stock infinite, fork finite": 1}
    assert result.status == compare.FAILED
    # Gradients: +inf on stock is not taken as wrong.
    result = compare.compare_field("grad/x", stock[:1], fork[:1], "float64")
    assert result.status == compare.FAILED


def test_fork_infinite_where_stock_finite_fails():
    result = compare.compare_field(
        "logp", np.array([-1.0]), np.array([-inf]), "float32"
    )
    assert result.failed == {"fork infinite, stock finite": 1}


def test_shape_change_fails():
    result = compare.compare_field(
        "samples", np.zeros((4, 2)), np.zeros((4,)), "float32"
    )
    assert result.status == compare.FAILED
    assert list(result.failed) == ["shape (4, 2) -> (4,)"]


def test_reference_decides_which_side_is_right():
    stock = np.array([-1.0, -5.0, -1.0, -1.0])
    fork = np.array([-1.0, -2.0, -3.0, -2.0])
    ref = np.array([-1.0, -2.0, -1.0, -4.0])
    result = compare.compare_field("logp", stock, fork, "float64", ref)
    assert result.accepted == {"stock off the reference, fork on it": 1}
    assert result.failed == {"fork off the reference": 2}
    assert result.status == compare.FAILED
    only_good = compare.compare_field("logp", stock[:2], fork[:2], "float64", ref[:2])
    assert only_good.status == compare.ACCEPTED


def test_both_on_the_reference_is_judged_by_which_is_closer():
    # within the reference's tolerance of it, but apart from each other
    stock, ref = np.array([0.0, 5.3e-5]), np.array([5.3e-5, 0.0])
    fork = np.array([5.31e-5, 0.0])
    result = compare.compare_field("grad/loc", stock, fork, "float32", ref)
    assert result.accepted == {"both on the reference, the fork closer": 2}
    worse = compare.compare_field("grad/loc", fork, stock, "float32", ref)
    assert worse.failed == {"both on the reference, the fork further": 2}


def test_samples_outside_the_support_decide_a_difference():
    stock = np.array([[0.1, 0.2], [3.0, 0.5], [0.4, 0.4]])
    fork = np.array([[0.1, 0.2], [0.7, 0.5], [0.9, 0.9]])
    outside = (np.array([False, True, False]), np.array([False, False, False]))
    result = compare.compare_field("samples", stock, fork, "float32", outside=outside)
    assert result.accepted == {"stock sample outside the support, the fork's inside": 1}
    assert result.failed == {"both finite, apart": 2}
    flipped = (outside[1], outside[0])
    result = compare.compare_field("samples", fork, stock, "float32", outside=flipped)
    assert result.failed == {
        "fork sample outside the support": 1,
        "both finite, apart": 2,
    }


def test_reference_minus_inf_outside_the_support_counts():
    # stock says the point is inside, the fork and the reference say outside
    result = compare.compare_field(
        "logp", np.array([-3.0]), np.array([-inf]), "float32", np.array([-inf])
    )
    assert result.status == compare.ACCEPTED


def test_nan_in_the_reference_falls_back_to_the_rules_without_one():
    stock = np.array([nan, 0.3])
    fork = np.array([0.0, 0.7])
    ref = np.array([nan, nan])
    result = compare.compare_field("grad/low", stock, fork, "float64", ref)
    assert result.accepted == {"stock nan, fork finite": 1}
    assert result.failed == {"both finite, apart": 1}


# ---------------------------------------------------------------------------
# compare_case
# ---------------------------------------------------------------------------


def _run(errors=None, warnings=(), **arrays):
    meta = {"model": "M", "params": {"a": 1.0}, "errors": errors or {}}
    meta["warnings"] = list(warnings)
    base = {
        "points": np.array([0.0, 1.0]),
        "samples": np.array([0.5, 0.6, 0.7]),
        "logp": np.array([-1.0, -2.0]),
        "logp_samples": np.array([-1.5, -1.6, -1.7]),
        "grad/a": np.array([0.1, 0.2]),
    }
    return meta, base | arrays


def test_case_equal_runs_are_ok():
    (sm, s), (fm, f) = _run(), _run()
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.OK
    names = [r.name for r in result.fields]
    assert names == ["samples", "grad/a", "logp", "logp_samples"]


def test_case_build_error_on_the_fork_only_fails_with_the_message():
    sm, s = _run()
    fm = {"errors": {"build": "ValueError: support must have event_dim 1"}}
    result = compare.compare_case("M/p", "float32", sm, fm, s, {"points": s["points"]})
    assert result.status == compare.FAILED
    assert any("build fails on the fork only: ValueError" in n for n in result.notes)


def test_case_error_on_stock_only_is_accepted_and_on_both_is_noted():
    sm, s = _run(errors={"grad": "TypeError: x"})
    del s["grad/a"]
    fm, f = _run()
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.ACCEPTED
    sm2, s2 = _run(errors={"grad": "TypeError: x"})
    fm2, f2 = _run(errors={"grad": "TypeError: x"})
    del s2["grad/a"], f2["grad/a"]
    both = compare.compare_case("M/p", "float32", sm2, fm2, s2, f2)
    assert both.status == compare.OK
    assert both.notes == ["grad fails on both: TypeError: x"]


def test_case_different_samples_fail_and_skip_the_arrays_at_the_samples():
    sm, s = _run()
    fm, f = _run(
        samples=np.array([0.5, 0.6, 0.9]), logp_samples=np.array([0.0, 0.0, 0.0])
    )
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.FAILED
    assert "logp_samples" not in [r.name for r in result.fields]
    assert any(n.startswith("FAILED: samples") for n in result.notes)


@pytest.mark.parametrize(
    "p_stock, p_fork, status",
    [
        (1e-9, 0.5, compare.ACCEPTED),
        (0.4, 0.5, compare.FAILED),
        (1e-9, 1e-6, compare.FAILED),
    ],
)
def test_case_different_samples_are_accepted_only_if_stock_fails_ks(
    p_stock, p_fork, status
):
    sm, s = _run()
    fm, f = _run(samples=np.array([0.5, 0.6, 0.9]))
    ref = {"ks/stock": np.asarray(p_stock), "ks/fork": np.asarray(p_fork),
           "outside/stock": np.zeros(3, bool), "outside/fork": np.zeros(3, bool)}  # fmt: skip
    result = compare.compare_case("M/p", "float32", sm, fm, s, f, ref)
    samples = result.fields[0]
    assert samples.name == "samples" and samples.status == status
    assert "KS p" in samples.summary()


def test_case_new_warning_is_noted_not_failed():
    (sm, s), (fm, f) = _run(), _run(warnings=["UserWarning: support= leaves out"])
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.OK
    assert result.notes == ["new warning on the fork: UserWarning: support= leaves out"]


def test_case_different_points_fail():
    (sm, s), (fm, f) = _run(), _run(points=np.array([0.0, 2.0]))
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.FAILED
    assert result.notes == ["FAILED: the two runs evaluated different points"]


def test_case_array_on_one_side_only_fails():
    (sm, s), (fm, f) = _run(), _run()
    del f["grad/a"]
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.FAILED
    assert "FAILED: grad/a recorded by stock only" in result.notes


def test_case_arrays_missing_after_an_error_are_not_reported_twice():
    sm, s = _run()
    fm, f = _run(errors={"samples": "RuntimeError: x"})
    del f["samples"], f["logp_samples"]
    result = compare.compare_case("M/p", "float32", sm, fm, s, f)
    assert result.status == compare.FAILED
    assert result.notes == ["FAILED: samples fails on the fork only: RuntimeError: x"]


def test_split_arrays_keeps_slashes_in_case_names():
    arrays = {
        "NPowerlawMGaussian/use_tilt-1pl-1g/grad/alpha_pl_0": 1,
        "NPowerlawMGaussian/use_tilt-1pl-1g/grad_samples/alpha_pl_0": 2,
        "NPowerlawMGaussian/use_tilt-1pl-1g/logp": 3,
        "Two/far-tail/points": 4,
    }
    assert compare.split_arrays(arrays) == {
        "NPowerlawMGaussian/use_tilt-1pl-1g": {
            "grad/alpha_pl_0": 1,
            "grad_samples/alpha_pl_0": 2,
            "logp": 3,
        },
        "Two/far-tail": {"points": 4},
    }


def test_format_results_counts_each_status():
    results = [
        compare.CaseResult("a", "float32"),
        compare.CaseResult("b", "float64", compare.ACCEPTED, ["ACCEPTED: x"]),
        compare.CaseResult("c", "float32", compare.FAILED, ["FAILED: y"]),
    ]
    text = compare.format_results(results)
    assert "FAILED: y" in text
    assert text.splitlines()[-1] == (
        "model comparisons: 1 ok, 1 accepted (stock wrong), 1 failed"
    )


# ---------------------------------------------------------------------------
# reference
# ---------------------------------------------------------------------------


def test_truncated_normal_reference_is_normal_over_its_mass():
    x = np.array([-0.5, 0.2, 0.9, 1.5])
    got = reference.truncated_normal_logpdf(x, 0.3, 0.4, 0.0, 1.0)
    mass = stats.norm.cdf(1.0, 0.3, 0.4) - stats.norm.cdf(0.0, 0.3, 0.4)
    want = stats.norm.logpdf(x, 0.3, 0.4) - np.log(mass)
    assert got[0] == -inf and got[3] == -inf
    np.testing.assert_allclose(got[1:3], want[1:3], rtol=1e-12)
    one_sided = reference.truncated_normal_logpdf(x, 0.0, 1.0, 0.0, None)
    np.testing.assert_allclose(one_sided[1:], stats.halfnorm.logpdf(x[1:]), rtol=1e-12)


def test_two_truncated_normal_mixture_reference_integrates_to_one():
    p = dict(comp1_loc=0.2, comp1_scale=0.1, comp1_low=0.0, comp1_high=1.0,
             comp2_loc=2.4, comp2_scale=0.3, comp2_low=2.0, comp2_high=3.0, zeta=0.3)  # fmt: skip
    x = np.linspace(-0.5, 3.5, 400001)
    density = np.exp(reference.two_truncated_normal_mixture(p, x))
    assert abs(np.trapezoid(density, x) - 1.0) < 1e-4
    assert density[(x > 1.0) & (x < 2.0)].max() == 0.0


def test_finite_difference_matches_the_analytic_gradient():
    def fn(p, x):
        return stats.norm.logpdf(x, np.asarray(p["loc"]), p["scale"])

    x = np.array([-1.0, 0.5, 2.0])
    params = {"loc": np.array([0.1, -0.2, 0.3]), "scale": 1.5}
    d_loc = reference.finite_difference(fn, params, x, "loc")
    # fn broadcasts loc against x: point i depends on loc[i] only
    assert d_loc.shape == (3, 3)
    np.testing.assert_allclose(np.diag(d_loc), (x - params["loc"]) / 1.5**2, rtol=1e-6)
    d_scale = reference.finite_difference(fn, params, x, "scale")
    want = -1 / 1.5 + (x - params["loc"]) ** 2 / 1.5**3
    np.testing.assert_allclose(d_scale, want, rtol=1e-6)


def test_finite_difference_is_nan_where_the_density_is_not_finite():
    def fn(p, x):
        return reference.uniform_logpdf(x, p["low"], 1.0)

    d = reference.finite_difference(fn, {"low": 0.0}, np.array([-0.5, 0.5]), "low")
    assert np.isnan(d[0])
    np.testing.assert_allclose(d[1], 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "model, params",
    [
        ("TwoTruncatedNormalMixture",
         dict(comp1_loc=0.2, comp1_scale=0.1, comp1_low=0.0, comp1_high=None,
              comp2_loc=2.4, comp2_scale=0.3, comp2_low=2.0, comp2_high=3.0, zeta=0.3)),
        ("NDTwoTruncatedNormalMixture",
         dict(comp1_loc=[0.1, 0.2], comp1_scale=[0.1, 0.2], comp1_low=[0.0, 0.0],
              comp1_high=[1.0, 1.0], comp2_loc=[1.0, 0.9], comp2_scale=[0.2, 0.3],
              comp2_low=[0.5, 0.5], comp2_high=[1.5, 1.5], zeta=0.6)),
        ("GenericTiltModel", dict(zeta=0.3, loc1=0.2, loc2=-0.1, scale1=0.2, scale2=0.4,
                                  low1=-0.5, high2=0.9)),
    ],
)  # fmt: skip
def test_marginal_cdfs_agree_with_the_density(model, params):
    cdfs = reference.marginal_cdfs(model, params)
    assert len(cdfs) == (1 if model == "TwoTruncatedNormalMixture" else 2)
    x = np.linspace(-3.0, 4.0, 70001)
    if len(cdfs) == 1:
        # the CDF is the integral of the reference density
        density = np.exp(reference.REFERENCES[model](params, x))
        steps = (density[1:] + density[:-1]) / 2 * np.diff(x)
        np.testing.assert_allclose(cdfs[0](x)[1:], np.cumsum(steps), atol=2e-4)
    for cdf in cdfs:
        values = cdf(x)
        assert values[0] == 0.0 and abs(values[-1] - 1.0) < 1e-12
        assert np.all(np.diff(values) >= -1e-15)


def test_ks_pvalue_tells_a_sample_of_the_model_from_a_wrong_one():
    params = dict(comp1_loc=0.0, comp1_scale=1.0, comp1_low=15.0, comp1_high=16.0,
                  comp2_loc=15.0, comp2_scale=2.0, comp2_low=10.0, comp2_high=20.0,
                  zeta=0.5)  # fmt: skip
    rng = np.random.default_rng(0)
    n = 256
    first = stats.truncnorm.rvs(15.0, 16.0, size=n, random_state=rng)
    second = stats.truncnorm.rvs(
        -2.5, 2.5, loc=15.0, scale=2.0, size=n, random_state=rng
    )
    good = np.where(rng.uniform(size=n) < 0.5, first, second)
    bad = np.where(rng.uniform(size=n) < 0.5, 12.95, second)
    model = "TwoTruncatedNormalMixture"
    assert reference.ks_pvalue(model, params, good) > 1e-3
    assert reference.ks_pvalue(model, params, bad) < 1e-10
    assert reference.ks_pvalue("NPowerlawMGaussian", params, good) is None


def test_reference_arrays_cover_every_parameter_and_skip_unknown_models():
    meta = {"params": {"zeta": 0.5, "loc1": 1.0, "loc2": 0.8, "scale1": 0.5,
                       "scale2": 0.3}, "static": {}}  # fmt: skip
    points = np.array([[0.1, 0.2], [1.05, 0.0]])
    out = reference.reference_arrays("GenericTiltModel", meta, points)
    assert sorted(out) == ["grad/loc1", "grad/loc2", "grad/scale1", "grad/scale2",
                           "grad/zeta", "logp"]  # fmt: skip
    assert np.isfinite(out["logp"][0]) and out["logp"][1] == -inf
    assert reference.reference_arrays("NPowerlawMGaussian", meta, points) is None


def test_reference_arrays_with_samples_judge_each_run_and_cover_stocks_draws():
    meta = {"params": {"zeta": 0.5, "loc1": 1.0, "loc2": 0.8, "scale1": 0.5,
                       "scale2": 0.3}, "static": {}}  # fmt: skip
    points = np.array([[0.1, 0.2]])
    rng = np.random.default_rng(1)
    loc, scale = np.array([1.0, 0.8]), np.array([0.5, 0.3])
    gaussian = stats.truncnorm.rvs(
        (-1 - loc) / scale,
        (1 - loc) / scale,
        loc,
        scale,
        size=(200, 2),
        random_state=rng,
    )
    pick = rng.uniform(size=(200, 1)) < 0.5
    good = np.where(pick, gaussian, rng.uniform(-1.0, 1.0, (200, 2)))
    bad = np.full((200, 2), 1.5)
    out = reference.reference_arrays(
        "GenericTiltModel", meta, points, {"stock": bad, "fork": good}
    )
    assert out["outside/stock"].all() and not out["outside/fork"].any()
    assert out["ks/stock"] < 1e-10 < 1e-3 < out["ks/fork"]
    assert out["logp_samples"].shape == (200,) and np.all(out["logp_samples"] == -inf)
    assert out["grad_samples/zeta"].shape == (200,)


# ---------------------------------------------------------------------------
# junit
# ---------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok[1]" time="0.1"/>
<testcase classname="tests.test_a" name="test_bad" time="0.1"><failure message="x"/></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0"><skipped type="pytest.skip" message="s"/></testcase>
<testcase classname="tests.test_a" name="test_xf" time="0"><skipped type="pytest.xfail" message="s"/></testcase>
<testcase classname="tests.test_b.TestThing" name="test_err" time="0"><error message="e"/></testcase>
<testcase classname="tests.test_b" name="test_teardown" time="0"><failure message="f"/></testcase>
<testcase classname="tests.test_b" name="test_teardown" time="0"><error message="teardown"/></testcase>
</testsuite></testsuites>
"""


def test_outcomes_from_junit_xml():
    assert junit.outcomes(XML) == {
        "tests/test_a.py::test_ok[1]": "passed",
        "tests/test_a.py::test_bad": "failed",
        "tests/test_a.py::test_skip": "skipped",
        "tests/test_a.py::test_xf": "xfailed",
        "tests/test_b.py::TestThing::test_err": "error",
        "tests/test_b.py::test_teardown": "failed",
    }


def test_outcomes_reads_a_file(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(XML)
    assert len(junit.outcomes(path)) == 6


def test_test_id_of_a_collection_error():
    assert junit.test_id("", "tests.test_c") == "<collection>::tests.test_c"


def test_differences_find_regressions_fixes_and_missing_tests():
    stock = {"f.py::a": "passed", "f.py::b": "failed", "f.py::c": "passed",
             "f.py::d": "passed", "f.py::e": "skipped", "f.py::g": "skipped",
             "f.py::h": "xfailed"}  # fmt: skip
    fork = {"f.py::a": "passed", "f.py::b": "passed", "f.py::c": "error",
            "f.py::e": "passed", "f.py::z": "passed", "f.py::g": "failed",
            "f.py::h": "error"}  # fmt: skip
    diff = junit.differences(stock, fork)
    assert diff.regressions == ["f.py::c", "f.py::d"]
    assert diff.fixed == ["f.py::b"]
    assert diff.only_stock == ["f.py::d"]
    assert diff.only_fork == ["f.py::z"]
    assert diff.skipped_then_failing == ["f.py::g", "f.py::h"]


def test_messages_group_the_failures():
    xml = XML.replace(
        '<failure message="x"/>', '<failure message="ValueError: bad&#10;more"/>'
    )
    xml = xml.replace('<error message="e"/>', '<error message="ValueError: bad"/>')
    got = junit.messages(xml)
    assert got["tests/test_a.py::test_bad"] == "ValueError: bad"
    assert got["tests/test_b.py::TestThing::test_err"] == "ValueError: bad"
    assert got["tests/test_b.py::test_teardown"] == "f"
    assert "tests/test_a.py::test_ok[1]" not in got
    tests = ["tests/test_a.py::test_bad", "tests/test_b.py::TestThing::test_err",
             "tests/test_b.py::test_teardown", "tests/test_a.py::test_ok[1]"]  # fmt: skip
    assert junit.by_message(tests, got) == [
        ("ValueError: bad", 2),
        ("f", 1),
        ("(no message)", 1),
    ]


def test_format_counts_rows_and_totals():
    stock = junit.outcomes(XML)
    fork = dict(stock, **{"tests/test_a.py::test_bad": "passed"})
    text = junit.format_counts(stock, fork, ["tests/test_a.py", "tests/test_c.py"],
                               {"stock": 12.0, "fork": 13.0})  # fmt: skip
    rows = {line.split()[0]: line for line in text.splitlines()[2:]}
    cells = lambda row: [int(v) for v in row.replace("|", " ").split()[1:]]  # noqa: E731
    # pass fail skip error xfail, stock then fork
    assert cells(rows["tests/test_a.py"]) == [1, 1, 1, 0, 1, 2, 0, 1, 0, 1]
    assert cells(rows["tests/test_b.py"]) == [0, 1, 0, 1, 0, 0, 1, 0, 1, 0]
    assert cells(rows["tests/test_c.py"]) == [0] * 10
    assert cells(rows["total"]) == [1, 2, 1, 1, 1, 2, 1, 1, 1, 1]
    assert text.splitlines()[-1].split()[-3:] == ["12", "|", "13"]
