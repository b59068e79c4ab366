"""Windows-1252 deliveries are decoded by Python's codecs into a UTF-8 copy for DuckDB (sources/text_encoding.py):
the characters a council export carries arrive intact, a byte the encoding does not define refuses the file, and
a UTF-8 file delivered where Windows-1252 is expected is refused, not read as `Â£`."""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb
import pytest

from sources import CONTRACTS, text_encoding
from sources.reader import load_source
from sources.text_encoding import EncodingProblem, as_utf8
from warehouse import db
from warehouse.db import SCRATCH_PREFIX, ensure_schemas, prepare
from warehouse.resource import WarehouseResource

HEADER = ("Contact Ref,Received,Closed,Channel,Service,Demand Type,Demand Category,Resolved At First Contact,UPRN,"
          "Customer Name,Telephone,Notes")


def test_windows_1252_characters_arrive_intact_with_their_lines(tmp_path: Path):
    # £ is 0xA3, the curly quotes 0x93 and 0x94, é 0xE9, € 0x80, the en dash 0x96 in Windows-1252.
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"a,b\r\n\xa35 fee,\x93quoted\x94\r\ncaf\xe9,\x80 10 \x96 ok\r\n")
    with as_utf8(delivered, "CP1252") as readable:
        assert readable != delivered
        assert readable.read_bytes() == "a,b\r\n£5 fee,“quoted”\r\ncafé,€ 10 – ok\r\n".encode()
    assert not readable.exists()  # the copy lasts only as long as the read


def test_a_utf8_source_is_read_in_place(tmp_path: Path):
    delivered = tmp_path / "export.csv"
    delivered.write_text("a\r\n£\r\n", encoding="utf-8")
    with as_utf8(delivered, "utf-8") as readable:
        assert readable == delivered


@pytest.mark.parametrize("chunk", [text_encoding.CHUNK_BYTES, 5])  # 5 bytes: lines and characters split
def test_an_undefined_byte_is_named_with_its_line(tmp_path: Path, monkeypatch, chunk: int):
    monkeypatch.setattr(text_encoding, "CHUNK_BYTES", chunk)
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"a,b\r\n1,2\r\nx\x81y,3\r\n")  # 0x81 has no character in Windows-1252; line 3
    with pytest.raises(EncodingProblem) as raised:
        text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")
    assert str(raised.value).startswith("byte 0x81 on line 3 is not a CP1252 character")


@pytest.mark.parametrize("chunk", [text_encoding.CHUNK_BYTES, 5])
def test_a_utf8_file_where_windows_1252_is_expected_is_refused_as_utf8(tmp_path: Path, monkeypatch, chunk: int):
    monkeypatch.setattr(text_encoding, "CHUNK_BYTES", chunk)
    delivered = tmp_path / "export.csv"
    # £ is C2 A3 in UTF-8, on line 3; in 5-byte chunks C2 ends the third chunk and A3 starts the fourth.
    delivered.write_bytes("a,b\r\n1,2\r\nZeb,£5\r\n".encode())
    with pytest.raises(EncodingProblem) as raised:
        text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")
    message = str(raised.value)
    assert message.startswith("is UTF-8 text (its first character beyond ASCII is on line 3), not CP1252")
    assert "Zeb" not in message  # a line's text may be personal data: only bytes and line numbers are named


def test_a_windows_1252_file_that_happens_to_be_valid_utf8_is_read_as_delivered(tmp_path: Path):
    # É is 0xC9 and the closing curly quote 0x94 in Windows-1252: together they are valid UTF-8 (U+0254, "ɔ"),
    # a character Windows-1252 does not have, so the file is not taken for UTF-8.
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"a,b\r\n1,CAF\xc9\x94 sign\r\n")
    assert delivered.read_bytes().decode("utf-8") == "a,b\r\n1,CAFɔ sign\r\n"  # valid UTF-8 indeed
    text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")
    assert (tmp_path / "copy.csv").read_bytes() == "a,b\r\n1,CAFÉ” sign\r\n".encode()


def test_a_byte_order_mark_says_utf8_even_when_the_rest_is_ascii(tmp_path: Path):
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"\xef\xbb\xbfa,b\r\n1,2\r\n")
    with pytest.raises(EncodingProblem, match="^starts with UTF-8's byte-order mark: it was exported as UTF-8, "
                                              "not CP1252 as its contract says"):
        text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")


def test_lines_are_counted_in_a_file_ended_by_carriage_returns_only(tmp_path: Path):
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"a,b\r1,2\rx\x9dy,3\r")  # 0x9D is undefined in Windows-1252; line 3
    with pytest.raises(EncodingProblem, match="^byte 0x9D on line 3 is not a CP1252 character"):
        text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")


def test_plain_ascii_is_both_and_loads(tmp_path: Path):
    delivered = tmp_path / "export.csv"
    delivered.write_bytes(b"a,b\r\n1,2\r\n")
    text_encoding.transcode_to_utf8(delivered, tmp_path / "copy.csv", "CP1252")
    assert (tmp_path / "copy.csv").read_bytes() == b"a,b\r\n1,2\r\n"


def _contacts(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(HEADER.encode("ascii") + b"\r\n" + data)


def test_the_reader_loads_windows_1252_and_refuses_utf8_naming_the_file(tmp_path: Path):
    folder = tmp_path / "crm_contacts"
    row = ",01/03/2026 09:00,,Phone,Waste,Value,Request for service,Y,1001,A,1,"
    _contacts(folder, "crm_contacts_2026-03.csv", b"C1" + row.encode() + b"\xa35 \x93fee\x94\r\n")
    _contacts(folder, "crm_contacts_2026-04.csv", b"C2" + row.encode() + "£5 fee\r\n".encode())  # UTF-8
    with duckdb.connect() as con:
        prepare(con)
        ensure_schemas(con)
        report = load_source(con, CONTRACTS["crm_contacts"], folder, "run-1")
        loaded = con.execute('SELECT "Contact Ref", "Notes", _row_number FROM raw.crm_contacts').fetchall()
    assert report.files_loaded == ["crm_contacts_2026-03.csv"]
    assert loaded == [("C1", "£5 “fee”", 2)]  # the file's own line number
    assert len(report.errors) == 1 and "crm_contacts_2026-04.csv: cannot be read as CSV (CP1252): is UTF-8 text " \
        "(its first character beyond ASCII is on line 2)" in report.errors[0]


def test_the_copy_is_made_beside_the_warehouse_and_one_a_killed_run_left_is_swept(tmp_path: Path, monkeypatch):
    # A copy holds the delivery's rows, names and phone numbers included: it is made in the warehouse's own spill
    # folder (not a shared /tmp), and the next load removes one a killed run could not.
    folder = tmp_path / "crm_contacts"
    row = ",01/03/2026 09:00,,Phone,Waste,Value,Request for service,Y,1001,A,1,"
    _contacts(folder, "crm_contacts_2026-03.csv", b"C1" + row.encode() + b"\xa35\r\n")
    made: list[Path] = []
    transcode = text_encoding.transcode_to_utf8
    monkeypatch.setattr(text_encoding, "transcode_to_utf8",
                        lambda source, target, encoding: (made.append(target), transcode(source, target, encoding)))
    warehouse = tmp_path / "working.duckdb"
    spill = Path(f"{warehouse}.tmp")
    left = spill / f"{SCRATCH_PREFIX}killed"
    left.mkdir(parents=True)
    (left / "utf8.csv").write_text("C0,Zeb Canary,07700 900123\r\n")
    with duckdb.connect(str(warehouse)) as con:
        prepare(con)
        ensure_schemas(con)
        report = load_source(con, CONTRACTS["crm_contacts"], folder, "run-2")
    assert report.files_loaded == ["crm_contacts_2026-03.csv"]
    assert [p.parent.parent for p in made] == [spill]
    assert not left.exists() and not list(spill.glob(f"{SCRATCH_PREFIX}*"))


def test_a_copy_that_cannot_be_written_defers_the_file_to_the_next_run(tmp_path: Path, monkeypatch):
    folder = tmp_path / "crm_contacts"
    row = ",01/03/2026 09:00,,Phone,Waste,Value,Request for service,Y,1001,A,1,"
    _contacts(folder, "crm_contacts_2026-03.csv", b"C1" + row.encode() + b"\xa35\r\n")

    def disk_full(source: Path, target: Path, encoding: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(text_encoding, "transcode_to_utf8", disk_full)
    with duckdb.connect(str(tmp_path / "working.duckdb")) as con:
        prepare(con)
        ensure_schemas(con)
        report = load_source(con, CONTRACTS["crm_contacts"], folder, "run-3")
    assert report.refused == [] and report.files_loaded == []  # not refused: nothing is wrong with the file
    assert len(report.deferred) == 1
    assert "crm_contacts_2026-03.csv: its UTF-8 copy could not be written in " in report.deferred[0]
    assert "(No space left on device); tried again next run" in report.deferred[0]


def test_opening_the_warehouse_sweeps_a_copy_a_killed_run_left(tmp_path: Path):
    warehouse = tmp_path / "working.duckdb"
    left = Path(f"{warehouse}.tmp") / f"{SCRATCH_PREFIX}killed"
    left.mkdir(parents=True)
    (left / "utf8.csv").write_text("C0,Zeb Canary,07700 900123\r\n")
    with WarehouseResource(database=str(warehouse)).connect():
        assert not left.exists()


def test_a_copy_that_cannot_be_removed_is_named_and_the_night_goes_on(tmp_path: Path, monkeypatch, caplog):
    warehouse = tmp_path / "working.duckdb"
    left = Path(f"{warehouse}.tmp") / f"{SCRATCH_PREFIX}killed"
    left.mkdir(parents=True)
    (left / "utf8.csv").write_text("C0,Zeb Canary,07700 900123\r\n")

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(db.shutil, "rmtree", refuse)
    with duckdb.connect(str(warehouse)) as con:
        assert db.remove_stale_scratch(con) == 0
    assert f"could not remove {left}" in caplog.text and "Permission denied" in caplog.text
    assert "Zeb" not in caplog.text
