"""The catalogue as warehouse dimensions: core.dim_purpose, core.dim_team, core.dim_measure, core.dim_service, and
core.measure_renames (each former measure id and the id it has now)."""

from __future__ import annotations

import duckdb

from warehouse.catalogue import Catalogue
from warehouse.council import load_council

CATALOGUE_TABLES = ("dim_purpose", "dim_team", "dim_measure", "dim_service", "measure_renames")


def build_catalogue_table(con: duckdb.DuckDBPyConnection, name: str, cat: Catalogue) -> int:
    """(Re)build one catalogue dimension from the YAML catalogue, mailboxes at the run's council's domain. Returns
    its row count."""
    council = load_council()
    if name == "dim_purpose":
        columns = "purpose_id VARCHAR PRIMARY KEY, purpose_title VARCHAR, purpose_owner VARCHAR"
        rows = [(p.id, p.title, p.owner) for p in cat.purposes.values()]
    elif name == "dim_team":
        columns = ("team_id VARCHAR PRIMARY KEY, team_name VARCHAR, service_area VARCHAR, email VARCHAR, "
                   "hr_team_name VARCHAR")
        rows = [(t.id, t.name, t.service_area, council.mailbox(t.email), t.hr_team_name) for t in cat.teams.values()]
    elif name == "dim_measure":
        columns = ("measure_id VARCHAR PRIMARY KEY, title VARCHAR, definition VARCHAR, purpose_id VARCHAR, "
                   "level VARCHAR, team_id VARCHAR, owner_name VARCHAR, owner_email VARCHAR, unit VARCHAR, "
                   "improvement VARCHAR, frequency VARCHAR, numerator VARCHAR, denominator VARCHAR, "
                   "aggregation VARCHAR, breakdowns VARCHAR[], source_tables VARCHAR[], is_public BOOLEAN, "
                   "definition_sql VARCHAR, target DOUBLE, is_manual BOOLEAN")
        rows = [(m.id, m.title, m.definition, m.purpose, m.level, m.team, m.owner_name, council.mailbox(m.owner_email),
                 m.unit,
                 m.improvement, m.frequency, m.numerator, m.denominator, m.aggregation, list(m.breakdowns),
                 list(m.source_tables), m.public, m.sql, m.target, m.is_manual) for m in cat.measures.values()]
    elif name == "dim_service":
        columns = "service VARCHAR PRIMARY KEY, team_id VARCHAR, cost_centres VARCHAR[]"
        rows = [(s.service, s.team, list(s.cost_centres)) for s in cat.services.values()]
    elif name == "measure_renames":  # landing files naming a former id are staged under the current one
        columns = "former_id VARCHAR PRIMARY KEY, measure_id VARCHAR NOT NULL"
        rows = sorted(cat.renames.items())
    else:
        raise ValueError(f"unknown catalogue table {name}")
    con.execute(f"CREATE OR REPLACE TABLE core.{name} ({columns})")
    if rows:
        placeholders = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO core.{name} VALUES ({placeholders})", rows)
    return len(rows)
