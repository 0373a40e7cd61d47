# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""The fork tooling (fork/). No network: the builds from NumPyro's sdist and
master snapshot are run by CI (``make fork fork-branch fork-test``)."""

import ast
from pathlib import Path
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from fork import build, series, splice as fork
import numpyro

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
    root = Path(numpyro.__file__).parent
    for rel, patch in series.read_patch_modules().items():
        module, target_rel = series.target_of(series.REPO_ROOT / rel)
        theirs = set(
            fork.read_target(
                (root.parent / target_rel).read_text(), module, target_rel
            ).definitions
        )
        ours = {d.name for d in patch.definitions}
        assert not {name for name in ours & theirs if name.startswith("_")}, rel


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


CLASS_TARGET = '''\
"""Target module."""

import jax.numpy as jnp


class Mixture(Base):
    """Upstream docstring.

    .. doctest::

       >>> 1
       1
    """

    fields = ("a",)

    def __init__(self, a, support=None):
        self.a = a
        # a stale comment about the check
        self._support = support
        if support is None:
            raise ValueError("same support")
        else:
            assert isinstance(support, str)
        self.done = True

    @property
    def support(self):
        return self._support

    def sample(self, key):
        return jnp.zeros(())
'''

CLASS_PATCH = '''\
"""Patch module."""

import jax.numpy as jnp

from pkg import mod

__all__ = []
__package_only__ = ("Mixture.__init__", "build")


def build(a):
    return Mixture(a)


class Mixture(mod.Mixture):
    """Supports may differ."""

    def __init__(self, a, support=None):
        super().__init__(a, support="x")

    @property
    def support(self):
        return _union(self._support)

    def log_prob(self, value):
        return jnp.log(value)


def _union(support):
    return support
'''


def _splice_class(**kwargs):
    parsed = fork.parse_patch_module(CLASS_PATCH, "patch/mod.py", "pkg.mod")
    return fork.splice(
        parsed,
        CLASS_TARGET,
        target_module="pkg.mod",
        target_path="pkg/mod.py",
        **kwargs,
    )


def test_class_of_the_target_changes_method_by_method():
    parsed = fork.parse_patch_module(CLASS_PATCH, "patch/mod.py", "pkg.mod")
    assert parsed.package_only == {"Mixture.__init__", "build"}
    assert parsed.qualnames() == [
        "Mixture.__doc__",
        "Mixture.support",
        "Mixture.log_prob",
        "_union",
    ]
    result = _splice_class()
    assert result.replaced == ["Mixture.__doc__", "Mixture.support"]
    assert result.appended == ["Mixture.log_prob", "_union"]
    source = result.source
    # the class keeps its base, its other members and NumPyro's __init__
    assert "class Mixture(Base):" in source
    assert 'raise ValueError("same support")' in source
    assert "def sample(self, key):" in source
    assert "return _union(self._support)" in source
    # the docstring gains a paragraph; the upstream doctest stays
    assert '       >>> 1\n       1\n\n    Supports may differ.\n    """' in source
    # a new method goes at the end of the class, before the next definition
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert [getattr(n, "name", None) for n in cls.body][-1] == "log_prob"
    assert "def build(" not in source and "mod.Mixture" not in source


def test_only_the_carried_members_are_spliced():
    result = _splice_class(carried=["Mixture.log_prob"])
    assert result.replaced == [] and result.appended == ["Mixture.log_prob"]
    assert "return self._support\n" in result.source
    assert "Upstream docstring.\n" in result.source
    assert "Supports may differ" not in result.source
    with pytest.raises(fork.ForkError, match="does not define Mixture.nothing"):
        _splice_class(carried=["Mixture.nothing"])


def test_package_only_must_name_a_definition():
    patch = CLASS_PATCH.replace('"build")', '"nothing")')
    with pytest.raises(fork.ForkError, match="__package_only__ names 'nothing'"):
        fork.parse_patch_module(patch, "patch/mod.py", "pkg.mod")


def test_statement_edit_replaces_statements_and_their_comments():
    edit = fork.StatementEdit(
        file="pkg/mod.py",
        function=["Missing.__init__", "Mixture.__init__"],
        action="replace",
        start="self._support = support",
        end="if support is None:",
        text="self._support = support\n_check(support)\n",
    )
    out = fork.edit_statements(CLASS_TARGET, edit)
    assert "stale comment" not in out and "same support" not in out
    assert (
        "        self._support = support\n        _check(support)\n"
        "        self.done = True\n"
    ) in out


def test_statement_edit_captures_and_inserts():
    source = textwrap.dedent(
        """\
        def f(x):
            flag = False
            for arg in x:
                if arg:
                    flag = True
            return flag
        """
    )
    edit = fork.StatementEdit(
        file="m.py",
        function=["f"],
        action="replace",
        start="for arg in x:",
        captures={"name": r"(\w+) = True"},
        text="if any(x):\n    {name} = True\n",
    )
    out = fork.edit_statements(source, edit)
    assert "    if any(x):\n        flag = True\n    return flag\n" in out
    after = fork.StatementEdit(
        file="m.py", function=["f"], action="insert_after", start="flag = False",
        text="check(x)",
    )  # fmt: skip
    assert "    flag = False\n    check(x)\n    for arg" in fork.edit_statements(
        source, after
    )


@pytest.mark.parametrize(
    "function, start, match",
    [
        (["g"], "flag = False", "none of the functions g is defined"),
        (["f"], "nothing = 1", "found 0 times in f"),
    ],
)
def test_statement_edit_refuses_what_it_does_not_find(function, start, match):
    edit = fork.StatementEdit(
        file="m.py", function=function, action="replace", start=start, text="pass"
    )
    with pytest.raises(fork.ForkError, match=match):
        fork.edit_statements("def f(x):\n    flag = False\n    return flag\n", edit)


TEST_TARGET = """\
import numpy as np

import numpyro.distributions as dist


class T:
    pass


CASES = {
    "normal": T(),
}
LIST = [
    1,
    2,
]


def test_cases():
    assert CASES
"""


def test_test_snippets_join_numpyro_test_files():
    snippet = textwrap.dedent(
        """\
        import numpy as np
        import pytest

        import numpyro.distributions as dist


        class _Helper(T):
            pass


        def test_new():
            assert _Helper()
        """
    )
    out = fork.merge_test_file(TEST_TARGET, snippet, "t.py", {"_Helper": ["CASES"]})
    assert out.count("import numpy as np") == 1
    assert "import pytest\n" in out
    assert out.index("class _Helper(T):") < out.index("CASES = {")
    assert out.rstrip().endswith("assert _Helper()")
    out = fork.extend_table(out, "CASES", ['"union": _Helper()'], "t.py")
    out = fork.extend_table(out, "LIST", ["3"], "t.py")
    namespace: dict = {}
    exec(compile(out.replace("import pytest\n", ""), "t.py", "exec"), namespace)
    assert list(namespace["CASES"]) == ["normal", "union"]
    assert namespace["LIST"] == [1, 2, 3]
    with pytest.raises(fork.ForkError, match="no single literal table 'MISSING'"):
        fork.extend_table(out, "MISSING", ["1"], "t.py")


def test_every_definition_is_carried_by_one_pull_request(tmp_path):
    prs = series.load_series()
    modules = series.read_patch_modules()
    assert series.check_series(prs, modules) == []
    assert [pr.slug for pr in prs] == sorted(pr.slug for pr in prs)
    first = prs[0]
    missing = series.PullRequest(first.slug, first.title, first.folder, {})
    twice = series.PullRequest("99-twice", "t", tmp_path, dict(first.carries))
    problems = series.check_series([missing, *prs[1:], twice, first], modules)
    name = first.carries[next(iter(first.carries))][0]
    # the later of the two carriers is told who carries the name first
    assert any(
        p.startswith(f"{first.slug}: ") and f"{name} is carried by 99-twice too" in p
        for p in problems
    )
    assert any("99-twice: no description" in p for p in problems)


def _stock_tree(root: Path) -> Path:
    """A NumPyro source tree made of the installed (stock) package."""
    shutil.copytree(
        Path(numpyro.__file__).parent,
        root / "numpyro",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 88\n")
    return root


def test_series_applies_to_stock_numpyro_as_a_branch(tmp_path):
    """The real series on the installed NumPyro 0.22 sources, one commit per pull
    request: the patched package imports and has the new names, and NumPyro's
    files keep every line the series does not change."""
    tree = _stock_tree(tmp_path / "tree")
    repo = series.init_repo(tree, tmp_path / "repo", "stock")
    commits = series.write_branch(repo, "mixsupport")
    assert len(commits) == len(series.load_series())
    changed = subprocess.run(
        ["git", "diff", "--name-only", "master", "mixsupport"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "numpyro/distributions/mixtures.py" in changed
    assert "numpyro/infer/util.py" in changed
    for rel in changed:
        assert "numpyro_mixsupport" not in (repo / rel).read_text(), rel
    stat = subprocess.run(
        ["git", "diff", "--numstat", "master", "mixsupport", "--",
         "numpyro/distributions/mixtures.py"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    # NumPyro's MixtureGeneral changes in a few methods, not as a whole class
    assert int(stat[1]) < 60, stat
    code = (
        "import jax.numpy as jnp\n"
        "import numpyro.distributions as dist\n"
        "from numpyro.distributions import constraints\n"
        "from numpyro.infer.reparam import UnconstrainedReparam\n"
        "assert 'union' in constraints.__all__\n"
        "assert dist.IntervalUnionTransform is dist.transforms.IntervalUnionTransform\n"
        "m = dist.MixtureGeneral(dist.Categorical(probs=jnp.array([0.3, 0.7])),"
        " [dist.Uniform(0.0, 1.0), dist.Uniform(2.0, 3.0)])\n"
        "print(m.support, round(float(jnp.exp(m.log_prob(2.5))), 6))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(repo), "JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Union(Interval(lower_bound=0.0, upper_bound=1.0)")
    assert result.stdout.strip().endswith("0.7")


def test_node_ids_of_junit_cases():
    from fork.harness import node_id

    assert node_id("test.infer.test_mcmc", "test_a[x-1]") == (
        "test/infer/test_mcmc.py::test_a[x-1]"
    )
    assert (
        node_id("test.test_x.TestCase", "test_b") == "test/test_x.py::TestCase::test_b"
    )
    # a module that fails to import
    assert node_id("", "test.pyroapi.test_pyroapi") == "test/pyroapi/test_pyroapi.py"


def test_collected_ids_name_the_parameters(tmp_path):
    from fork.harness import collected

    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = ["-v", "--color=yes"]\n'
    )
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "test_a.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_x(x):\n    pass\n"
    )
    (tmp_path / "test" / "test_b.py").write_text("import not_a_module\n")
    ids = collected(
        Path(sys.executable), tmp_path, ["test/test_a.py", "test/test_b.py"]
    )
    assert ids == {"test/test_a.py::test_x[1]", "test/test_a.py::test_x[2]"}


def test_full_run_rows_count_a_module_that_fails_to_import(tmp_path):
    from fork.__main__ import _rows

    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="" name="test.sub.test_a"><error message="x"/></testcase>'
        '<testcase classname="test.test_b" name="test_1"/>'
        '<testcase classname="test.test_b" name="test_2"><failure message="y"/>'
        "</testcase></testsuite></testsuites>"
    )
    rows = _rows(report)
    assert sorted(rows) == ["test/sub/test_a.py", "test/test_b.py"]
    assert (rows["test/sub/test_a.py"].errors, rows["test/sub/test_a.py"].passed) == (
        1,
        0,
    )
    assert (rows["test/test_b.py"].passed, rows["test/test_b.py"].failed) == (1, 1)


def test_failures_are_rerun_on_master_where_master_defines_them(tmp_path):
    from fork.__main__ import _defined_on

    (tmp_path / "test" / "sub").mkdir(parents=True)
    (tmp_path / "test" / "sub" / "test_a.py").write_text("def test_x(a):\n    pass\n")
    assert _defined_on(tmp_path, "test/sub/test_a.py::test_x[1-2]")
    assert not _defined_on(tmp_path, "test/sub/test_a.py::test_new")
    assert _defined_on(tmp_path, "test/sub/test_a.py")
    assert not _defined_on(tmp_path, "test/sub/test_b.py")
    assert not _defined_on(tmp_path, "test/sub/test_b.py::test_x")
    assert not _defined_on(tmp_path, "::test.sub.test_a")


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_compare_wheels(tmp_path):
    a = _zip(tmp_path / "a.whl", {"x.py": "1", "y.py": "2"})
    assert (
        build.compare_wheels(a, _zip(tmp_path / "b.whl", {"x.py": "1", "y.py": "2"}))
        == []
    )
    c = _zip(tmp_path / "c.whl", {"x.py": "1", "y.py": "3", "z.py": ""})
    assert build.compare_wheels(a, c) == ["only in c.whl: z.py", "differs: y.py"]


def test_git_diff_applies_to_the_old_tree(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for tree in (old, new):
        (tree / "pkg").mkdir(parents=True)
        (tree / "pkg" / "m.py").write_text("a = 1\nb = 2\n")
    (new / "pkg" / "m.py").write_text("a = 1\nb = 3\n")
    (new / "test" / "sub").mkdir(parents=True)
    (new / "test" / "sub" / "t.py").write_text("x = 1\n")
    diff = build.git_diff(old, new, ["pkg/m.py", "test/sub/t.py"])
    assert "diff --git a/pkg/m.py b/pkg/m.py\n" in diff
    assert "diff --git a/test/sub/t.py b/test/sub/t.py\nnew file mode 100644\n" in diff
    assert "--- /dev/null\n+++ b/test/sub/t.py\n" in diff
    patch = tmp_path / "p.patch"
    patch.write_text(diff)
    build.git_apply_check(old, patch)
    subprocess.run(["git", "apply", str(patch)], cwd=old, check=True)
    assert (old / "pkg" / "m.py").read_text() == "a = 1\nb = 3\n"
    with pytest.raises(fork.ForkError, match="git apply --check failed"):
        build.git_apply_check(new, patch)


def test_full_run_jobs_are_selected_by_name():
    from fork.__main__ import _full_runs

    names = [name for name, _, _ in _full_runs()]
    assert names == [
        "modeling",
        "inference-mcmc",
        "inference",
        "contrib",
        "x64",
        "chains",
    ]
    assert [name for name, _, _ in _full_runs(["chains", "x64"])] == ["x64", "chains"]
    with pytest.raises(fork.ForkError, match="unknown job moddeling; the jobs are"):
        _full_runs(["moddeling"])


def test_full_runs_add_only_what_numpyros_dev_group_installs():
    import re
    import tarfile

    from fork import harness
    from fork.__main__ import SNAPSHOT

    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    if not SNAPSHOT.exists():
        pytest.skip(f"{SNAPSHOT} is not here")
    with tarfile.open(SNAPSHOT) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/pyproject.toml"))
        pyproject = tomllib.loads(tar.extractfile(member).read().decode())
    dev = {
        re.match(r"[A-Za-z0-9_.-]+", entry).group(0).lower()
        for entry in pyproject["dependency-groups"]["dev"]
    }
    added = set(harness.FULL_TEST_REQUIREMENTS) - set(harness.TEST_REQUIREMENTS)
    assert added and added <= dev, added - dev
    assert set(harness.TEST_REQUIREMENTS) <= set(harness.FULL_TEST_REQUIREMENTS)
