"""A second look at mutmut's survivors: each one applied to a scratch copy and held to the whole test files.

mutmut runs a mutant against the tests that called its function while mutmut watched, one by one. Code run
inside a module-scoped fixture (the outputs built once for tests/test_outputs.py, say) is credited to that
module's first test only, so a mutant the rest of the module catches "survives". Here each survivor's change is
put into a plain copy of the source (no trampolines), and the fast tier of every test file mutmut named for it
(or, where it named none, every test file that imports the module) is run whole. A failure is a kill by the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.mutation.sql_mutants import ROOT

FAST_TIER = "not slow and not night"  # the tests mutmut runs ([tool.mutmut] pytest_add_cli_args)


class NotApplied(Exception):
    """mutmut's diff of a mutant does not match its file exactly once."""


def mutant_change(name: str) -> tuple[str, str, str]:
    """(file, original text, mutated text) of one mutmut mutant, read from `mutmut show`'s diff of its function."""
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    file = next(line[4:].strip() for line in shown if line.startswith("--- "))
    hunk = shown[next(i for i, line in enumerate(shown) if line.startswith("@@")) + 1:]
    before = [line[1:] for line in hunk if not line.startswith(("+", "\\"))]
    after = [line[1:] for line in hunk if not line.startswith(("-", "\\"))]
    return file, "\n".join(before), "\n".join(after)


def apply_change(source: str, before: str, after: str) -> str:
    """`source` with `before` replaced by `after`; mutmut shows a method dedented, so each indent is tried."""
    for indent in ("", "    ", "        "):
        old, new = (_indent(text, indent) for text in (before, after))
        if source.count(old) == 1:
            return source.replace(old, new)
    raise NotApplied(f"the change is not found exactly once: {before[:80]!r}")


def _indent(text: str, indent: str) -> str:
    return "\n".join(indent + line if line.strip() else line for line in text.split("\n"))


def tests_for(name: str, file: str) -> list[str]:
    """The test files mutmut ran the mutant against; if none, the test files that import its module."""
    listed = subprocess.run([sys.executable, "-m", "mutmut", "tests-for-mutant", name], cwd=ROOT,
                            capture_output=True, text=True).stdout.splitlines()
    files = sorted({line.split("::", 1)[0].strip() for line in listed if "::" in line})
    if files:
        return files
    package, _, module = file.removesuffix(".py").rpartition("/")
    dotted = f"{package.replace('/', '.')}.{module}"
    imports = re.compile(rf"\b{re.escape(dotted)}\b|from {re.escape(package.replace('/', '.'))} import .*\b{module}\b")
    return sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("test_*.py")
                  if imports.search(path.read_text(encoding="utf-8")))


TIMED_OUT = -1


def run_pytest(copy: Path, tests: list[str], basetemp: Path, timeout: int, fast_tier: bool = False) -> int:
    """pytest's exit status over `tests` in the scratch `copy` (only their fast tier, in one process, when
    `fast_tier`: as mutmut runs them), or TIMED_OUT."""
    tier = ["-p", "no:xdist", "-m", FAST_TIER] if fast_tier else []
    try:
        return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tier,
                               f"--basetemp={basetemp}", *tests], cwd=copy, capture_output=True, text=True,
                              timeout=timeout, env=clean_environment()).returncode
    except subprocess.TimeoutExpired:
        return TIMED_OUT


def clean_environment() -> dict[str, str]:
    """This process's environment without the warehouse's settings: the tests set their own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BDC_")}


def confirm(results: list[dict], copy: Path, basetemp: Path, timeout: int) -> None:
    """Re-judge every survivor (and every mutant with no tests) in `results`, in place: a mutant the whole test
    files catch becomes "killed" with `confirmed_by` naming them; the others keep their status and say why."""
    passing: dict[tuple[str, ...], int] = {}
    doubtful = [r for r in results if r["status"] in ("survived", "no tests")]
    for n, result in enumerate(doubtful, 1):
        started = time.monotonic()
        try:
            file, before, after = mutant_change(result["mutation"])
            tests = tests_for(result["mutation"], file)
            if not tests:
                result["confirmation"] = "no test file imports the module"
                continue
            if (baseline := passing.get(tuple(tests))) is None:  # the unmutated copy must pass them first
                baseline = passing[tuple(tests)] = run_pytest(copy, tests, basetemp, timeout, fast_tier=True)
            if baseline != 0:
                result["confirmation"] = f"the test files fail unmutated (pytest exit {baseline})"
                continue
            target = copy / file
            original = target.read_text(encoding="utf-8")
            target.write_text(apply_change(original, before, after), encoding="utf-8")
            try:
                code = run_pytest(copy, tests, basetemp, timeout, fast_tier=True)
            finally:
                target.write_text(original, encoding="utf-8")
            if code in (1, TIMED_OUT):  # a timed-out mutant counts as killed, as in mutmut's own run
                result.update(status="killed" if code == 1 else "timeout", confirmed_by=tests)
            else:
                result["confirmation"] = f"the whole test files pass it: {' '.join(tests)}"
        except NotApplied as error:
            result["confirmation"] = str(error)
        finally:
            print(f"[confirm {n}/{len(doubtful)}] {result['status']:8} {result['mutation']} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
