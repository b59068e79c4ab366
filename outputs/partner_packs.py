"""Partner data-sharing packs (seed section 9): for each agreement in warehouse/catalogue/sharing_agreements.yaml,
a dated folder of CSVs (one per measure) holding only the agreed measures, fields and geography, with the
agreed suppression, plus a manifest with each file's SHA-256 so the partner can verify what it received:

    <outputs>/partners/<partner>/<YYYY-MM-DD>/<measure_id>.csv, manifest.json, SHA256SUMS

SHA256SUMS is in the format `sha256sum -c SHA256SUMS` checks. A pack, once written, is never changed (the
partner may already have taken it): a re-run on the same day that would write different figures writes a new
version beside it, `<YYYY-MM-DD>.2/` (then `.3/`, ...), with its own manifest; one that would write the same
files writes nothing. Partner ids name folders, so they are lower case letters, digits and _ only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from outputs.open_data import VALUE_COLUMNS, write_csv
from outputs.publication import NotPublishedError, open_published, published_at
from sources.reader import file_sha256
from warehouse.catalogue import CATALOGUE_DIR, Catalogue, CatalogueError, catalogue
from warehouse.council import Council, agreements_file, load_council
from warehouse.disclosure import PUBLIC_SUPPRESS_BELOW

log = logging.getLogger(__name__)
AGREEMENTS_PATH = CATALOGUE_DIR / "sharing_agreements.yaml"
GEOGRAPHIES = ("district", "locality", "ward")  # coarse to fine
PARTNER_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class SharingAgreement:
    partner: str
    name: str
    agreement: str
    contact: str
    measures: tuple[str, ...]
    fields: tuple[str, ...]
    geography: str
    suppress_below: int

    @property
    def area_types(self) -> tuple[str, ...]:
        return GEOGRAPHIES[:GEOGRAPHIES.index(self.geography) + 1]


def disclosure_thresholds(council: Council) -> tuple[list[int], str | None]:
    """The thresholds marts.disclosed_values works out for `council`: its public one and each of its partner
    agreements'; with why the agreements were not read, when they were not (then the public one only: a partner's
    typo holds back the partner packs, not the publish)."""
    path = agreements_file(council) or AGREEMENTS_PATH
    try:
        agreed = {a.suppress_below for a in load_agreements(path)}
    except CatalogueError as exc:
        return [council.thresholds.public_suppress_below], str(exc)
    return sorted({council.thresholds.public_suppress_below, *agreed}), None


def load_agreements(path: Path | None = None, cat: Catalogue | None = None) -> list[SharingAgreement]:
    """Parse and validate the agreements (default: the run's council's, else the catalogue's); a CatalogueError
    names the file, partner and what is wrong."""
    path = path or agreements_file(load_council()) or AGREEMENTS_PATH
    cat = cat or catalogue()
    agreements = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        where = f"{path}: partner {entry.get('partner')!r}"
        try:
            agreement = SharingAgreement(
                partner=entry["partner"], name=entry["name"], agreement=entry["agreement"], contact=entry["contact"],
                measures=tuple(entry["measures"]), fields=tuple(entry["fields"]), geography=entry["geography"],
                suppress_below=int(entry["suppress_below"]))
        except KeyError as exc:
            raise CatalogueError(f"{where}: {exc.args[0]!r} is required") from exc
        if not PARTNER_ID.fullmatch(str(agreement.partner)):
            raise CatalogueError(f"{where}: the partner id names a folder: lower case letters, digits and _ only "
                                 "(at most 64)")
        if unknown := [m for m in agreement.measures if m not in cat.measures]:
            raise CatalogueError(f"{where}: unknown measure(s) {unknown}")
        if unknown := [f for f in agreement.fields if f not in VALUE_COLUMNS]:
            raise CatalogueError(f"{where}: field(s) {unknown} are not shareable; choose from {list(VALUE_COLUMNS)}")
        if agreement.geography not in GEOGRAPHIES:
            raise CatalogueError(f"{where}: geography must be one of {list(GEOGRAPHIES)}")
        if agreement.suppress_below < PUBLIC_SUPPRESS_BELOW:
            raise CatalogueError(f"{where}: suppress_below must be at least {PUBLIC_SUPPRESS_BELOW} "
                                 "(counts of 1 to 4 are always suppressed)")
        agreements.append(agreement)
    return agreements


def build_partner_packs(published_path: Path, outputs_dir: Path, day: dt.date,
                        agreements: list[SharingAgreement] | None = None,
                        cat: Catalogue | None = None) -> list[Path]:
    """Write each partner's pack for `day` (periods ended before it). Returns the manifest paths."""
    cat = cat or catalogue()
    agreements = load_agreements(cat=cat) if agreements is None else agreements
    manifests, missing = [], []
    for agreement in agreements:  # one agreement's missing pattern holds back only its own pack
        try:
            with open_published(published_path, suppress_below=agreement.suppress_below, as_of=day) as con:
                manifests.append(_write_pack(con, agreement, outputs_dir / "partners" / agreement.partner, day))
        except NotPublishedError as exc:
            log.error("%s: no pack today: %s", agreement.name, exc)
            missing.append(f"{agreement.partner}: {exc}")
    if missing:
        raise NotPublishedError(f"{len(missing)} partner pack(s) not written ({len(manifests)} written): "
                                + "; ".join(missing))
    return manifests


def pack_query(agreement: SharingAgreement, measure_id: str) -> str:
    # Identifiers come from the validated agreement (catalogue ids and VALUE_COLUMNS names), not from users.
    areas = ", ".join(f"'{a}'" for a in agreement.area_types)
    return (f"SELECT {', '.join(agreement.fields)} FROM suppressed_values WHERE measure_id = '{measure_id}' "
            f"AND area_type IN ({areas}) ORDER BY area_type, area_code, period_start")


def _write_pack(con: duckdb.DuckDBPyConnection, agreement: SharingAgreement, partner_dir: Path, day: dt.date) -> Path:
    """Write the pack as a new folder (renamed into place whole); returns its manifest, or the latest existing
    version's when the files would be the same."""
    versions = _versions(partner_dir, day)
    number = 1 + max((_version_number(p, day) for p in versions), default=0)
    partner_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=partner_dir, prefix=".building-") as scratch:
        temporary = Path(scratch) / "pack"
        temporary.mkdir()
        files = []
        measures = catalogue().measures
        for measure_id in agreement.measures:
            path = temporary / f"{measure_id}.csv"
            rows = write_csv(con, pack_query(agreement, measure_id), path)
            measure = measures[measure_id]  # what the figures mean, in the partner's hands without the site
            files.append({"file": path.name, "measure_id": measure_id, "title": measure.title,
                          "unit": measure.unit, "definition": measure.definition, "numerator": measure.numerator,
                          "denominator": measure.denominator, "frequency": measure.frequency, "rows": rows,
                          "sha256": file_sha256(path), "bytes": path.stat().st_size})
        if versions and _files_of(versions[-1]) == {(f["file"], f["sha256"]) for f in files}:
            log.info("%s: the pack for %s is unchanged (%s)", agreement.name, day, versions[-1].name)
            return versions[-1] / "manifest.json"
        manifest = {"partner": agreement.name, "agreement": agreement.agreement, "contact": agreement.contact,
                    "publisher": load_council().council_name, "prepared_on": day.isoformat(), "version": number,
                    "data_as_at": published_at(con).isoformat(timespec="seconds"),
                    "geography": agreement.geography, "fields": list(agreement.fields),
                    "suppression": f"Figures below district level resting on 1 to {agreement.suppress_below - 1} "
                                   "people, cases or records are withheld (value blank, suppressed true), with "
                                   "others where one could be worked out from a total; a figure once withheld "
                                   "stays withheld.",
                    "files": files}
        (temporary / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        (temporary / "SHA256SUMS").write_text("".join(f"{f['sha256']}  {f['file']}\n" for f in files),
                                              encoding="utf-8")
        folder = partner_dir / (day.isoformat() + (f".{number}" if number > 1 else ""))
        temporary.rename(folder)  # a new name: never over a pack already written
    log.info("%s: %d file(s) in %s", agreement.name, len(files), folder)
    return folder / "manifest.json"


def _versions(partner_dir: Path, day: dt.date) -> list[Path]:
    """The packs already written for `day`, oldest first: <day>/, <day>.2/, <day>.3/ ..."""
    found = [p for p in partner_dir.glob(f"{day.isoformat()}*")
             if _version_number(p, day) and (p / "manifest.json").exists()]
    return sorted(found, key=lambda p: _version_number(p, day))


def _version_number(folder: Path, day: dt.date) -> int:
    """1 for <day>/, n for <day>.n/, 0 for anything else."""
    match = re.fullmatch(rf"{day.isoformat()}(?:\.(\d+))?", folder.name)
    return int(match[1] or 1) if match else 0


def _files_of(folder: Path) -> set[tuple[str, str]]:
    return {(f["file"], f["sha256"]) for f in json.loads((folder / "manifest.json").read_text())["files"]}
