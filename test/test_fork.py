# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The fork builder (package only, not copied to the fork). No network: the
build from the downloaded sdist is run by CI (``make fork fork-test``)."""

import ast
from pathlib import Path
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

import numpyro
from numpyro_mixsupport import fork

TARGET = '''\
"""Target module."""

from typing import Optional

import jax.numpy as jnp

from numpyro.util import is_prng_key

__all__ = [
    "alpha",
    "gamma",
    "Beta",
    "Delta",
]


def alpha(x):
    return x


# About Beta.
class Beta:
    def __init__(self, x: Optional[float] = None):
        self.x = jnp.asarray(x)


def gamma():
    return is_prng_key


class Delta:
    pass
'''

PATCH = '''\
"""Patch module for the target."""

from typing import Optional
import warnings

import jax.numpy as jnp

from numpyro.util import find_stack_level
from pkg.mod import Beta, alpha
import numpyro_mixsupport.distributions.constraints as constraints

__all__ = ["Beta", "epsilon"]


class Beta:
    """New Beta, see :func:`numpyro_mixsupport.distributions.mod.epsilon`."""

    def __init__(self, x: Optional[float] = None):
        warnings.warn("new", stacklevel=find_stack_level())
        self.x = jnp.asarray(x) + alpha(1.0)


def epsilon(x):
    return Beta(x)


def _helper():
    return constraints
'''


def _splice(patch=PATCH, target=TARGET, **kwargs):
    parsed = fork.parse_patch_module(patch, "patch/mod.py")
    return fork.splice(
        parsed,
        target,
        target_module="pkg.mod",
        target_path="pkg/mod.py",
        **kwargs,
    )


def test_header_and_body_are_split():
    parsed = fork.parse_patch_module(PATCH, "patch/mod.py")
    assert [d.name for d in parsed.definitions] == ["Beta", "epsilon", "_helper"]
    assert len(parsed.header) == 7
    assert "import" not in parsed.body_source.split("class Beta")[0]


def test_replaces_in_place_and_appends_new_definitions():
    result = _splice()
    assert result.replaced == ["Beta"]
    assert result.appended == ["epsilon", "_helper"]
    tree = ast.parse(result.source)
    names = [getattr(n, "name", None) for n in tree.body]
    assert names.index("Beta") < names.index("gamma") < names.index("epsilon")
    assert names.index("epsilon") < names.index("_helper")
    assert "class Beta:\n    def __init__(self, x: Optional" not in result.source
    # The upstream comment above the replaced class goes with it.
    assert "# About Beta." not in result.source
    # Untouched definitions keep their text.
    assert "def gamma():\n    return is_prng_key\n" in result.source
    assert result.source.endswith("def _helper():\n    return constraints\n")


def test_all_gets_new_public_names_beside_their_peers():
    result = _splice()
    assert result.new_public == ["epsilon"]
    tree = ast.parse(result.source)
    all_node = next(n for n in tree.body if fork._is_all_assignment(n))
    names = [e.value for e in all_node.value.elts]
    assert names == ["alpha", "epsilon", "gamma", "Beta", "Delta"]


def test_target_without_all_gets_none():
    target = TARGET.replace(
        '__all__ = [\n    "alpha",\n    "gamma",\n    "Beta",\n    "Delta",\n]\n', ""
    )
    result = _splice(target=target)
    assert "__all__" not in result.source
    assert result.new_public == ["epsilon"]


def test_missing_imports_are_added_and_known_ones_dropped():
    result = _splice()
    # warnings is new; find_stack_level joins the existing numpyro.util import;
    # Optional, jnp and constraints-as-header are not repeated.
    assert sorted(result.added_imports) == [
        "constraints",
        "find_stack_level",
        "warnings",
    ]
    source = result.source
    assert "import warnings\n" in source
    assert "from numpyro.util import is_prng_key, find_stack_level\n" in source
    assert "import numpyro.distributions.constraints as constraints\n" in source
    assert source.count("from typing import Optional") == 1
    assert source.count("import jax.numpy as jnp") == 1
    assert "numpyro_mixsupport" not in source


def test_docstrings_are_rewritten_to_numpyro():
    result = _splice()
    assert ":func:`numpyro.distributions.mod.epsilon`" in result.source


def test_header_import_of_a_target_name_is_dropped():
    # ``from pkg.mod import Beta, alpha`` names the target's own definitions.
    result = _splice()
    assert "from pkg.mod import" not in result.source


def test_formatter_is_applied_to_each_definition():
    seen = []
    result = _splice(formatter=lambda text: seen.append(text) or "# f\n" + text)
    assert len(seen) == 3
    assert result.source.count("# f\n") == 3
    assert "def gamma():" in result.source


def test_splice_is_deterministic():
    assert _splice().source == _splice().source


def test_refuses_a_replaced_definition_missing_from_the_target():
    target = TARGET.replace("class Beta:", "class Gamma:")
    with pytest.raises(
        fork.ForkError,
        match=r"pkg/mod.py: definition 'Beta' that patch/mod.py replaces is "
        "missing from the target",
    ):
        _splice(target=target, replaces={"Beta"})


def test_refuses_to_replace_a_private_helper_of_the_target():
    # A private helper is an implementation detail: other definitions of the
    # target may call it with its own signature, so it is never replaced.
    target = TARGET + "\n\ndef _helper(x):\n    return x\n"
    with pytest.raises(
        fork.ForkError,
        match=r"pkg/mod.py: patch/mod.py defines '_helper', which is also a private "
        "helper of the target",
    ):
        _splice(target=target)


def test_patch_modules_define_no_private_name_of_numpyro():
    root = Path(numpyro.__file__).parent / "distributions"
    for path in fork.patch_module_paths():
        ours = {
            d.name
            for d in fork.parse_patch_module(path.read_text(), str(path)).definitions
        }
        theirs = set(
            fork.read_target(
                (root / path.name).read_text(),
                f"numpyro.distributions.{path.stem}",
                str(root / path.name),
            ).definitions
        )
        assert not {name for name in ours & theirs if name.startswith("_")}


def test_refuses_a_name_neither_target_nor_header_binds():
    patch = PATCH.replace("return Beta(x)", "return Beta(x) + undefined_thing")
    with pytest.raises(
        fork.ForkError,
        match=r"definition 'epsilon' uses 'undefined_thing', which neither "
        "pkg/mod.py nor the import header binds",
    ):
        _splice(patch=patch)


def test_refuses_a_header_binding_that_disagrees_with_the_target():
    patch = PATCH.replace("import jax.numpy as jnp", "import numpy as jnp")
    with pytest.raises(
        fork.ForkError, match="binds 'jnp' to numpy, but pkg/mod.py binds it to jax"
    ):
        _splice(patch=patch)


def test_refuses_a_body_that_names_the_package():
    patch = PATCH.replace("return constraints", "return numpyro_mixsupport")
    with pytest.raises(fork.ForkError, match="the body refers to numpyro_mixsupport"):
        _splice(patch=patch)


def test_refuses_to_shadow_an_import():
    patch = PATCH + "\n\ndef is_prng_key(x):\n    return True\n"
    with pytest.raises(
        fork.ForkError, match="definition 'is_prng_key' of patch/mod.py would shadow"
    ):
        _splice(patch=patch)


def test_refuses_an_ambiguous_replacement():
    target = TARGET + "\n\nBeta = Delta\n"
    with pytest.raises(fork.ForkError, match="'Beta' is bound 2 times"):
        _splice(target=target)


@pytest.mark.parametrize(
    "body, match",
    [
        ("import os\n", "import in the body"),
        ("print('side effect')\n", "is not a definition of one name"),
    ],
)
def test_refuses_bodies_that_are_not_definitions(body, match):
    with pytest.raises(fork.ForkError, match=match):
        fork.parse_patch_module(PATCH + "\n" + body, "patch/mod.py")


def test_new_definition_is_added_to_the_package_init():
    init = textwrap.dedent(
        """\
        from numpyro.distributions.kl import kl_divergence
        from numpyro.distributions.transforms import biject_to

        __all__ = [
            "biject_to",
            "kl_divergence",
            "Normal",
            "Uniform",
        ]
        """
    )
    out = fork.export_names(
        init, {"IntervalUnionTransform": "numpyro.distributions.transforms"}, "i.py"
    )
    assert "from numpyro.distributions.transforms import biject_to, Interval" in out
    names = [e.value for e in ast.parse(out).body[-1].value.elts]
    assert names == [
        "biject_to",
        "kl_divergence",
        "IntervalUnionTransform",
        "Normal",
        "Uniform",
    ]
    assert fork.export_names(out, {"biject_to": "x"}, "i.py") == out


def test_doc_entries_go_beside_their_peers():
    rst = textwrap.dedent(
        """\
        Constraints
        -----------

        sphere
        ^^^^^^
        .. autodata:: numpyro.distributions.constraints.sphere

        unit_interval
        ^^^^^^^^^^^^^
        .. autodata:: numpyro.distributions.constraints.unit_interval

        Transforms
        ----------

        IdentityTransform
        ^^^^^^^^^^^^^^^^^
        .. autoclass:: numpyro.distributions.transforms.IdentityTransform
            :members:

        L1BallTransform
        ^^^^^^^^^^^^^^^
        .. autoclass:: numpyro.distributions.transforms.L1BallTransform
            :members:
        """
    )
    out = fork.add_doc_entries(
        rst,
        [
            ("numpyro.distributions.constraints", "union", "function"),
            ("numpyro.distributions.transforms", "IntervalUnionTransform", "class"),
        ],
    )
    assert (
        ".. autodata:: numpyro.distributions.constraints.sphere\n\n"
        "union\n^^^^^\n.. autofunction:: numpyro.distributions.constraints.union\n\n"
        "unit_interval\n"
    ) in out
    assert (
        "IntervalUnionTransform\n^^^^^^^^^^^^^^^^^^^^^^\n"
        ".. autoclass:: numpyro.distributions.transforms.IntervalUnionTransform\n"
        "    :members:\n\nL1BallTransform\n"
    ) in out
    assert (
        fork.add_doc_entries(
            out, [("numpyro.distributions.constraints", "union", "function")]
        )
        == out
    )


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_compare_wheels(tmp_path):
    a = _zip(tmp_path / "a.whl", {"x.py": "1", "y.py": "2"})
    assert (
        fork.compare_wheels(a, _zip(tmp_path / "b.whl", {"x.py": "1", "y.py": "2"}))
        == []
    )
    c = _zip(tmp_path / "c.whl", {"x.py": "1", "y.py": "3", "z.py": ""})
    assert fork.compare_wheels(a, c) == ["only in c.whl: z.py", "differs: y.py"]


def test_git_diff_applies_to_the_old_tree(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for tree in (old, new):
        (tree / "pkg").mkdir(parents=True)
        (tree / "pkg" / "m.py").write_text("a = 1\nb = 2\n")
    (new / "pkg" / "m.py").write_text("a = 1\nb = 3\n")
    (new / "test" / "sub").mkdir(parents=True)
    (new / "test" / "sub" / "t.py").write_text("x = 1\n")
    diff = fork.git_diff(old, new, ["pkg/m.py", "test/sub/t.py"])
    assert "diff --git a/pkg/m.py b/pkg/m.py\n" in diff
    assert "diff --git a/test/sub/t.py b/test/sub/t.py\nnew file mode 100644\n" in diff
    assert "--- /dev/null\n+++ b/test/sub/t.py\n" in diff
    patch = tmp_path / "p.patch"
    patch.write_text(diff)
    fork.git_apply_check(old, patch)
    subprocess.run(["git", "apply", str(patch)], cwd=old, check=True)
    assert (old / "pkg" / "m.py").read_text() == "a = 1\nb = 3\n"
    with pytest.raises(fork.ForkError, match="git apply --check failed"):
        fork.git_apply_check(new, patch)


def _stock_tree(root: Path, version: str = "0.22.0") -> Path:
    """A NumPyro source tree made of the installed (stock) package."""
    shutil.copytree(
        Path(numpyro.__file__).parent,
        root / "numpyro",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (root / "numpyro" / "version.py").write_text(f'__version__ = "{version}"\n')
    return root


def test_refuses_a_tree_of_another_version(tmp_path):
    tree = tmp_path / "tree"
    (tree / "numpyro").mkdir(parents=True)
    (tree / "numpyro" / "version.py").write_text('__version__ = "0.21.0"\n')
    with pytest.raises(
        fork.ForkError,
        match=r"numpyro/version.py: NumPyro 0.21.0, but the patch modules are "
        r"written for 0.22.x; use --numpyro-src",
    ):
        fork.patch_tree(tree)
    assert fork.main(["--build-dir", str(tmp_path / "b"), "patch", "--numpyro-src",
                      str(tmp_path / "nothing")]) == 2  # fmt: skip


def test_refuses_a_checkout_lacking_a_replaced_definition(tmp_path):
    tree = _stock_tree(tmp_path / "tree", "0.23.0.dev0")
    reference = _stock_tree(tmp_path / "reference")
    mixtures = tree / "numpyro" / "distributions" / "mixtures.py"
    mixtures.write_text(
        mixtures.read_text().replace("class MixtureGeneral(", "class MixtureAny(")
    )
    with pytest.raises(
        fork.ForkError,
        match=r"numpyro/distributions/mixtures.py: definition 'MixtureGeneral' that "
        r"numpyro_mixsupport/distributions/mixtures.py replaces is missing",
    ):
        fork.patch_tree(tree, check_version=False, reference=reference)


def test_patch_modules_apply_to_stock_numpyro(tmp_path):
    """The real patch modules on the installed NumPyro 0.22 sources: the patched
    package imports and has the new names; upstream code is not reformatted."""
    tree = _stock_tree(tmp_path / "tree")
    pristine = _stock_tree(tmp_path / "pristine")
    (tree / "pyproject.toml").write_text("[tool.ruff]\nline-length = 88\n")
    report = fork.patch_tree(tree)
    assert "numpyro/distributions/constraints.py" in report.changed
    assert "test/mixsupport/conftest.py" in report.changed
    assert not (tree / "test" / "mixsupport" / "test_package.py").exists()
    assert not (tree / "test" / "mixsupport" / "test_fork.py").exists()
    for rel in report.changed:
        assert "numpyro_mixsupport" not in (tree / rel).read_text(), rel
    diff = fork.git_diff(pristine, tree, report.changed)
    patch = tmp_path / "p.patch"
    patch.write_text(diff)
    fork.git_apply_check(pristine, patch)
    # Only what the patch modules define is touched: every removed line lies in
    # a definition that a body replaces, or in an import or __all__ line.
    replaced = set()
    for path in fork.patch_module_paths():
        replaced |= {
            d.name for d in fork.parse_patch_module(path.read_text(), "").definitions
        }
    allowed = {}  # file -> old line numbers a removal may touch
    for rel in report.changed:
        if (pristine / rel).exists():
            source = (pristine / rel).read_text()
            lines = source.splitlines()
            ok = set()
            for node in ast.parse(source).body:
                names = fork._defined_names(node)
                if (
                    isinstance(node, (ast.Import, ast.ImportFrom))
                    or "__all__" in names
                    or set(names) & replaced
                ):
                    first = fork._first_line(node, [line + "\n" for line in lines])
                    ok |= set(range(first, node.end_lineno + 1))
            allowed[rel] = ok
    for line in diff.splitlines():
        if line.startswith("--- "):
            rel = line[len("--- a/") :]
        elif line.startswith("@@ "):
            old_line = int(line.split()[1].split(",")[0][1:])
        elif line.startswith("-"):
            assert old_line in allowed[rel], (rel, old_line, line)
            old_line += 1
        elif line.startswith(" "):
            old_line += 1
    code = (
        "import jax.numpy as jnp\n"
        "import numpyro.distributions as dist\n"
        "from numpyro.distributions import constraints\n"
        "assert 'union' in constraints.__all__\n"
        "assert dist.IntervalUnionTransform is dist.transforms.IntervalUnionTransform\n"
        "m = dist.MixtureGeneral(dist.Categorical(probs=jnp.array([0.3, 0.7])),"
        " [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)])\n"
        "print(m.support, round(float(jnp.exp(m.log_prob(2.5))), 6))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Union(Interval(lower_bound=0.0, upper_bound=1.0)")
    assert result.stdout.strip().endswith("0.7")


def test_one_pytest_session_runs_each_file_with_its_own_keyword():
    assert fork.numpyro_tests_keyword(fork.NUMPYRO_TESTS) == (
        "(not test_distributions.py or (Mixture or PowerLaw or Truncated))"
    )
    assert fork.numpyro_tests_keyword([("test/test_a.py", None)]) is None


def test_junit_counts_per_module_and_table(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="test.test_a" name="t1"/>'
        '<testcase classname="test.test_a.TestX" name="t2"><failure/></testcase>'
        '<testcase classname="test.test_ab" name="t3"><skipped/></testcase>'
        '<testcase classname="test.test_ab" name="t4">'
        '<skipped type="pytest.xfail"/></testcase>'
        '<testcase classname="test.test_ab" name="t5"><error/></testcase>'
        "</testsuite></testsuites>"
    )
    a = fork.junit_counts(report, "test.test_a")
    assert (a.passed, a.failed, a.errors, a.skipped) == (1, 1, 0, 0)
    assert a.failures == ["test.test_a.TestX::t2"]
    ab = fork.junit_counts(report, "test.test_ab")
    assert (ab.passed, ab.errors, ab.skipped, ab.xfailed) == (0, 1, 1, 1)
    table = fork.format_table({"a": {"fork": a, "stock": ab}}, {"fork": 3.0})
    assert table.splitlines()[1].split() == ["a", "1/1/0", "0/1/2"]
    assert table.splitlines()[2].split() == ["total", "1/1/0", "0/1/2"]
    # A suite run on the fork only.
    table = fork.format_table({"a": {"fork": a}, "b": {"fork": ab, "stock": a}}, {})
    assert table.splitlines()[1].split() == ["a", "1/1/0", "not", "run"]
    assert table.splitlines()[3].split() == ["total", "1/2/2", "1/1/0"]


def test_check_results_judges_ours_on_the_fork_alone():
    ok = fork.Counts(passed=3)
    results = {
        "numpyro test/a.py": {"fork": ok, "stock": fork.Counts(passed=3)},
        "ours test/mixsupport": {"fork": ok},
    }
    assert fork.check_results(results) == 0
    results["ours test/mixsupport"] = {
        "fork": fork.Counts(passed=2, failed=1, exit_code=1, failures=["t"])
    }
    assert fork.check_results(results) == 1


def test_check_results_flags_a_numpyro_test_broken_by_the_fork():
    results = {
        "numpyro test/a.py": {
            "fork": fork.Counts(passed=2, failed=1, exit_code=1, failures=["t"]),
            "stock": fork.Counts(passed=3),
        }
    }
    assert fork.check_results(results) == 1
    results["numpyro test/a.py"]["stock"] = fork.Counts(
        passed=2, failed=1, exit_code=1, failures=["t"]
    )
    assert fork.check_results(results) == 0
