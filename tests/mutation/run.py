"""`make mutants`: mutation testing of the Python (mutmut) and the SQL (tests/mutation/sql_mutants.py), against
the fast tier of the suite, with a score per file in the terminal and in data/mutants/report.json.

    python -m tests.mutation.run                 every mutant (hours: the SQL mutants each load a night)
    python -m tests.mutation.run --sample 40     40 mutants drawn at random (--seed), half Python, half SQL

mutmut runs a Python mutant only against the tests that called its function; its survivors are then held to the
whole test files (tests/mutation/confirm.py), since mutmut credits code run in a module-scoped fixture to one test.
A surviving mutant is a change no test noticed. Each one is either killed by a new test or listed, with why it
cannot change any output, in tests/mutants_equivalent.txt (`file:line: mutation  # why`), which the score leaves
out of both the killed and the total.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from tests.mutation.confirm import TIMED_OUT, clean_environment, confirm, run_pytest
from tests.mutation.sql_mutants import ROOT, SqlMutant, mutants, sql_files

REPORT = ROOT / "data" / "mutants" / "report.json"
MUTMUT_LOG = REPORT.parent / "mutmut.log"  # its progress line redraws itself thousands of times
EQUIVALENT = ROOT / "tests" / "mutants_equivalent.txt"
INSTALLED_FOR_TESTS = ["tests/accessibility/node_modules"]  # axe-core, for the public site's browser tests
# One scratch folder per checkout, so two checkouts on one machine can each run their mutants.
SCRATCH = (Path("/dev/shm" if Path("/dev/shm").is_dir() else "/tmp")
           / f"bdc-mutants-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}")
# The tests each kind of SQL is held to: the hand-worked values of every measure (one night with every source),
# the quarantine rules, (for the macros) the date parsers, the fast tests that run a staging model on its own, and
# (for the core models) the systems-thinking marts' night.
SQL_TESTS = {
    "macros": ["tests/test_date_parsing.py", "tests/test_worked_values.py", "tests/test_rule_coverage.py"],
    "staging": ["tests/test_ledger_months.py", "tests/test_census_age_bands.py", "tests/test_worked_values.py",
                "tests/test_rule_coverage.py"],
    "core": ["tests/test_dim_date.py", "tests/test_population.py", "tests/test_worked_values.py",
             "tests/test_systems_marts.py", "tests/test_returns.py"],
    # (core: the calendar; ages; the measures; focus lists, cost, trials; commentary)
    "measures": ["tests/test_worked_values.py", "tests/test_measure_sql.py"],
}
# mutmut's exit codes per mutant: a test failed (or crashed the process: a negative signal), none failed, no test
# covers it, or the tests ran out of time. Anything else is an error, not a kill.
MUTMUT_KILLED, MUTMUT_SURVIVED, MUTMUT_NO_TESTS = {1, 3, 37}, {0}, {5, 33}
MUTMUT_TIMEOUT = {-24, 24, 36, 152, 255}


def _sql_kind(file: str) -> str:
    if file.endswith("macros.sql"):
        return "macros"
    if file.startswith("sources/"):
        return "staging"
    return "measures" if file.endswith(".yaml") else "core"


def equivalent() -> set[tuple[str, str]]:
    """(file:line, mutation) of the mutants recorded as unable to change any output."""
    listed = set()
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines() if EQUIVALENT.exists() else []:
        line = line.split("#", 1)[0].strip()
        if line:
            where, _, mutation = line.partition(": ")
            listed.add((where.strip(), mutation.strip()))
    return listed


def _scratch_copy() -> Path:
    """The repository's tracked files (and the uncommitted changes to them), copied once, for the mutants."""
    target = SCRATCH / "src"
    shutil.rmtree(SCRATCH, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    for installed in INSTALLED_FOR_TESTS:  # not tracked, installed by `make test`: shared, not copied
        if (ROOT / installed).exists():
            (target / installed).symlink_to(ROOT / installed)
    return target


def run_sql(chosen: list[SqlMutant], timeout: int) -> list[dict]:
    """Each mutant in the scratch copy, against its tests: killed (a test failed), survived, timed out, or an
    error (pytest could not run them: not counted as killed). The tests must pass on the unmutated copy first."""
    copy = _scratch_copy()
    for tests in {tuple(SQL_TESTS[_sql_kind(m.file)]) for m in chosen}:
        if (code := run_pytest(copy, list(tests), SCRATCH / "tmp", timeout)) != 0:
            raise SystemExit(f"the tests {' '.join(tests)} fail (exit {code}) before any mutation: fix them first")
    results = []
    for n, mutant in enumerate(chosen, 1):
        target = copy / mutant.file
        original = target.read_text(encoding="utf-8")
        target.write_text(mutant.text, encoding="utf-8")
        started = time.monotonic()
        try:
            code = run_pytest(copy, SQL_TESTS[_sql_kind(mutant.file)], SCRATCH / "tmp", timeout)
        finally:
            target.write_text(original, encoding="utf-8")
        status = {0: "survived", 1: "killed", TIMED_OUT: "timeout"}.get(code, f"error (pytest exit {code})")
        results.append({"file": mutant.file, "line": mutant.line, "mutation": mutant.mutation, "status": status})
        print(f"[sql {n}/{len(chosen)}] {status:8} {mutant.file}:{mutant.line} {mutant.mutation} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return results


def _mutmut(names: list[str] | None, timeout: int) -> int:
    """`mutmut run` over every mutant (`names` None) or the named ones; its exit status."""
    MUTMUT_LOG.parent.mkdir(parents=True, exist_ok=True)
    with MUTMUT_LOG.open("a") as out:
        return subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "2", *(names or [])],
                              cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout * 50,
                              env=clean_environment()).returncode


def run_python(names: list[str] | None, timeout: int) -> list[dict]:
    """mutmut over [tool.mutmut]'s paths: every mutant (`names` None), or the named ones."""
    print(f"mutmut run ({len(names) if names else 'every'} mutant(s)); its output: {MUTMUT_LOG}", flush=True)
    if not names:  # a full run from scratch: mutmut would keep verdicts reached before the tests changed
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if (code := _mutmut(names, timeout)) != 0:
        raise SystemExit(f"mutmut stopped (exit {code}): see {MUTMUT_LOG}")
    results = _mutmut_results(set(names) if names else None)
    print("mutmut's survivors, each held to the whole test files (tests/mutation/confirm.py)", flush=True)
    confirm(results, _scratch_copy(), SCRATCH / "tmp", timeout)
    return results


def generate_python(timeout: int) -> list[str]:
    """Make mutmut's mutants and its map of which tests reach each function, running none of them (a filter that
    no mutant matches: mutmut stops with exit 1 once both are made). Every mutant's name."""
    print("mutmut: making the mutants and running the tests once (which tests reach which function)", flush=True)
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    code = _mutmut(["generate.only.no.such.mutant"], timeout)
    names = python_mutant_names()
    if not names or not (ROOT / "mutants" / "mutmut-stats.json").is_file():
        raise SystemExit(f"mutmut made no mutants or no map of the tests (exit {code}): see {MUTMUT_LOG}")
    return names


def python_mutant_names() -> list[str]:
    """Every Python mutant mutmut made (after a generation pass), from its metadata in mutants/."""
    names = []
    for meta in (ROOT / "mutants").rglob("*.meta"):
        names += list(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def _mutmut_results(only: set[str] | None) -> list[dict]:
    results = []
    for meta in (ROOT / "mutants").rglob("*.meta"):
        file = str(meta.relative_to(ROOT / "mutants")).removesuffix(".meta")
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if only is not None and name not in only:
                continue
            status = ("not run" if code is None else
                      "killed" if code in MUTMUT_KILLED or code < 0 and code != -24 else
                      "timeout" if code in MUTMUT_TIMEOUT else "no tests" if code in MUTMUT_NO_TESTS else
                      "survived" if code in MUTMUT_SURVIVED else f"error (mutmut exit {code})")
            results.append({"file": file, "line": None, "mutation": name, "status": status})
    return results


def score(results: list[dict], listed: set[tuple[str, str]]) -> tuple[int, int, list[dict]]:
    """(killed, total, survivors) leaving out the mutants listed as equivalent and those not run. A mutant whose
    tests ran past their time (an endless loop, say) counts as killed, as mutmut counts it: CI would stop on it."""
    counted = [r for r in results if r["status"] != "not run"
               and (f"{r['file']}:{r['line']}" if r["line"] else r["file"], r["mutation"]) not in listed]
    survivors = [r for r in counted if r["status"] not in ("killed", "timeout")]
    return len(counted) - len(survivors), len(counted), survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int,
                        help="run this many mutants drawn at random (half Python, half SQL, unless --only)")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--timeout", type=int, default=900, help="seconds one mutant's tests may take")
    parser.add_argument("--only", choices=("python", "sql"), help="one kind of mutant only")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    all_sql = [m for path in sql_files() for m in mutants(path)]
    python_results, sql_results = [], []
    sql_share = {"python": 0, "sql": args.sample}.get(args.only, (args.sample or 0) // 2)  # of a sample
    if args.only != "sql":
        if args.sample:
            names = generate_python(args.timeout)
            python_results = run_python(rng.sample(names, min(len(names), args.sample - sql_share)),
                                        args.timeout)
        else:
            python_results = run_python(None, args.timeout)
    if args.only != "python":
        chosen = rng.sample(all_sql, min(len(all_sql), sql_share)) if args.sample else all_sql
        sql_results = run_sql(chosen, args.timeout)
    listed = equivalent()
    python_killed, python_total, python_survivors = score(python_results, listed)
    sql_killed, sql_total, sql_survivors = score(sql_results, listed)
    by_file: dict[str, Counter] = defaultdict(Counter)
    for r in python_results + sql_results:
        by_file[r["file"]][r["status"]] += 1
    for file, counts in sorted(by_file.items()):
        print(f"{file:60} " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    report = {"python_killed": python_killed, "python_total": python_total, "sql_killed": sql_killed,
              "sql_total": sql_total, "sql_mutants_made": len(all_sql), "sample": args.sample, "seed": args.seed,
              "equivalent_listed": len(listed), "by_file": {f: dict(c) for f, c in sorted(by_file.items())},
              "killed_by_whole_test_files": sum("confirmed_by" in r for r in python_results),
              "survivors": [{"file": r["file"], "line": r["line"], "mutation": r["mutation"], "status": r["status"],
                             **({"why": r["confirmation"]} if "confirmation" in r else {})}
                            for r in python_survivors + sql_survivors]}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1), encoding="utf-8")
    for kind, killed, total in (("Python", python_killed, python_total), ("SQL", sql_killed, sql_total)):
        print(f"{kind}: {killed} of {total} killed" + (f" ({100 * killed / total:.0f} %)" if total else ""))
    print(f"Report: {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
