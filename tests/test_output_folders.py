"""An output folder (the site, the reports, the scorecard) is replaced whole: a reader sees the old folder or the
new one, never neither and never half, even when the process is killed (SIGKILL) at any point of the swap."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from outputs.folders import building


def _write(folder: Path, version: str) -> None:
    for name in ("index.html", "data.csv"):
        (folder / name).write_text(f"{version} {name}")


def _version(folder: Path) -> set[str]:
    return {p.read_text().split()[0] for p in folder.iterdir()}


def test_a_folder_left_renamed_away_by_a_killed_run_comes_back_before_the_next_build(tmp_path: Path):
    # The two-rename way (no atomic exchange) killed between its renames leaves only .site.old.
    site, old = tmp_path / "site", tmp_path / ".site.old"
    old.mkdir()
    _write(old, "v1")
    with building(site) as temporary:
        assert _version(site) == {"v1"}  # served again while the new one is written
        _write(temporary, "v2")
    assert _version(site) == {"v2"} and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_folder_is_built_beside_and_replaces_the_old_one(tmp_path: Path):
    site = tmp_path / "site"
    with building(site) as temporary:
        _write(temporary, "v1")
    with building(site) as temporary:
        assert _version(site) == {"v1"}  # the old one is served while the new one is written
        _write(temporary, "v2")
    assert _version(site) == {"v2"} and sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    with pytest.raises(RuntimeError), building(site) as temporary:
        _write(temporary, "v3")
        raise RuntimeError("a chart failed")
    assert _version(site) == {"v2"} and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


KILLER = """
import os, signal, sys
from pathlib import Path
import outputs.folders as folders
site = Path(sys.argv[1])
point = sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "after the first rename":  # only the two-rename way renames: kill between its two renames
    rename = Path.rename
    def rename_then_die(self, target):
        result = rename(self, target)
        die()
    Path.rename = rename_then_die
elif point == "before the swap":
    folders._exchange = lambda *a: die()
elif point == "after the swap":
    exchange = folders._exchange
    def exchange_then_die(*args):
        exchange(*args)
        die()
    folders._exchange = exchange_then_die
with folders.building(site) as temporary:
    for name in ("index.html", "data.csv"):
        (temporary / name).write_text(f"v2 {name}")
"""


@pytest.mark.parametrize(("point", "expected"), [("before the swap", {"v1"}), ("after the swap", {"v2"}),
                                                  ("after the first rename", {"v2"})])
def test_a_kill_at_any_point_of_the_swap_leaves_the_old_or_the_new_folder_whole(tmp_path: Path, point: str,
                                                                                  expected: set[str]):
    site = tmp_path / "site"
    with building(site) as temporary:
        _write(temporary, "v1")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLER), str(site), point],
                          cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=60)
    if point != "after the first rename":  # the exchange never renames: that process ends normally
        assert done.returncode == -signal.SIGKILL, done.stderr
    assert site.is_dir() and _version(site) == expected
    with building(site) as temporary:  # and the next build cleans up after the killed one
        _write(temporary, "v3")
    assert _version(site) == {"v3"} and sorted(p.name for p in tmp_path.iterdir()) == ["site"]
