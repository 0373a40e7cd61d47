# Copyright Contributors to the numpyro-mixsupport project.
# SPDX-License-Identifier: Apache-2.0
"""Outcomes of a project's test files from pytest's JUnit XML, stock beside the
fork."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
import xml.etree.ElementTree as ET

PASSED, FAILED, ERROR, SKIPPED, XFAILED = (
    "passed",
    "failed",
    "error",
    "skipped",
    "xfailed",
)
OUTCOMES = (PASSED, FAILED, SKIPPED, ERROR, XFAILED)


def outcomes(xml: str | Path) -> dict[str, str]:
    """test id (``tests/test_x.py::test_y[param]``) -> outcome, from a JUnit XML
    report (a path or the XML text). A test that fails and then errors in its
    teardown counts as failed."""
    text = Path(xml).read_text() if isinstance(xml, Path) else xml
    root = ET.fromstring(text)
    result: dict[str, str] = {}
    for case in root.iter("testcase"):
        tags = {child.tag: child for child in case}
        if "failure" in tags:
            outcome = FAILED
        elif "error" in tags:
            outcome = ERROR
        elif "skipped" in tags:
            xfail = tags["skipped"].get("type") == "pytest.xfail"
            outcome = XFAILED if xfail else SKIPPED
        else:
            outcome = PASSED
        tid = test_id(case.get("classname") or "", case.get("name") or "")
        if result.get(tid) != FAILED:
            result[tid] = outcome
    return result


def messages(xml: str | Path) -> dict[str, str]:
    """test id -> the first line of its failure or error message, for the tests
    that failed or errored."""
    text = Path(xml).read_text() if isinstance(xml, Path) else xml
    out: dict[str, str] = {}
    for case in ET.fromstring(text).iter("testcase"):
        for child in case:
            if child.tag in ("failure", "error"):
                message = (child.get("message") or child.text or "").strip()
                tid = test_id(case.get("classname") or "", case.get("name") or "")
                out.setdefault(tid, message.splitlines()[0][:200] if message else "")
    return out


def by_message(tests: list[str], messages: dict[str, str]) -> list[tuple[str, int]]:
    """(message, how many of ``tests``) from the most common."""
    counts = Counter(messages.get(t, "(no message)") for t in tests)
    return counts.most_common()


def test_id(classname: str, name: str) -> str:
    """``tests.test_x`` and ``test_y[p]`` -> ``tests/test_x.py::test_y[p]``; a
    class in the classname (``tests.test_x.TestZ``) stays after ``::``."""
    parts = classname.split(".") if classname else []
    # The module is the last part that starts with "test" before any class.
    module_end = len(parts)
    for i, part in enumerate(parts):
        if part[:1].isupper():
            module_end = i
            break
    path = "/".join(parts[:module_end]) + ".py" if module_end else "<collection>"
    return "::".join([path, *parts[module_end:], name])


def file_of(tid: str) -> str:
    return tid.split("::", 1)[0]


def counts_by_file(results: dict[str, str]) -> dict[str, Counter]:
    """file -> Counter of outcomes."""
    out: dict[str, Counter] = {}
    for tid, outcome in results.items():
        out.setdefault(file_of(tid), Counter())[outcome] += 1
    return out


@dataclass
class Differences:
    """Tests whose outcome changed between stock and the fork."""

    #: passed on stock, anything else (or absent) on the fork
    regressions: list[str]
    #: failed or errored on stock, passed on the fork
    fixed: list[str]
    #: run on stock only / on the fork only
    only_stock: list[str]
    only_fork: list[str]
    #: skipped (or xfailed) on stock, failed or errored on the fork
    skipped_then_failing: list[str] = field(default_factory=list)


def differences(stock: dict[str, str], fork: dict[str, str]) -> Differences:
    regressions = sorted(
        t for t, o in stock.items() if o == PASSED and fork.get(t) != PASSED
    )
    fixed = sorted(
        t for t, o in stock.items() if o in (FAILED, ERROR) and fork.get(t) == PASSED
    )
    skipped_then_failing = sorted(
        t
        for t, o in stock.items()
        if o in (SKIPPED, XFAILED) and fork.get(t) in (FAILED, ERROR)
    )
    return Differences(
        regressions,
        fixed,
        sorted(set(stock) - set(fork)),
        sorted(set(fork) - set(stock)),
        skipped_then_failing,
    )


def format_counts(
    stock: dict[str, str],
    fork: dict[str, str],
    files: list[str] | None = None,
    seconds: dict[str, float] | None = None,
) -> str:
    """A table of pass/fail/skip/error/xfail per file, stock | fork, and the
    totals; ``files`` fixes the rows (files that ran nothing show zeros)."""
    by_file = {"stock": counts_by_file(stock), "fork": counts_by_file(fork)}
    rows = list(files) if files else []
    rows += sorted((set(by_file["stock"]) | set(by_file["fork"])) - set(rows))
    width = max([len(r) for r in rows] + [len("total")])
    head = " ".join(f"{o[:5]:>5}" for o in OUTCOMES)
    lines = [
        f"{'':<{width}}  {'stock':^29} | {'fork':^29}",
        f"{'file':<{width}}  {head} | {head}",
    ]

    def cells(c: Counter) -> str:
        return " ".join(f"{c.get(o, 0):>5}" for o in OUTCOMES)

    total = {"stock": Counter(), "fork": Counter()}
    for row in rows:
        s = by_file["stock"].get(row, Counter())
        f = by_file["fork"].get(row, Counter())
        total["stock"] += s
        total["fork"] += f
        lines.append(f"{row:<{width}}  {cells(s)} | {cells(f)}")
    lines.append(
        f"{'total':<{width}}  {cells(total['stock'])} | {cells(total['fork'])}"
    )
    if seconds:
        s, f = seconds.get("stock", 0.0), seconds.get("fork", 0.0)
        lines.append(f"{'pytest seconds':<{width}}  {s:>29.0f} | {f:>29.0f}")
    return "\n".join(lines)
