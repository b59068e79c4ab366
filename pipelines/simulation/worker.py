"""A simulated run in a process of its own (as the daemon's run launcher starts one), with a fault injected:

- `sigkill`: SIGKILL a moment after a step opens the warehouse (a random step, from the seed);
- `sigkill_publish`: SIGKILL in the middle of the publish (while the new copy is being written);
- `native_crash`: SIGSEGV, a real signal, a moment after a step opens the warehouse;
- `disk_full`: the copy of the published file fails with ENOSPC half-way.

And at exact points, for tests/test_kill_points.py (SIGKILL from inside the process, so the point is certain):
- `kill_between_raw_files`: after the first raw file of the run is loaded, before the second;
- `kill_before_swap` / `kill_after_swap`: just before / just after the new published copy is renamed into place;
- `kill_in_outputs`: once the public site is written, before it is swapped in.

    python -m pipelines.simulation.worker RUN.json     (RUN.json: job, run_id, tags, fault, assets, checks)

The daemon (pipelines/simulation/daemon.py) starts it under `faketime` at the simulated time.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from pipelines.selection import NightPlan


def _signal_later(sig: signal.Signals, delay: float) -> None:
    """Send `sig` to this process `delay` seconds from now, from another process: it lands whatever this one is
    doing (inside DuckDB, too). Not a thread timer: under faketime a timed wait never wakes."""
    subprocess.Popen(["sh", "-c", f"sleep {delay:.2f}; kill -{sig.name.removeprefix('SIG')} {os.getpid()}"])


def _arm(fault: str, rng: random.Random, steps: int) -> None:
    """Install the fault: it fires from inside the run (of about `steps` steps), as a real signal or a real
    OSError."""
    if fault in ("sigkill", "native_crash"):
        from warehouse.resource import WarehouseResource

        sig = signal.SIGKILL if fault == "sigkill" else signal.SIGSEGV
        nth, calls, connect = rng.randint(1, max(1, min(12, steps))), [0], WarehouseResource.connect

        def connect_then_fault(self):
            calls[0] += 1
            if calls[0] == nth:
                _signal_later(sig, rng.uniform(0.0, 0.3))
            return connect(self)

        WarehouseResource.connect = connect_then_fault
    elif fault == "sigkill_publish":
        from warehouse import publish

        fill = publish._fill

        def fill_then_die(*args, **kwargs):
            _signal_later(signal.SIGKILL, rng.uniform(0.0, 0.2))
            return fill(*args, **kwargs)

        publish._fill = fill_then_die
    elif fault == "disk_full":
        from warehouse import publish

        def copy_half(source, target, *args, **kwargs):
            data = Path(source).read_bytes()
            Path(target).write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

        publish.shutil = SimpleNamespace(copyfile=copy_half)  # only publish's copy of the last published file
    elif fault in KILL_POINTS:
        KILL_POINTS[fault]()
    elif fault:
        raise ValueError(f"unknown fault {fault!r}")


def _die(*_args: object, **_kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_between_raw_files() -> None:
    from sources import reader

    load_file, loaded = reader.load_file, [0]

    def load_then_die_before_the_next(*args, **kwargs):
        if loaded[0] == 1:
            _die()
        loaded[0] += 1
        return load_file(*args, **kwargs)

    reader.load_file = load_then_die_before_the_next


def _kill_at_the_swap(after: bool) -> None:
    from warehouse import publish

    def replace(source, target):
        if str(target).endswith(".tmp"):  # compaction's rename inside the temporary copy
            return os.replace(source, target)
        if not after:
            _die()
        os.replace(source, target)
        _die()

    publish.os = SimpleNamespace(**{**vars(os), "replace": replace})


def _kill_in_outputs() -> None:
    from outputs import folders

    exchange = folders._exchange

    def die_before_the_site(first, second):
        if second.name == "site":
            _die()
        return exchange(first, second)

    folders._exchange = die_before_the_site


KILL_POINTS = {"kill_between_raw_files": _kill_between_raw_files,
               "kill_before_swap": lambda: _kill_at_the_swap(after=False),
               "kill_after_swap": lambda: _kill_at_the_swap(after=True),
               "kill_in_outputs": _kill_in_outputs}


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    _arm(spec["fault"], random.Random(spec["run_id"]), len(spec["assets"]) if spec["assets"] is not None else 100)
    plan = None
    if spec["assets"] is not None:
        checks = None if spec["checks"] is None else \
            {dg.AssetCheckKey(dg.AssetKey(json.loads(c)[0]), json.loads(c)[1]) for c in spec["checks"]}
        plan = NightPlan({dg.AssetKey(json.loads(a)) for a in spec["assets"]}, checks)
    outcome = run_nightly(build_definitions(), instance=dg.DagsterInstance.get(), log_level="ERROR",
                          job_name=spec["job"], plan=plan, tags=spec["tags"], run_id=spec["run_id"])
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
