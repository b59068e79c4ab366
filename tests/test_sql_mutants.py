"""The SQL mutator behind `make mutants` makes each kind of one-change mutant, and only that change."""

from __future__ import annotations

from pathlib import Path

from tests.mutation.run import equivalent, score
from tests.mutation.sql_mutants import ROOT, mutants, sql_files

SQL = """SELECT a.x, b.y
FROM t a
LEFT JOIN u b ON b.k = a.k
WHERE a.n >= 10 AND (a.m IS NULL OR a.m < 3)
"""


def test_each_kind_of_mutant_is_made_once_and_changes_only_its_part(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("tests.mutation.sql_mutants.ROOT", tmp_path)
    path = tmp_path / "model.sql"
    path.write_text(SQL)
    made = {m.mutation: m.text for m in mutants(path)}
    assert made["LEFT JOIN -> JOIN"] == SQL.replace("LEFT JOIN", "JOIN")
    assert made[">= -> >"] == SQL.replace(">= 10", "> 10")
    assert made["< -> <="] == SQL.replace("< 3", "<= 3")
    assert made["10 -> 11"] == SQL.replace("10", "11")
    assert made["IS NULL -> IS NOT NULL"] == SQL.replace("IS NULL", "IS NOT NULL")
    assert made["AND <right term> dropped"] == SQL.replace(" AND (a.m IS NULL OR a.m < 3)", "")
    assert made["<left term> AND dropped"] == SQL.replace("a.n >= 10 AND ", "")
    assert made["OR <right term> dropped"] == SQL.replace(" OR a.m < 3", "")
    assert made["<left term> OR dropped"] == SQL.replace("a.m IS NULL OR ", "")
    # Two equals signs (the join's and none else): one flip each; every mutant differs from the file.
    assert made["= -> <>"] == SQL.replace("b.k = a.k", "b.k <> a.k")
    assert all(text != SQL for text in made.values())


def test_every_project_sql_file_yields_mutants_that_keep_the_rest_of_the_file():
    files = sql_files()
    assert len(files) > 40 and ROOT / "warehouse" / "sql" / "macros.sql" in files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for mutant in mutants(path):
            assert mutant.text != text and abs(len(mutant.text) - len(text)) < len(text), (mutant.file, mutant.line)


def test_the_score_leaves_out_only_what_is_listed_as_equivalent():
    results = [{"file": "a.sql", "line": 3, "mutation": "= -> <>", "status": "survived"},
               {"file": "a.sql", "line": 4, "mutation": "1 -> 2", "status": "killed"},
               {"file": "b.sql", "line": 1, "mutation": "IS NULL -> IS NOT NULL", "status": "timeout"}]
    killed, total, survivors = score(results, {("a.sql:3", "= -> <>")})
    assert (killed, total) == (2, 2) and survivors == []  # tests that never finish caught it (CI stops on them)
    killed, total, survivors = score(results, set())
    assert (killed, total) == (2, 3) and [s["file"] for s in survivors] == ["a.sql"]
    # A Python mutant (no line) is listed by its name; one pytest could not run counts against the score.
    python = [{"file": "q.py", "line": None, "mutation": "q.x_f__mutmut_1", "status": "survived"},
              {"file": "q.py", "line": None, "mutation": "q.x_f__mutmut_2", "status": "error (mutmut exit 7)"}]
    assert score(python, {("q.py", "q.x_f__mutmut_1")})[:2] == (0, 1)
    assert isinstance(equivalent(), set)
