"""Data classes, declared once (warehouse/catalogue/data_classes.yaml for warehouse tables; `Column.data_class`
and `Field.data_class` in each source contract), and the copies they allow: which tables, and which of their
columns, each audience's copy of the warehouse holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from warehouse.catalogue import CATALOGUE_DIR, CatalogueError, catalogue

CLASSES = ("public", "aggregate", "staff", "pseudonymised", "special_category", "personal")
DATA_CLASSES_PATH = CATALOGUE_DIR / "data_classes.yaml"

# What each copy may hold. The working warehouse holds everything; the public site, open data and partner
# packs read only the BI copy's marts.disclosed_values and dimensions (outputs/publication.py).
BI = frozenset({"public", "aggregate", "staff"})
ANALYST = BI | {"pseudonymised"}


@dataclass(frozen=True)
class TableClass:
    """A table's rows' class and the columns more sensitive than that."""

    table: str
    data_class: str
    columns: dict[str, str] = field(default_factory=dict)

    def column_class(self, column: str) -> str:
        return self.columns.get(column, self.data_class)


def audience_classes(audience: str, special_category: bool = False) -> frozenset[str]:
    """The classes the copy for `audience` ("bi" or "analyst") may hold; special-category data only in the
    analyst copy, and only when the council's setting allows it."""
    if audience == "bi":
        return BI
    if audience == "analyst":
        return ANALYST | ({"special_category"} if special_category else set())
    raise ValueError(f"unknown audience {audience!r}: bi or analyst")


@cache
def table_classes(path: Path = DATA_CLASSES_PATH) -> dict[str, TableClass]:
    """Every classified table, validated: a CatalogueError names the table and the bad class."""
    classes = {}
    for table, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
        entry = entry if isinstance(entry, dict) else {"class": entry}
        declared = {"": entry.get("class"), **(entry.get("columns") or {})}
        if bad := {c: v for c, v in declared.items() if v not in CLASSES}:
            raise CatalogueError(f"{path}: {table}: class(es) {bad} are not among {list(CLASSES)}")
        classes[table] = TableClass(table, entry["class"], dict(entry.get("columns") or {}))
    return classes


def allowed_columns(table: str, columns: list[str], allowed: frozenset[str]) -> list[str]:
    """Of `table`'s `columns`, those a copy holding `allowed` classes may have; none when its rows may not go.
    An unclassified table goes nowhere (the tests require every table to be classified)."""
    declared = table_classes().get(table)
    if declared is None or declared.data_class not in allowed:
        return []
    return [c for c in columns if declared.column_class(c) in allowed]


def row_filter(columns: list[str], allowed: frozenset[str]) -> str:
    """SQL for the rows a copy may hold of a table with these columns: below the whole council, a measure the
    catalogue classes `special_category` (e.g. sickness by team) only where that class is allowed."""
    special = sorted(m.id for m in catalogue().measures.values() if m.data_class == "special_category")
    if "special_category" in allowed or not special or not {"measure_id", "area_type"} <= set(columns):
        return "true"
    ids = ", ".join(f"'{m}'" for m in special)  # catalogue ids: lower case letters, digits and _ only
    return f"NOT (area_type IS DISTINCT FROM 'district' AND measure_id IN ({ids}))"
