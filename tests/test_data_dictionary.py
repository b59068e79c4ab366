"""The data dictionary (warehouse/dictionary.py): descriptions written once, applied as comments to a copy and
listed in its marts.data_dictionary. Whether a real run's copies are fully described is in
test_fixture_measures (`test_every_table_and_column_of_both_copies_says_what_it_holds`)."""

from __future__ import annotations

import duckdb

from warehouse.dictionary import column_description, describe_copy, leading_comment, table_descriptions


def test_a_column_means_the_same_everywhere_unless_its_table_says_otherwise():
    assert column_description("marts.measure_values", "value") == column_description("marts.dashboard_strategic",
                                                                                     "value")
    assert column_description("marts.dashboard_demographics", "value") == "The indicator's value for the area."
    assert column_description("marts.measure_values", "no_such_column") is None


def test_a_sql_model_is_described_by_its_own_leading_comment_without_the_incremental_marker():
    sql = "-- One row per customer contact.\n-- incremental: append\n-- With its area.\nSELECT 1"
    assert leading_comment(sql) == "One row per customer contact. With its area."
    assert table_descriptions()["core.fact_contacts"].startswith("One row per customer contact (the demand log)")
    # audit tables: the comment just above their CREATE TABLE in warehouse/sql/audit.sql
    assert table_descriptions()["audit.quarantine"] == ("Rows kept out of staging because they break the contract "
                                                        "or cannot be conformed.")


def test_a_copy_gets_comments_and_its_own_dictionary_and_keeps_them_when_compacted(tmp_path):
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'copy.duckdb'}' AS publishing")
    con.execute("CREATE SCHEMA publishing.marts; CREATE SCHEMA publishing.core")
    con.execute("CREATE TABLE publishing.marts.measure_values (measure_id VARCHAR, value DOUBLE, mystery INTEGER)")
    con.execute("CREATE TABLE publishing.core.dim_purpose (purpose_owner VARCHAR)")
    con.execute("CREATE TABLE publishing.core.unknown_table (measure_id VARCHAR)")
    missing = describe_copy(con, "publishing")
    assert missing == ["core.unknown_table", "marts.measure_values.mystery"]
    comments = dict(con.execute("""SELECT table_name || '.' || column_name, comment FROM duckdb_columns()
                                   WHERE database_name = 'publishing'""").fetchall())
    assert comments["dim_purpose.purpose_owner"] == "Portfolio Holder who owns the strategic purpose."
    # an apostrophe in a description survives the quoting
    assert comments["measure_values.value"] == "The measure's value for the period and area, in its unit."
    assert comments["measure_values.mystery"] is None
    listed = con.execute("""SELECT table_name, column_position, column_name, column_description
                            FROM publishing.marts.data_dictionary WHERE table_name = 'measure_values'
                            ORDER BY column_position""").fetchall()
    assert listed == [("measure_values", 1, "measure_id", comments["measure_values.measure_id"]),
                      ("measure_values", 2, "value", comments["measure_values.value"]),
                      ("measure_values", 3, "mystery", None)]
    # the dictionary describes itself too, and a second night replaces it rather than adding to it
    describe_copy(con, "publishing")
    assert con.execute("SELECT count(*) FROM publishing.marts.data_dictionary WHERE table_name = "
                       "'measure_values'").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM publishing.marts.data_dictionary WHERE table_name = 'data_dictionary' "
                       "AND column_description IS NOT NULL").fetchone()[0] == 7
    # compaction rewrites the copy with COPY FROM DATABASE: the comments go with it
    con.execute(f"ATTACH '{tmp_path / 'compacted.duckdb'}' AS compacting")
    con.execute("COPY FROM DATABASE publishing TO compacting")
    assert con.execute("""SELECT comment FROM duckdb_columns() WHERE database_name = 'compacting'
                          AND table_name = 'measure_values' AND column_name = 'value'""").fetchone()[0] == \
        comments["measure_values.value"]
