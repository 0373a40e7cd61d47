# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Downstream projects on stock NumPyro and on the fork, side by side.

For each project (see ``projects.py``) the harness

1. downloads its sdist (sha256 checked) and installs it, without its declared
   requirements, in two virtual environments under ``build/downstream/``: one
   with stock NumPyro 0.22.0 and one with the fork wheel from ``dist/`` (built
   by ``make fork``). Beside it go the packages its modules under test import,
   with JAX, NumPy, SciPy and pytest pinned to this interpreter's versions. The
   fork environment installs exactly the packages stock resolved
   (``pip list``), so the two differ only in NumPyro, which is checked;
2. runs the project's probe in both environments, in float32 and in float64,
   and compares ``log_prob``, its gradients and samples (``compare.py``);
3. runs the project's own test files in both environments with JUnit XML and
   prints the counts per file side by side and the tests that pass on stock
   and not on the fork.

It exits with 1 when a model comparison fails, a test that passes on stock
does not pass on the fork, a test run ran nothing, or the two environments
differ in more than NumPyro.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tarfile
import time

import numpy as np

from . import compare, junit, reference
from .projects import PROJECTS, Project

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
NUMPYRO_VERSION = "0.22.0"
#: Shared with this project's environment: the two downstream environments get
#: this interpreter's versions.
PINNED_FROM_HERE = (
    "jax",
    "jaxlib",
    "numpy",
    "scipy",
    "ml_dtypes",
    "pytest",
    "pytest-xdist",
)
TEST_TOOLS = ("pytest", "pytest-xdist")
ENVS = ("stock", "fork")


def log(*args) -> None:
    print(*args, flush=True)


def run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    log("+", " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fork_wheel(dist: Path) -> Path:
    sys.path.insert(0, str(REPO_ROOT))
    from fork.build import WHEEL_NAME

    wheel = dist / WHEEL_NAME
    if not wheel.exists():
        raise SystemExit(f"{wheel}: missing; run `make fork` first")
    return wheel


def pins() -> list[str]:
    out = []
    for name in PINNED_FROM_HERE:
        try:
            out.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _sdist_in(dest: Path, pinned) -> Path | None:
    prefix = f"{pinned.name}-{pinned.version}.tar.gz".lower()
    found = [p for p in dest.glob("*.tar.gz") if p.name.lower() == prefix]
    return found[0] if found else None


def download_sdists(project: Project, dest: Path) -> dict[str, Path]:
    """The project's sdist and its no-deps packages, hash checked."""
    dest.mkdir(parents=True, exist_ok=True)
    paths = {}
    for pinned in (project.sdist, *project.no_deps):
        found = _sdist_in(dest, pinned)
        if found is None or sha256(found) != pinned.sha256:
            req = dest / f"{pinned.name}.txt"
            req.write_text(pinned.requirement + "\n")
            run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                 "--no-binary", ":all:", "--require-hashes", "-r", req, "-d", dest])  # fmt: skip
            found = _sdist_in(dest, pinned)
        if found is None:
            raise SystemExit(f"{pinned.name} {pinned.version}: no sdist downloaded")
        digest = sha256(found)
        if digest != pinned.sha256:
            raise SystemExit(f"{found}: sha256 {digest}, expected {pinned.sha256}")
        log(f"{found.name}: sha256 {digest} OK")
        paths[pinned.name] = found
    return paths


def _pip_list(python: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out)}


def _new_venv(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def make_envs(
    project: Project, root: Path, wheel: Path, sdists: dict[str, Path], fresh: bool
) -> dict[str, Path]:
    """The stock and fork environments (reused while their recipe is the same;
    the fork wheel is reinstalled every time)."""
    recipe = json.dumps(
        {
            "pins": pins(),
            "requirements": project.requirements,
            "sdists": {k: sha256(v) for k, v in sdists.items()},
            "python": sys.version,
        },
        sort_keys=True,
    )
    pythons = {
        env: root / f"venv-{project.name}-{env}" / "bin" / "python" for env in ENVS
    }
    stamp = root / f"venv-{project.name}.recipe"
    reuse = (
        not fresh
        and stamp.exists()
        and stamp.read_text() == recipe
        and all(p.exists() for p in pythons.values())
    )
    constraints = root / "constraints.txt"
    constraints.write_text("\n".join(pins()) + "\n")
    local = [sdists[p.name] for p in project.no_deps] + [sdists[project.sdist.name]]
    if not reuse:
        stamp.unlink(missing_ok=True)
        python = _new_venv(pythons["stock"].parent.parent)
        run([python, "-m", "pip", "install", "-q", "-c", constraints,
             f"numpyro=={NUMPYRO_VERSION}", *project.requirements, *TEST_TOOLS])  # fmt: skip
        run([python, "-m", "pip", "install", "-q", "--no-deps", *local])
        # The fork gets exactly what stock resolved, less NumPyro and the
        # local packages.
        skip = {"numpyro", "pip"} | {
            p.name.lower() for p in [project.sdist, *project.no_deps]
        }
        lock = root / f"venv-{project.name}.lock"
        lock.write_text(
            "".join(
                f"{n}=={v}\n"
                for n, v in sorted(_pip_list(python).items())
                if n not in skip
            )
        )
        python = _new_venv(pythons["fork"].parent.parent)
        run([python, "-m", "pip", "install", "-q", "--no-deps", "-r", lock])
        run([python, "-m", "pip", "install", "-q", "--no-deps", *local])
    run([pythons["fork"], "-m", "pip", "install", "-q", "--no-deps",
         "--force-reinstall", wheel])  # fmt: skip
    stamp.write_text(recipe)
    return pythons


def check_envs(pythons: dict[str, Path]) -> list[str]:
    """Problems: a package that differs between the environments other than
    NumPyro, or a NumPyro that is not the expected one."""
    listed = {env: _pip_list(p) for env, p in pythons.items()}
    problems = []
    names = set(listed["stock"]) | set(listed["fork"])
    for name in sorted(names - {"numpyro"}):
        s, f = listed["stock"].get(name), listed["fork"].get(name)
        if s != f:
            problems.append(f"{name}: stock {s}, fork {f}")
    if listed["stock"].get("numpyro") != NUMPYRO_VERSION:
        problems.append(f"stock numpyro is {listed['stock'].get('numpyro')}")
    if listed["fork"].get("numpyro") != f"{NUMPYRO_VERSION}+mixsupport":
        problems.append(f"fork numpyro is {listed['fork'].get('numpyro')}")
    return problems


def unpack_tests(sdist: Path, dest: Path) -> Path:
    """The sdist's tests and pyproject.toml (its pytest settings) in ``dest``,
    with the seeding conftest."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        for member in tar.getmembers():
            rel = member.name[len(top) + 1 :]
            if member.isfile() and (
                rel.startswith("tests/") or rel == "pyproject.toml"
            ):
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src:
                    target.write_bytes(src.read())
    shutil.copyfile(HERE / "seed_conftest.py", dest / "conftest.py")
    return dest


def run_tests(
    project: Project,
    python: Path,
    run_dir: Path,
    report: Path,
    workers: str,
    full: bool,
) -> tuple[int, float]:
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           "-n", workers, "--junitxml", str(report)]  # fmt: skip
    for test in project.tests:
        cmd.append(test.path)
        if not full:
            for node in test.quick_deselect:
                cmd += ["--deselect", node]
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JAX_ENABLE_X64")
    }
    log("+ (cd", run_dir, "&&", " ".join(cmd[:12]), "... )")
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=run_dir, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    tail = result.stdout.strip().splitlines()[-1:] if result.stdout.strip() else []
    log(*tail)
    if result.returncode not in (0, 1):
        log(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
    return result.returncode, seconds


def run_probes(
    project: Project, pythons: dict[str, Path], out: Path
) -> dict[str, dict[str, tuple[dict, dict]]]:
    """dtype -> env -> (report, arrays); stock and fork run at the same time."""
    out.mkdir(parents=True, exist_ok=True)
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JAX_ENABLE_X64")
    }
    results: dict[str, dict[str, tuple[dict, dict]]] = {}
    for dtype, flags in (("float32", []), ("float64", ["--x64"])):
        procs = {}
        for name, python in pythons.items():
            base = out / f"{name}-{dtype}"
            cmd = [str(python), str(HERE / project.probe), "--out", str(base), *flags]
            log("+", " ".join(cmd))
            procs[name] = (
                subprocess.Popen(
                    cmd,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
                base,
            )
        for name, (proc, base) in procs.items():
            output, _ = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"the {name} probe failed:\n{output[-4000:]}")
            report = json.loads(base.with_suffix(".json").read_text())
            with np.load(base.with_suffix(".npz")) as data:
                arrays = {k: data[k] for k in data.files}
            results.setdefault(dtype, {})[name] = (report, arrays)
    return results


def compare_probes(
    runs: dict[str, dict[str, tuple[dict, dict]]],
) -> list[compare.CaseResult]:
    results = []
    for dtype, by_env in runs.items():
        (s_report, s_arrays), (f_report, f_arrays) = by_env["stock"], by_env["fork"]
        s_cases, f_cases = (
            compare.split_arrays(s_arrays),
            compare.split_arrays(f_arrays),
        )
        for case, s_meta in s_report["cases"].items():
            f_meta = f_report["cases"].get(case)
            if f_meta is None:
                result = compare.CaseResult(case, dtype)
                result.add(compare.FAILED, "not run on the fork")
                results.append(result)
                continue
            stock, fork = s_cases.get(case, {}), f_cases.get(case, {})
            ref = None
            if "points" in stock:
                drawn = {
                    name: arrays["samples"]
                    for name, arrays in (("stock", stock), ("fork", fork))
                    if "samples" in arrays
                }
                ref = reference.reference_arrays(
                    s_meta["model"],
                    s_meta,
                    stock["points"],
                    drawn if len(drawn) == 2 else None,
                )
            results.append(
                compare.compare_case(case, dtype, s_meta, f_meta, stock, fork, ref)
            )
    return results


def run_project(project: Project, args: argparse.Namespace) -> int:
    root = Path(args.build_dir)
    start = time.monotonic()
    wheel = fork_wheel(Path(args.dist_dir))
    log(
        f"== {project.name}: stock NumPyro {NUMPYRO_VERSION} vs the fork ({wheel.name})"
    )
    sdists = download_sdists(project, root / "sdist")
    log("installed for the code under test:", ", ".join(project.requirements))
    if project.no_deps:
        log("installed without their requirements:",
            ", ".join(f"{p.name}=={p.version}" for p in project.no_deps))  # fmt: skip
    for req, why in project.not_installed.items():
        log(f"not installed: {req} ({why})")
    log(
        "stubbed:",
        ", ".join(f"{m} ({w})" for m, w in project.stubs.items()) or "nothing",
    )
    pythons = make_envs(project, root, wheel, sdists, args.fresh)
    problems = check_envs(pythons)
    for problem in problems:
        log(f"FAIL environments differ: {problem}")
    log(f"environments ready in {time.monotonic() - start:.0f} s")
    status = 1 if problems else 0
    report: dict = {"project": project.name, "environment_problems": problems}

    if project.probe and not args.tests_only:
        runs = run_probes(project, pythons, root / f"{project.name}-probe")
        results = compare_probes(runs)
        log(f"\n{project.name} models, stock vs fork (log_prob, gradients, samples):")
        log(compare.format_results(results))
        report["models"] = {
            f"{r.case} [{r.dtype}]": [r.status, r.notes] for r in results
        }
        if any(r.status == compare.FAILED for r in results):
            status = 1

    if project.tests and not args.models_only:
        run_dir = unpack_tests(
            sdists[project.sdist.name], root / f"{project.name}-tests"
        )
        log(f"\n{project.name} tests ({'full' if args.full else 'quick'} run):")
        for test in project.tests:
            if test.quick_deselect and not args.full:
                log(f"  {test.path}: {test.why}")
        outcomes, seconds, codes = {}, {}, {}
        for env, python in pythons.items():
            xml = run_dir / f"{env}.xml"
            codes[env], seconds[env] = run_tests(
                project, python, run_dir, xml, args.workers, args.full
            )
            outcomes[env] = junit.outcomes(xml) if xml.exists() else {}
        log(junit.format_counts(outcomes["stock"], outcomes["fork"],
                                [t.path for t in project.tests], seconds))  # fmt: skip
        diff = junit.differences(outcomes["stock"], outcomes["fork"])
        fork_messages = junit.messages(run_dir / "fork.xml") if outcomes["fork"] else {}
        sections = (
            ("pass on stock, not on the fork", diff.regressions, True),
            ("skipped on stock, fail on the fork", diff.skipped_then_failing, True),
            ("fail on stock, pass on the fork", diff.fixed, False),
            ("run on stock only", diff.only_stock, False),
            ("run on the fork only", diff.only_fork, False),
        )
        for title, names, why in sections:
            log(f"{title}: {len(names)}")
            if why and names:
                for message, n in junit.by_message(names, fork_messages):
                    log(f"  {n} x {message}")
            for name in names[: args.list_limit]:
                log(f"  {name} [{outcomes['fork'].get(name, 'not run')}]")
            if len(names) > args.list_limit:
                log(f"  ... and {len(names) - args.list_limit} more (see the report)")
        report["tests"] = {
            "outcomes": outcomes,
            "exit_codes": codes,
            "regressions": diff.regressions,
            "skipped_then_failing": diff.skipped_then_failing,
            "fixed": diff.fixed,
            "fork_messages": fork_messages,
        }
        for env in ENVS:
            if codes[env] not in (0, 1) or not outcomes[env]:
                log(f"FAIL the {env} test run ended with {codes[env]}")
                status = 1
        if diff.regressions or diff.only_stock:
            status = 1
    report_path = root / f"{project.name}-report.json"
    report_path.write_text(json.dumps(report, indent=1))
    log(f"report: {report_path}")
    log(f"{project.name} downstream: {'OK' if status == 0 else 'FAILED'} "
        f"in {time.monotonic() - start:.0f} s")  # fmt: skip
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m downstream", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "projects", nargs="*", help="default: all (" + ", ".join(PROJECTS) + ")"
    )
    parser.add_argument("--build-dir", default=str(REPO_ROOT / "build" / "downstream"))
    parser.add_argument("--dist-dir", default=str(REPO_ROOT / "dist"))
    parser.add_argument("-n", "--workers", default="2", help="pytest-xdist workers")
    parser.add_argument("--full", action="store_true", help="run every selected test")
    parser.add_argument(
        "--fresh", action="store_true", help="recreate the environments"
    )
    parser.add_argument("--models-only", action="store_true")
    parser.add_argument("--tests-only", action="store_true")
    parser.add_argument("--list-limit", type=int, default=60)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.projects) - set(PROJECTS))
    if unknown:
        parser.error(
            f"unknown project {', '.join(unknown)}; known: {', '.join(PROJECTS)}"
        )
    status = 0
    for name in args.projects or list(PROJECTS):
        status |= run_project(PROJECTS[name], args)
    return status
