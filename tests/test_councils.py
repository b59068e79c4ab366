"""A council is configuration: councils/<id>.yaml (warehouse/council.py)."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from outputs.partner_packs import load_agreements
from outputs.publication import open_published
from pipelines.alerts import policy_team, recipients
from sources import check_council_thresholds
from sources.sample.geography import Geography
from tests.conftest import build_outputs_fixture, with_profile
from warehouse.council import UnknownCouncil, council_ids, load_council, serving
from warehouse.db import prepare
from warehouse.settings import load_settings


def test_the_bundled_councils_are_bromsgrove_by_default_and_redditch():
    assert council_ids() == ["bromsgrove", "redditch"]
    assert load_council().id == "bromsgrove"
    redditch = load_council("redditch")
    assert (redditch.lad_code, redditch.council_name, redditch.area_name) == (
        "E07000236", "Redditch Borough Council", "Redditch Borough")


def test_a_council_s_settings_keep_its_data_apart(monkeypatch):
    monkeypatch.delenv("BDC_DATA_DIR", raising=False)
    monkeypatch.delenv("BDC_PUBLISHED_PATH", raising=False)
    bromsgrove, redditch = load_settings(), load_settings(council="redditch")
    assert bromsgrove.published_path.name == "bromsgrove.duckdb"
    assert redditch.data_dir == bromsgrove.data_dir / "councils" / "redditch"
    assert redditch.published_path == redditch.data_dir / "published" / "redditch.duckdb"
    monkeypatch.setenv("BDC_COUNCIL", "redditch")
    assert load_settings().council.id == "redditch"
    with serving("bromsgrove"):  # a run configured for a council wins over the environment
        assert load_settings().council.id == "bromsgrove"


def test_an_unknown_or_malformed_council_is_refused_by_name(tmp_path, monkeypatch):
    with pytest.raises(UnknownCouncil, match="no council profile .*wyre_forest.yaml.*configured: bromsgrove, redditch"):
        load_council("wyre_forest")
    with pytest.raises(UnknownCouncil):
        load_council("../councils/bromsgrove")  # an id is a name, never a path (this one names a real file)
    profile = load_council("bromsgrove").model_dump()
    monkeypatch.setenv("BDC_COUNCILS_DIR", str(tmp_path))
    (tmp_path / "wychavon.yaml").write_text(yaml.safe_dump({**profile, "id": "wychavon", "lad_code": "E07000238",
                                                            "ward_count": 30}))
    with pytest.raises(UnknownCouncil, match=r"(?s)wychavon.yaml is not valid.*ward_count.*Extra inputs"):
        load_council("wychavon")
    sample = {**profile["sample"], "neighbours": {"E07000238": "Wychavon"}}
    (tmp_path / "wychavon.yaml").write_text(yaml.safe_dump({**profile, "id": "wychavon", "lad_code": "E07000238",
                                                            "sample": sample}))
    with pytest.raises(UnknownCouncil, match="neighbours lists the council's own LAD code E07000238"):
        load_council("wychavon")
    (tmp_path / "wyre.yaml").write_text(yaml.safe_dump({**profile, "id": "wyre_forest"}))
    with pytest.raises(UnknownCouncil, match="says id 'wyre_forest'; the file must be named wyre_forest.yaml"):
        load_council("wyre")


def test_redditch_s_sample_geography_is_its_own():
    geography = Geography(load_council("redditch"))
    wards = {w.name for w in geography.wards}
    assert len(wards) == 12 and {"Abbey", "Matchborough", "Winyates"} <= wards
    assert {w.code for w in geography.wards} == {f"E05{15600 + k:06d}" for k in range(12)}
    assert {lsoa.lad_code for lsoa in geography.lsoas} == {"E07000236"}
    assert all(lsoa.name.startswith("Redditch ") for lsoa in geography.lsoas)
    assert "E07000234" in {lsoa.lad_code for lsoa in geography.neighbour_lsoas}  # Bromsgrove's rows out of scope
    bromsgrove = Geography(load_council("bromsgrove"))
    assert not {a.uprn for a in geography.addresses} & {a.uprn for a in bromsgrove.addresses}
    assert {a.postcode.split()[0] for a in geography.addresses} == {"B97", "B98"}
    assert set(load_council("redditch").sample.leisure_sites.values()) <= wards


def test_mail_goes_to_the_council_s_own_domain(monkeypatch):
    monkeypatch.delenv("BDC_POLICY_TEAM_EMAIL", raising=False)
    with serving("redditch"):
        assert recipients("planning@bromsgrove.example, team:planning", "someone@partner.example") == [
            "planning@redditch.example", "someone@partner.example", "policy.team@redditch.example"]
        assert policy_team() == "policy.team@redditch.example"
        assert {a.agreement for a in load_agreements()} >= {
            "Redditch Community Safety Partnership information sharing agreement"}
    assert recipients("planning@bromsgrove.example") == ["planning@bromsgrove.example",
                                                         "policy.team@bromsgrove.example"]


def test_a_source_s_provider_is_named_for_the_council():
    from sources import CONTRACTS

    redditch = load_council("redditch")
    assert redditch.named(CONTRACTS["planning_applications"].provider).startswith("Redditch Borough Council")
    assert redditch.named(CONTRACTS["police_street"].provider) == "West Mercia Police via data.police.uk"
    assert load_council().named(CONTRACTS["planning_applications"].provider) == \
        CONTRACTS["planning_applications"].provider


def test_a_council_s_sql_scope_is_its_own_district():
    """Every staging model and measure scopes by these variables (e.g. sources/ons_lookup/staging.sql,
    warehouse/sql/core/dim_area.sql): a council's run must set its own."""
    for council, expected in (("redditch", ("E07000236", "Redditch", "Redditch Borough")),
                              ("bromsgrove", ("E07000234", "Bromsgrove", "Bromsgrove District"))):
        with serving(council), duckdb.connect() as con:
            prepare(con)
            assert con.execute("SELECT getvariable('district_code'), getvariable('district_name'), "
                               "getvariable('district_area_name')").fetchone() == expected


def test_a_council_s_public_threshold_withholds_what_its_profile_says(tmp_path, monkeypatch):
    published = build_outputs_fixture(tmp_path / "bromsgrove.duckdb", thresholds=(5, 20))
    north = "SELECT suppressed, value FROM suppressed_values WHERE measure_id = 'asb_incidents' AND area_code = 'north'"
    with open_published(published) as con:  # the national floor, 5: the North locality's 15 incidents are published
        assert con.execute(north).fetchall() == [(False, 15)]
    with_profile(tmp_path / "councils", monkeypatch, thresholds={"public_suppress_below": 20})
    with open_published(published) as con:  # this council publishes no count below 20: 15 is withheld
        assert con.execute(north).fetchall() == [(True, None)]


def test_a_profile_may_not_publish_below_the_national_floor_nor_name_an_unknown_source(tmp_path, monkeypatch):
    with_profile(tmp_path / "councils", monkeypatch, thresholds={"public_suppress_below": 4})
    with pytest.raises(UnknownCouncil, match="public_suppress_below\n  Input should be greater than or equal to 5"):
        load_council()
    with_profile(tmp_path / "councils", monkeypatch, thresholds={"sources": {"crm_contact": {"grace_days": 3}}})
    with pytest.raises(ValueError, match="bromsgrove.yaml: thresholds.sources names no source: crm_contact"):
        check_council_thresholds(load_council())
