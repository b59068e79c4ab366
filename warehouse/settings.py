"""Configuration by environment variables, with defaults that run the bundled sample unchanged."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from warehouse import clock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DISTRICT_CODE = "E07000234"  # Bromsgrove LAD
DISTRICT_NAME = "Bromsgrove"

DEV_PSEUDONYM_KEY = "development-only-key-not-secret"
DEFAULT_MEMORY_LIMIT = "1GB"  # with Python, Dagster and GX the whole run stays under 2 GiB (see bench/speed.py)
DEFAULT_MAX_TEMP = "20GB"  # spill space for sorts and joins bigger than memory: a clear error, not a full disk


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Resolved paths and secrets for one process. Read with `load_settings()`."""

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    published_path: Path
    pseudonym_key: str
    alerts_path: Path  # audit.alerts, written by the alert sensors (not the warehouse: one writer there)
    quality_dir: Path  # GX project (stored results) and the Data Docs site
    outputs_dir: Path  # files the warehouse produces for people: return templates (later: reports, site)
    as_of: dt.date     # the day timeliness is judged against (today unless BDC_AS_OF re-runs a past night)
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT  # the pipeline's DuckDB buffer memory (BDC_DUCKDB_MEMORY_LIMIT)
    duckdb_max_temp: str = DEFAULT_MAX_TEMP  # most the pipeline may spill to <warehouse>.tmp/ (BDC_DUCKDB_MAX_TEMP)
    reports_pdf: bool = True  # render the reports' PDFs too (BDC_REPORTS_PDF=false: HTML only)

    def landing_for(self, source_name: str) -> Path:
        """The drop folder of one source: BDC_LANDING_<SOURCE> or <landing_dir>/<source>."""
        return _path(f"BDC_LANDING_{source_name.upper()}", self.landing_dir / source_name)


def load_settings() -> Settings:
    """Read the environment now (not at import time), so tests can point the pipeline elsewhere."""
    data_dir = _path("BDC_DATA_DIR", PROJECT_ROOT / "data")
    return Settings(
        data_dir=data_dir,
        landing_dir=_path("BDC_LANDING_DIR", data_dir / "landing"),
        warehouse_path=_path("BDC_WAREHOUSE_PATH", data_dir / "warehouse" / "working.duckdb"),
        published_path=_path("BDC_PUBLISHED_PATH", data_dir / "published" / "bromsgrove.duckdb"),
        pseudonym_key=os.environ.get("BDC_PSEUDONYM_KEY", DEV_PSEUDONYM_KEY),
        alerts_path=_path("BDC_ALERTS_PATH", data_dir / "warehouse" / "alerts.duckdb"),
        quality_dir=_path("BDC_QUALITY_DIR", data_dir / "quality"),
        outputs_dir=_path("BDC_OUTPUTS_DIR", data_dir / "outputs"),
        as_of=clock.as_of(),
        duckdb_memory_limit=os.environ.get("BDC_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        duckdb_max_temp=os.environ.get("BDC_DUCKDB_MAX_TEMP", DEFAULT_MAX_TEMP),
        reports_pdf=os.environ.get("BDC_REPORTS_PDF", "true").strip().lower() not in ("false", "0", "no"),
    )

