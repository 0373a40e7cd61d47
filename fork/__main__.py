# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Build the fork: ``python -m fork {build,branch,test,test-release}``.

``build``
    NumPyro 0.22.0's sdist (downloaded, sha256 checked) with the whole series
    applied, built twice into ``dist/numpyro-0.22.0+mixsupport-py3-none-any.whl``
    (the two builds must be identical).
``branch``
    a git repository ``build/fork-branch`` whose ``master`` is NumPyro's master
    (``--numpyro-src``, a NumPyro git checkout; by default the snapshot in
    ``../shared/upstream/``) and whose branch ``mixsupport`` has one commit per
    pull request; writes each commit as ``dist/upstream/NN-slug.patch`` and prints
    ``git log --oneline`` and ``git show --stat`` of each commit.
``test``
    NumPyro's tests under NumPyro's configuration and root conftest, from the
    branch: the files the series touches, ``test/infer/test_infer_util.py``,
    ``test/infer/test_autoguide.py`` and a selection of
    ``test/infer/test_mcmc.py``, on the branch top; the tests that fail there
    run again on master, which tells failures that predate the series from new
    ones. ``--full`` runs NumPyro's whole ``test/`` as its CI does, x64 and
    chain jobs included, in the same way; ``--job NAME`` (repeatable) runs
    only those of its jobs.
``test-release``
    the tests the series adds, from the patched 0.22.0 tree, on the fork wheel.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

from fork import build, harness, series
from fork.harness import Counts, junit_counts, junit_ids, run_pytest
from fork.splice import ForkError

REPO_ROOT = series.REPO_ROOT
SNAPSHOT = REPO_ROOT.parent / "shared" / "upstream" / "numpyro-master-0b935d48.tar.gz"
BRANCH = "mixsupport"
#: The selection of the heavy files: the families the series changes and, in
#: ``test_mcmc.py``, NUTS and HMC on models of every kind without the long, x64
#: and multi-chain runs. The series' own tests in these files are added to the
#: keyword by ``test_plan``.
SELECTIONS = {
    "test/test_distributions.py": "Mixture or PowerLaw or Truncated",
    "test/infer/test_mcmc.py": (
        "(logistic or beta_bernoulli or dirichlet or change_point)"
        " and not x64 and not chain and not pmap"
    ),
}
#: Besides the files the series touches, what the branch is tested with.
INFER_TESTS = (
    "test/infer/test_infer_util.py",
    "test/infer/test_autoguide.py",
    "test/infer/test_reparam.py",
    "test/infer/test_mcmc.py",
)


def _unpack_snapshot(dest: Path) -> Path:
    if not SNAPSHOT.exists():
        raise ForkError(f"{SNAPSHOT}: missing; give --numpyro-src")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(SNAPSHOT) as tar:
        tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(top), dest)
    return dest


def command_build(args: argparse.Namespace) -> int:
    build_dir, dist = Path(args.build_dir), Path(args.dist_dir)
    start = time.monotonic()
    sdist = build.fetch_sdist(build_dir, Path(args.sdist) if args.sdist else None)
    pristine = build_dir / "release"
    epoch = build.unpack_sdist(sdist, pristine)
    wheels = []
    for attempt in range(1 if args.no_reproducibility_check else 2):
        tree = build_dir / f"release-patched-{attempt}"
        build._copy_source_tree(pristine, tree)
        messages = series.apply_series(tree)
        if attempt == 0:
            print("\n".join(messages))
        build.set_version(tree, build.FORK_VERSION)
        wheels.append(build.build_wheel(tree, build_dir / f"wheel-{attempt}", epoch))
    if len(wheels) == 2:
        problems = build.compare_wheels(*wheels)
        if problems or build.sha256(wheels[0]) != build.sha256(wheels[1]):
            raise ForkError("the two wheel builds differ:\n" + "\n".join(problems))
        print(
            f"reproducible: two builds, {len(build.wheel_manifest(wheels[0]))} files,"
            f" sha256 {build.sha256(wheels[0])}"
        )
    if wheels[0].name != build.WHEEL_NAME:
        raise ForkError(f"built {wheels[0].name}, expected {build.WHEEL_NAME}")
    dist.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheels[0], dist / build.WHEEL_NAME)
    # the tree of this build replaces that of an earlier one (``move`` would put
    # it inside)
    patched = build_dir / "release-patched"
    shutil.rmtree(patched, ignore_errors=True)
    shutil.move(str(build_dir / "release-patched-0"), patched)
    for attempt in range(len(wheels)):
        shutil.rmtree(build_dir / f"wheel-{attempt}")
        shutil.rmtree(build_dir / f"release-patched-{attempt}", ignore_errors=True)
    print(f"wrote {dist / build.WHEEL_NAME} in {time.monotonic() - start:.0f} s")
    return 0


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def command_branch(args: argparse.Namespace) -> int:
    build_dir, dist = Path(args.build_dir), Path(args.dist_dir)
    repo = build_dir / "fork-branch"
    if args.numpyro_src:
        src = Path(args.numpyro_src).resolve()
        if repo.exists():
            shutil.rmtree(repo)
        subprocess.run(
            ["git", "clone", "-q", "--no-hardlinks", str(src), str(repo)], check=True
        )
        base = _git(repo, "rev-parse", "HEAD").strip()
        _git(repo, "checkout", "-q", "-B", "master", base)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            tree = _unpack_snapshot(Path(tmp) / "numpyro")
            series.init_repo(
                tree, repo, f"NumPyro master ({SNAPSHOT.name.removesuffix('.tar.gz')})"
            )
    commits = series.write_branch(repo, args.branch, complete=not args.incomplete)
    out = dist / "upstream"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for number, (commit, pr) in enumerate(zip(commits, series.load_series()), 1):
        patch = _git(repo, "format-patch", "-1", "--stdout", commit)
        (out / f"{pr.slug}.patch").write_text(patch)
    print(f"branch {args.branch} of {repo}: {len(commits)} commits on master")
    print(_git(repo, "log", "--oneline", f"master..{args.branch}"))
    for commit in commits:
        print(_git(repo, "show", "--stat", "--format=%h %s", commit))
    print(f"patches in {out}")
    return 0


def touched_tests() -> dict[str, set[str]]:
    """NumPyro test files the series adds to, with the names of what it adds
    there (test functions, table keys)."""
    touched: dict[str, set[str]] = {}
    for pr in series.load_series():
        for rel in pr.tests():
            names = touched.setdefault(str(rel), set())
            text = (pr.folder / rel).read_text()
            names.update(
                line.split("(")[0][4:]
                for line in text.splitlines()
                if line.startswith("def test_")
            )
        for rel, tables in pr.tables.items():
            names = touched.setdefault(rel, set())
            for entries in tables.values():
                for entry in entries:
                    key = entry.strip().split(":")[0].strip().strip("\"'")
                    if key.isidentifier():
                        names.add(key)
    return touched


def test_plan(quick: bool = False) -> list[tuple[str, str | None]]:
    """``(test file, -k)`` pairs the ``test`` command runs. ``quick``: of the
    files under ``test/infer/``, only the tests the series adds."""
    plan = []
    for rel, names in sorted(touched_tests().items()):
        selection = SELECTIONS.get(rel)
        keyword = None
        if quick and rel.startswith("test/infer/"):
            keyword = " or ".join(sorted(names))
        elif selection:
            keyword = " or ".join([f"({selection})", *sorted(names)])
        plan.append((rel, keyword))
    if not quick:
        for rel in INFER_TESTS:
            if rel not in dict(plan):
                plan.append((rel, SELECTIONS.get(rel)))
    return plan


def _keyword(plan: Sequence[tuple[str, str | None]]) -> str | None:
    # One -k that applies each file's own -k to that file only (-k also matches
    # the module's file name), so that all files run in one pytest session.
    parts = [f"(not {Path(rel).stem} or ({k}))" for rel, k in plan if k]
    return " and ".join(parts) or None


def _install_tree(repo: Path, ref: str, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    _git(repo, "worktree", "prune")
    _git(repo, "worktree", "add", "-q", "--detach", str(dest), ref)
    return dest


def command_test(args: argparse.Namespace) -> int:
    if args.job and not args.full:
        raise ForkError("--job selects among the jobs of --full; add --full")
    runs = (
        _full_runs(args.job)
        if args.full
        else [("selection", _selection_args(args.quick), {})]
    )
    build_dir = Path(args.build_dir)
    repo = build_dir / "fork-branch"
    if not (repo / ".git").exists():
        raise ForkError(f"{repo}: missing; run `make fork-branch` first")
    start = time.monotonic()
    trees = {
        "branch": _install_tree(repo, args.branch, build_dir / "tree-branch"),
        "master": _install_tree(repo, "master", build_dir / "tree-master"),
    }
    requirements = (
        harness.FULL_TEST_REQUIREMENTS if args.full else harness.TEST_REQUIREMENTS
    )
    envs = {
        label: harness.make_venv(
            build_dir / f"venv-{label}", [str(tree), *requirements], build_dir
        )
        for label, tree in trees.items()
    }
    print(f"environments ready in {time.monotonic() - start:.0f} s")
    results: dict[str, dict[str, Counts]] = {}
    times = {"branch": 0.0, "master": 0.0}
    status = 0
    folder = harness.test_folder(trees["branch"], build_dir / "run-branch")
    for name, pytest_args, env in runs:
        report = folder / f"branch-{name}.xml"
        code, seconds = run_pytest(
            envs["branch"], folder, pytest_args, report, args.workers, env
        )
        times["branch"] += seconds
        failed = junit_ids(report)
        rows = _rows(report)
        again = {}
        if failed:
            # the same tests, from master's tree, on master
            master = harness.test_folder(trees["master"], build_dir / "run-master")
            # only tests that master has (pytest stops at an unknown node id);
            # the others are the series' own and new by definition
            present = [f for f in failed if _defined_on(master, f)]
            if present:
                # and with the same parameters (pytest stops at an unknown id)
                ids = harness.collected(
                    envs["master"], master, sorted({f.split("::")[0] for f in present})
                )
                present = [f for f in present if "::" not in f or f in ids]
            master_report = master / f"master-{name}.xml"
            if present:
                _, seconds = run_pytest(
                    envs["master"],
                    master,
                    ["--continue-on-collection-errors", *present],
                    master_report,
                    args.workers,
                    env,
                )
                times["master"] += seconds
            master_failed = set(junit_ids(master_report)) if present else set()
            new = sorted(set(failed) - master_failed)
            again = {"fails on master too": sorted(set(failed) & master_failed)}
            if new:
                status = 1
                print(
                    f"FAIL {name}: fail on the branch, not on master:", *new, sep="\n  "
                )
            for row, counts in rows.items():
                results.setdefault(row, {})["master"] = Counts(
                    failed=sum(1 for f in master_failed if f.startswith(row))
                )
        for row, counts in rows.items():
            results.setdefault(row, {})["branch"] = counts
        for label, ids in again.items():
            if ids:
                print(f"{name}: {len(ids)} {label}:", *ids, sep="\n  ")
        if code == 5 or sum(c.passed for c in rows.values()) == 0:
            print(f"FAIL {name}: no test ran")
            status = 1
    print(_table(results, times))
    print(
        f"fork test: {'OK' if status == 0 else 'FAILED'} in {time.monotonic() - start:.0f} s"
    )
    return status


def _defined_on(folder: Path, node: str) -> bool:
    # a test function, or a whole test module (one that failed to import)
    path, _, name = node.partition("::")
    source = folder / path
    if not path or not source.is_file():
        return False
    function = name.split("[")[0].split("::")[-1]
    return not name or f"def {function}(" in source.read_text()


def _selection_args(quick: bool = False) -> list[str]:
    plan = test_plan(quick)
    args = [rel for rel, _ in plan]
    keyword = _keyword(plan)
    return args + (["-k", keyword] if keyword else [])


def _full_runs(jobs: Sequence[str] | None = None) -> list[tuple[str, list[str], dict]]:
    # NumPyro's CI jobs, or those named in ``jobs``
    devices = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    runs = [
        ("modeling", ["test", "-k", "not test_example", "--ignore=test/infer", "--ignore=test/contrib"], {}),
        ("inference-mcmc", ["test/infer/test_mcmc.py"], {}),
        ("inference", ["test/infer", "--ignore=test/infer/test_mcmc.py"], {}),
        ("contrib", ["test/contrib"], {}),
        ("x64", ["test/infer/test_mcmc.py", "-k", "x64"], {"JAX_ENABLE_X64": "1"}),
        ("chains", ["test/infer/test_mcmc.py", "test/infer/test_hmc_gibbs.py", "-k", "chain or pmap or vmap"], devices),
    ]  # fmt: skip
    if not jobs:
        return runs
    names = [name for name, _, _ in runs]
    unknown = sorted(set(jobs) - set(names))
    if unknown:
        raise ForkError(
            f"unknown job {', '.join(unknown)}; the jobs are {', '.join(names)}"
        )
    return [run for run in runs if run[0] in jobs]


def _rows(report: Path) -> dict[str, Counts]:
    # counts per test file of a report
    rows: dict[str, Counts] = {}
    if not report.exists():
        return rows
    import xml.etree.ElementTree as ET

    modules = sorted(
        {
            c.get("classname") or c.get("name", "")
            for c in ET.parse(report).getroot().iter("testcase")
        }
    )
    files = sorted({harness.node_id(m, "x").split("::")[0] for m in modules})
    for rel in files:
        module = rel.removesuffix(".py").replace("/", ".")
        rows[rel] = junit_counts(report, module)
    return rows


def _table(results: dict[str, dict[str, Counts]], times: dict[str, float]) -> str:
    width = max([len(r) for r in results] + [30])
    lines = [f"{'pass/fail/skip':<{width}}  {'branch':>16}  {'master':>22}"]
    for row, by in sorted(results.items()):
        b = by.get("branch", Counts())
        m = by.get("master")
        failing = b.failed + b.errors
        master_cell = "not run" if m is None else f"{m.failed} of {failing} fail"
        lines.append(
            f"{row:<{width}}  {b.passed:>5}/{failing}/{b.skipped + b.xfailed:<8}"
            f"  {master_cell:>22}"
        )
    lines.append(
        f"{'pytest time (s)':<{width}}  {times['branch']:>16.0f}  {times['master']:>22.0f}"
    )
    return "\n".join(lines)


def command_test_release(args: argparse.Namespace) -> int:
    build_dir, dist = Path(args.build_dir), Path(args.dist_dir)
    tree = build_dir / "release-patched"
    wheel = dist / build.WHEEL_NAME
    for needed in (tree, wheel):
        if not needed.exists():
            raise ForkError(f"{needed}: missing; run `make fork` first")
    python = harness.make_venv(
        build_dir / "venv-release", [str(wheel), *harness.TEST_REQUIREMENTS], build_dir
    )
    print(f"numpyro {harness.which_numpyro(python, build_dir)}")
    folder = harness.test_folder(tree, build_dir / "run-release")
    touched = touched_tests()
    names = sorted({n for ns in touched.values() for n in ns})
    paths = [rel for rel in sorted(touched) if (folder / rel).exists()]
    report = folder / "release.xml"
    code, seconds = run_pytest(
        python, folder, [*paths, "-k", " or ".join(names)], report, args.workers
    )
    rows = _rows(report)
    for rel, counts in rows.items():
        print(
            f"{rel:<45} {counts.passed}/{counts.failed + counts.errors}/{counts.skipped}"
        )
    failed = junit_ids(report)
    if failed or code not in (0,) or not rows:
        print("FAIL: the series' tests on the 0.22.0 wheel:", *failed, sep="\n  ")
        return 1
    print(f"release test: OK in {seconds:.0f} s")
    return 0


def command_install_check(args: argparse.Namespace) -> int:
    build_dir = Path(args.build_dir)
    repo = build_dir / "fork-branch"
    if not (repo / ".git").exists():
        raise ForkError(f"{repo}: missing; run `make fork-branch` first")
    start = time.monotonic()
    python = harness.make_venv(
        build_dir / "venv-install-check",
        [f"git+file://{repo.resolve()}@{args.branch}"],
        build_dir,
    )
    print(f"installed from git in {time.monotonic() - start:.0f} s")
    script = Path(__file__).with_name("install_check.py")
    # from an empty folder, so that only the installed numpyro can be imported
    with tempfile.TemporaryDirectory() as folder:
        code = subprocess.run([str(python), str(script)], cwd=folder).returncode
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m fork", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--build-dir", default=str(REPO_ROOT / "build"))
    parser.add_argument("--dist-dir", default=str(REPO_ROOT / "dist"))
    parser.add_argument("--sdist", help="this numpyro sdist instead of downloading it")
    parser.add_argument("-n", "--workers", default="2", help="pytest-xdist workers")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="the fork wheel from the 0.22.0 sdist")
    b.add_argument("--no-reproducibility-check", action="store_true")
    br = commands.add_parser("branch", help="the fork branch, one commit per PR")
    br.add_argument("--numpyro-src", help="a NumPyro git checkout (default: snapshot)")
    br.add_argument("--branch", default=BRANCH)
    br.add_argument(
        "--incomplete",
        action="store_true",
        help="cut the branch even where a pull request lacks its description or tests",
    )
    t = commands.add_parser("test", help="NumPyro's tests: branch vs master")
    t.add_argument("--branch", default=BRANCH)
    t.add_argument("--full", action="store_true", help="all of NumPyro's CI jobs")
    t.add_argument(
        "--job",
        action="append",
        help="with --full, only this job ("
        + ", ".join(name for name, _, _ in _full_runs())
        + "); repeatable",
    )
    t.add_argument(
        "--quick",
        action="store_true",
        help="of NumPyro's test/infer files, only the tests the series adds",
    )
    commands.add_parser("test-release", help="the series' tests on the 0.22.0 wheel")
    ic = commands.add_parser(
        "install-check",
        help="pip install the branch from git, then NUTS and SVI checks",
    )
    ic.add_argument("--branch", default=BRANCH)
    args = parser.parse_args(argv)
    handler = {
        "build": command_build,
        "branch": command_branch,
        "test": command_test,
        "test-release": command_test_release,
        "install-check": command_install_check,
    }
    try:
        return handler[args.command](args)
    except ForkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: {error}\n{error.stderr or ''}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
