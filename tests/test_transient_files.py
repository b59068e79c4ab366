"""A file still being written, or locked, is retried with backoff before it fails with the file named."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sources.reader import SourceFileError, file_sha256, settled_sha256


def test_a_file_still_being_copied_is_read_once_it_settles(tmp_path):
    path = tmp_path / "crm_contacts_2026-03.csv"
    path.write_bytes(b"Contact Ref\r\n")

    def copy_in_progress():  # the rest of the file arrives over the next 0.3 s
        for n in range(3):
            time.sleep(0.1)
            with path.open("ab") as handle:
                handle.write(f"C{n}\r\n".encode())

    writer = threading.Thread(target=copy_in_progress)
    writer.start()
    sha = settled_sha256(path, attempts=6, first_wait=0.2, settle=0.25)
    writer.join()
    assert sha == file_sha256(path)  # the hash of the whole file, not of a partial copy


def test_a_file_that_never_settles_fails_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "hb_ctr_decisions_2026-03.csv"
    path.write_bytes(b"x")
    real_stat = type(path).stat
    calls = {"n": 0}

    def moving_stat(self, *args, **kwargs):  # every look finds a new size
        result = real_stat(self, *args, **kwargs)
        calls["n"] += 1
        return os.stat_result((*result[:6], result[6] + calls["n"], *result[7:]))

    monkeypatch.setattr(type(path), "stat", moving_stat)
    with pytest.raises(SourceFileError, match="hb_ctr_decisions_2026-03.csv: it is still being written"):
        settled_sha256(path, attempts=3, first_wait=0.01, settle=0)


def test_a_locked_file_is_retried_then_named(tmp_path, monkeypatch):
    path = tmp_path / "lettings_return_2026-03.csv"
    path.write_bytes(b"x")
    attempts = {"n": 0}

    def locked(_path):
        attempts["n"] += 1
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sources.reader.file_sha256", locked)
    with pytest.raises(SourceFileError, match="lettings_return_2026-03.csv: it is locked by another program"):
        settled_sha256(path, attempts=3, first_wait=0.01, settle=0)
    assert attempts["n"] == 3
