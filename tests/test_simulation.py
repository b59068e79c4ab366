"""Forty-five simulated nights across a month end, with faults, through the code paths production uses (the
schedule's plan, the landing sensors, the alert sensors, run monitoring and retries, publish, the outputs):
every night's invariants hold, every alert the calendar and the faults call for fires once and no other, and
the warehouse at the end equals a rebuild from all the delivered files. `make simulate` runs a year of it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from pipelines.simulation.calendar import build_calendar
from pipelines.simulation.runner import simulate
from warehouse.publish import compact_floor

NIGHTS, SEED = 45, 2019  # the test tier promises at least 45 nights, across a month end, with faults (with
# these sources and faults, 2019 is a seed whose calendar holds all three corrections)
# Four of the seven fault kinds, one of each family: a kill inside the publish, a native crash at a random step,
# the disk filling up, and a night the daemon is not running. `make simulate` injects all seven; the plain SIGKILL
# at a random step and the second run started by hand are handled as the kill and the crash are, and a file still
# being copied at 02:00 is tested on its own (tests/test_transient_files.py); tests/test_kill_points.py kills at
# exact points. Each kill costs a run in its own process and its retry, the dearest minutes of this test.
FAULTS = ("sigkill_publish", "native_crash", "disk_full", "daemon_absent")
# Four of the thirteen monthly sources deliver (the other nine go silent, and are alerted overdue): the two the
# calendar's corrections fall on (CRM, street scene), the police's monthly folder and a partner's lettings return.
# Each delivery is a run and an outputs build; `make simulate` has every source deliver.
SOURCES = ("crm_contacts", "waste_reports", "police_street", "lettings")
pytestmark = pytest.mark.skipif(shutil.which("faketime") is None,
                                reason="Debian's faketime is not installed (make test installs it)")


def test_the_calendar_crosses_a_month_end_with_every_fault_kind():
    calendar = build_calendar(dt.date(2026, 1, 1), NIGHTS, SEED, FAULTS, SOURCES)
    assert calendar.end == dt.date(2026, 2, 14)
    assert sorted(f.kind for f in calendar.faults) == sorted(FAULTS)
    assert {e["kind"] for e in calendar.events} >= {"corrected_redelivery", "broken_then_fixed", "bad_then_corrected"}
    working = {d.day.weekday() for d in calendar.deliveries if d.variant == "normal" and d.hour == 10}
    assert working <= {0, 1, 2, 3, 4}  # extracts land on working days


def test_a_half_copied_delivery_keeps_its_name_and_overwrites_no_loaded_file(tmp_path):
    # The "file still copying" fault brings the next delivery forward, half-written at 02:00. A corrected
    # re-delivery must land under its own name: written over the file it corrects (already loaded), it would
    # leave rows in the nights' warehouse that a rebuild from the final landing folder cannot know of.
    from pipelines.simulation.calendar import Calendar, Delivery
    from pipelines.simulation.deliveries import Deliveries
    from pipelines.simulation.runner import _start_copy

    night, december = dt.date(2026, 1, 8), dt.date(2025, 12, 1)
    calendar = Calendar(dt.date(2026, 1, 1), 45, SEED, dt.date(2025, 11, 1))
    calendar.deliveries = [Delivery(night, "crm_contacts", december, "normal", "-corrected", 15)]
    deliveries = Deliveries(calendar, tmp_path / "landing", tmp_path / "scratch", 0.1)
    copying = _start_copy(night, calendar, deliveries)
    assert (copying.suffix, copying.hour) == ("-corrected", 9)
    assert calendar.deliveries == [copying]
    landed = sorted(p.name for p in (tmp_path / "landing" / "crm_contacts").iterdir())
    assert landed == ["crm_contacts_2025-12-corrected.csv"]


def test_faked_processes_leave_stat_alone(tmp_path):
    # libfaketime's stat() wrapper takes a process-wide lock on every call; a simulated worker once hung in it
    # for good. For a fixed fake time it rewrites no file time, so the faked processes switch it off.
    import subprocess
    import sys

    from pipelines.simulation.daemon import faked_clock

    env = faked_clock(dt.datetime(2026, 1, 25, 2))
    assert env["NO_FAKE_STAT"] == "1"
    probe = tmp_path / "probe"
    probe.write_text("x")
    seen = subprocess.run([sys.executable, "-c", f"import os, time; print(os.stat({str(probe)!r}).st_mtime_ns, "
                           "int(time.time()))"], env={**os.environ, **env}, capture_output=True, text=True,
                          check=True).stdout.split()
    assert int(seen[0]) == probe.stat().st_mtime_ns  # the file's real time
    assert 0 <= int(seen[1]) - dt.datetime(2026, 1, 25, 2).timestamp() < 30  # the clock is faked


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("simulation")  # make test puts the temporary folders on tmpfs
    # Reports as HTML only (PDF rendering is most of the outputs job; tests/test_outputs.py covers the PDFs), and
    # no analyst copy (a second publish every run; tests/test_data_classes.py covers it): `make simulate` has both.
    yield simulate(base, dt.date(2026, 1, 1), NIGHTS, SEED, faults=FAULTS, pdf=False,
                   sources=SOURCES, analyst_copy=False)  # restores the environment
    shutil.rmtree(base, ignore_errors=True)


def test_every_night_holds_its_invariants(report):
    assert report["nights"] == NIGHTS
    assert report["invariant_violations"] == []


def test_the_faults_were_injected_and_each_alerted_once(report):
    kinds = {f["kind"] for f in report["faults_injected"]}
    assert len(report["faults_injected"]) >= 3 and kinds == set(FAULTS)
    killed = [r for r in report["runs"] if r["fault"] in ("sigkill_publish", "native_crash")]
    assert killed and all(not r["success"] and any("killed by SIG" in n for n in r["notes"]) for r in killed)
    assert report["alerts_fired"] == report["alerts_expected"] > 0


def test_the_nights_end_where_a_rebuild_from_every_file_does(report):
    assert report["equals_full_rebuild"] is True
    # The copy does not grow for ever: DuckDB reuses its free blocks, and publish rewrites it once they are more
    # than a quarter of it and at least the floor (BDC_PUBLISHED_COMPACT_MIN_MB, 64 MiB by default).
    assert report["published_bytes_last"] <= 2 * report["published_bytes_first"] + compact_floor()


def test_quiet_nights_start_no_run_and_alert_nobody(report):
    # Nights with nothing new are recorded by the schedule without a run (pipelines/quiet.py); the invariants
    # above held on them, and the missed-night watch did not fire for them (alerts fired == expected).
    quiet = set(report["quiet_nights"])
    assert quiet, "no night of the simulation was quiet"
    scheduled = {r["night"] for r in report["runs"] if r["trigger"] == "nightly schedule"}
    assert not quiet & scheduled
    assert len(quiet) + len(scheduled) <= report["nights"]
