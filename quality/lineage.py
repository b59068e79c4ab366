"""Which warehouse tables read which: the SQL lineage graph the `relevant` checks walk."""

from __future__ import annotations

from collections import deque
from functools import cache

from outputs import READS as OUTPUT_READS
from sources import CONTRACTS
from warehouse.catalogue import catalogue
from warehouse.models import CORE_DIR, MARTS_DIR, referenced_tables, sql_models
from warehouse.spc_marts import READS as SPC_READS
from warehouse.trials import READS as TRIAL_READS


@cache
def readers() -> dict[str, set[str]]:
    """table -> the tables, measures and marts built from it (staging, core and mart SQL, measure SQL;
    marts.measure_values reads every measure)."""
    graph: dict[str, set[str]] = {}
    models = {f"staging.{c.name}": c.staging_sql() for c in CONTRACTS.values()}
    models |= {f"core.{n}": s for n, s in sql_models(CORE_DIR).items()}
    models |= {f"marts.{n}": s for n, s in sql_models(MARTS_DIR).items()}
    models |= {f"measures.{m.id}": m.sql for m in catalogue().measures.values()}
    for table, sql in models.items():
        for source in referenced_tables(sql):
            graph.setdefault(source, set()).add(table)
    for mart, tables in {**SPC_READS, **TRIAL_READS, **OUTPUT_READS}.items():  # built in Python, not SQL
        for source in tables:
            graph.setdefault(source, set()).add(mart)
    for measure_id in catalogue().measures:
        graph.setdefault(f"measures.{measure_id}", set()).add("marts.measure_values")
    return graph


def downstream(table: str) -> set[str]:
    """Every table built, directly or not, from `table`."""
    seen: set[str] = set()
    queue = deque([table])
    while queue:
        for reader in readers().get(queue.popleft(), ()):
            if reader not in seen:
                seen.add(reader)
                queue.append(reader)
    return seen
