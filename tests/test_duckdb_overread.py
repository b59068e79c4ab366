"""DuckDB 1.5.x's strptime reads one byte past its input when the input matches a format up to its last byte
and the format expects more (README, "The DuckDB crash"): the nightly staging SQL crashed at random when such a
value ended at the end of a memory mapping. The staging macros no longer call strptime.

This test makes the crash deterministic (the minimal reproducer of the upstream report): the value is placed so
that its last byte is the last readable byte before a PROT_NONE page, and DuckDB reads it from Arrow without
copying it. The macros cannot be tested this way (trim() copies the value before parsing it); what keeps
strptime out of them is tests/test_date_parsing.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import duckdb
import pytest

from warehouse.db import SQL_DIR

HARNESS = textwrap.dedent("""
    import ctypes, mmap, sys
    import duckdb, pyarrow as pa
    macros, expression, value = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    page = mmap.PAGESIZE
    region = mmap.mmap(-1, 2 * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(region))
    libc = ctypes.CDLL(None)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    assert libc.mprotect(base + page, page, 0) == 0  # the page after the value cannot be read
    region[page - len(value):page] = value
    data = pa.foreign_buffer(base + page - len(value), len(value), base=region)
    offsets = pa.py_buffer(pa.array([0, len(value)], pa.int32()).buffers()[1])
    tbl = pa.table({"v": pa.Array.from_buffers(pa.string(), 1, [None, offsets, data])})
    con = duckdb.connect()
    con.execute("SET VARIABLE pseudonym_key = 'x'")
    con.execute(open(macros).read())
    print(con.execute(f"SELECT {expression} FROM tbl").fetchall()[0][0])
""")

def _run(expression: str, value: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HARNESS, str(SQL_DIR / "macros.sql"), expression, value],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not duckdb.__version__.startswith("1.5."), reason="the over-read is DuckDB 1.5.x's")
@pytest.mark.parametrize(("expression", "value"), [
    ("try_strptime(v, '%d/%m/%Y %H:%M:%S')", "11/04/2024 20:18"),  # a literal expected after the last byte
    ("try_strptime(v, '%Y')", "\t" * 16),                            # the leading-whitespace loop
])
def test_the_shipped_engine_still_reads_past_the_value(expression: str, value: str):
    """While this holds, staging SQL must not call strptime (tests/test_date_parsing.py forbids it). If it
    fails after a DuckDB upgrade, the engine is fixed and the avoidance could be lifted."""
    done = _run(expression, value)
    assert done.returncode == -signal.SIGSEGV, (done.returncode, done.stdout, done.stderr)


def test_the_harness_parses_a_value_that_matches_its_format():
    """The control: the same value and harness, with a format it matches exactly, parses."""
    done = _run("try_strptime(v, '%d/%m/%Y %H:%M')", "11/04/2024 20:18")
    assert done.stdout.strip() == "2024-04-11 20:18:00", done.stderr[-1500:]
