"""Disclosure control (warehouse/disclosure.py) on hand-made areas: which cells are withheld and why, worked out
by hand in the comments, and an attacker (tests/disclosure_attack.py) who must recover none of them.

Areas: district D; locality N with wards N1-N4, locality S with wards S1-S2. One month, October 2026."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.conftest import every_period_complete
from tests.disclosure_attack import recovered
from warehouse.council import Thresholds
from warehouse.disclosure import build_disclosed_values

OCTOBER = dt.date(2026, 10, 1)
NIGHT = dt.date(2026, 11, 5)
PARENTS = {"N": "D", "S": "D", "N1": "N", "N2": "N", "N3": "N", "N4": "N", "S1": "S", "S2": "S"}
UNITS = {"contacts": "count", "lettings": "count", "resolved_pct": "percent", "wait_days": "days"}
TYPES = {"D": "district", "N": "locality", "S": "locality"}


def _type(code: str) -> str:
    return TYPES.get(code, "ward")


def _warehouse(values: dict[str, dict[str, tuple]], parents: dict[str, str] = PARENTS) -> duckdb.DuckDBPyConnection:
    """values: measure -> area code -> (value, numerator, denominator[, observations]); an area left out had no
    records. Observations default to the denominator, or the value of a count. `parents`: the areas below D."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE SCHEMA marts")
    con.execute("CREATE TABLE core.dim_area (area_type VARCHAR, area_code VARCHAR, area_name VARCHAR, "
                "parent_code VARCHAR)")
    con.execute("INSERT INTO core.dim_area VALUES ('district', 'D', 'D', NULL)")
    for code, parent in parents.items():
        con.execute("INSERT INTO core.dim_area VALUES (?, ?, ?, ?)", [_type(code), code, code, parent])
    con.execute("CREATE TABLE core.dim_measure (measure_id VARCHAR, title VARCHAR, unit VARCHAR, is_public BOOLEAN)")
    con.executemany("INSERT INTO core.dim_measure VALUES (?, ?, ?, true)", [[m, m, u] for m, u in UNITS.items()])
    con.execute("CREATE TABLE marts.measure_values (measure_id VARCHAR, period_start DATE, period_end DATE, "
                "area_type VARCHAR, area_code VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE, "
                "observations BIGINT)")
    for measure, areas in values.items():
        for code, (value, numerator, denominator, *observed) in areas.items():
            observations = observed[0] if observed else denominator if denominator is not None else value
            con.execute("INSERT INTO marts.measure_values VALUES (?, ?, last_day(?::DATE), ?, ?, ?, ?, ?, ?)",
                        [measure, OCTOBER, OCTOBER, _type(code), code, value, numerator, denominator,
                         observations])
    every_period_complete(con)
    return con


def _withheld(con: duckdb.DuckDBPyConnection, measure: str, below: int = 5) -> dict[str, str]:
    return dict(con.execute("SELECT area_code, suppression_reason FROM marts.disclosed_values WHERE suppressed "
                            "AND measure_id = ? AND suppress_below = ?", [measure, below]).fetchall())


def _release(con: duckdb.DuckDBPyConnection, below: int = 5) -> list[dict]:
    rows = con.execute("SELECT measure_id, period_start, area_type, area_code, value, numerator, denominator, "
                       "suppressed FROM marts.disclosed_values WHERE suppress_below = ?", [below]).fetchall()
    names = ("measure_id", "period_start", "area_type", "area_code", "value", "numerator", "denominator",
             "suppressed")
    return [dict(zip(names, row, strict=True)) for row in rows]


def _truth(values: dict[str, dict[str, tuple]]) -> dict:
    """The true figures of every cell, with the areas that had no records as zeros (the hand data, not the code)."""
    truth = {}
    for measure, areas in values.items():
        for code in ("D", *PARENTS):
            value, numerator, denominator = areas.get(code, (0, 0, 0) if UNITS[measure] == "percent" else (0, 0, None))
            truth[(measure, OCTOBER.isoformat(), _type(code), code)] = {
                "value": value, "numerator": numerator, "denominator": denominator}
    return truth


# Contacts: N1 3, N2 none, N3 8, N4 20 (N 31); S1 6, S2 9 (S 15); D 46.
CONTACTS = {"D": (46, 46, None), "N": (31, 31, None), "S": (15, 15, None), "N1": (3, 3, None),
            "N3": (8, 8, None), "N4": (20, 20, None), "S1": (6, 6, None), "S2": (9, 9, None)}


def test_a_lone_small_count_gets_the_smallest_non_zero_partner_never_a_zero():
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5], NIGHT)
    # N1's 3 is withheld; N's 31 less the other wards would give it, so one more ward of N is withheld: not
    # N2 (no records: withholding a zero hides nothing), but N3's 8, the smallest non-zero. S and D are whole.
    assert _withheld(con, "contacts") == {"N1": "a count of 1 to 4",
                                          "N3": "secondary: another area of the same total is withheld"}
    # N2 had no records: its row is there, a shown zero.
    assert con.execute("SELECT value, suppressed, no_records FROM marts.disclosed_values WHERE area_code = 'N2'"
                       ).fetchall() == [(0.0, False, True)]
    assert recovered([(_truth({"contacts": CONTACTS}), [_release(con)])], UNITS, PARENTS) == []


def test_a_count_published_as_its_value_alone_is_protected_the_same_way():
    # The same contacts with no numerator (a count's value is its count): N1 withheld and N3 its partner, as above.
    values_only = {code: (value, None, None) for code, (value, _, _) in CONTACTS.items()}
    con = _warehouse({"contacts": values_only})
    build_disclosed_values(con, [5], NIGHT)
    assert _withheld(con, "contacts") == {"N1": "a count of 1 to 4",
                                          "N3": "secondary: another area of the same total is withheld"}


def test_a_rate_s_partner_has_every_count_non_zero_even_when_a_smaller_one_has_a_zero():
    # N1's 3 of 9 is withheld (a numerator of 1 to 4). Its partner in N: not N3 (0 of 12: the smallest total, but
    # its zero numerator would still be known), N4's 10 of 20, every count non-zero. No other cell is small: no
    # complement of 1 to 4, no 0 % or 100 % of fewer than 10. N 13 of 41; S 13 of 26 (6 of 12, 7 of 14); D 26 of 67.
    rates = {"D": (38.8, 26, 67), "N": (31.7, 13, 41), "S": (50.0, 13, 26), "N1": (33.3, 3, 9),
             "N3": (0.0, 0, 12), "N4": (50.0, 10, 20), "S1": (50.0, 6, 12), "S2": (50.0, 7, 14)}
    con = _warehouse({"resolved_pct": rates})
    build_disclosed_values(con, [5], NIGHT)
    assert _withheld(con, "resolved_pct") == {"N1": "a numerator of 1 to 4",
                                              "N4": "secondary: another area of the same total is withheld"}
    assert recovered([(_truth({"resolved_pct": rates}), [_release(con)])], UNITS, PARENTS) == []


def test_a_district_s_only_area_is_withheld_alone_the_district_always_shown():
    # One locality N (one ward N1) makes up the whole district: N's 3 is withheld, and nothing can hide it by
    # subtraction from D's 3, but the district is never withheld.
    con = _warehouse({"contacts": {"D": (3, 3, None), "N": (3, 3, None), "N1": (3, 3, None)}},
                     parents={"N": "D", "N1": "N"})
    build_disclosed_values(con, [5], NIGHT)
    assert _withheld(con, "contacts") == {"N": "a count of 1 to 4", "N1": "a count of 1 to 4"}


def test_the_small_count_boundary_is_1_to_4_and_a_median_on_1_to_4_records_is_withheld():
    # Contacts: N1 1 and N2 4 are the two ends of 1 to 4 (withheld, and a pair, so no partner); N3's 5 and N4's 0
    # are shown. S1 6, S2 30. At a partner's threshold of 10, N3's 5 is withheld too.
    contacts = {"D": (46, 46, None), "N": (10, 10, None), "S": (36, 36, None), "N1": (1, 1, None),
                "N2": (4, 4, None), "N3": (5, 5, None), "S1": (6, 6, None), "S2": (30, 30, None)}
    # Waiting days (a median): S1's 40 days rests on 3 records, S2's 12 on 5; N1's on 4, N2's on 6.
    waits = {"D": (15, None, None, 18), "N": (14, None, None, 10), "S": (16, None, None, 8),
             "N1": (9, None, None, 4), "N2": (20, None, None, 6), "S1": (40, None, None, 3), "S2": (12, None, None, 5)}
    con = _warehouse({"contacts": contacts, "wait_days": waits})
    public = Thresholds().public_suppress_below  # what the site and open data use unless a council sets more
    build_disclosed_values(con, [public, 10], NIGHT)
    assert public == 5
    assert _withheld(con, "contacts") == {"N1": "a count of 1 to 4", "N2": "a count of 1 to 4"}
    assert _withheld(con, "contacts", 10)["N3"] == "a count of 1 to 9"
    assert _withheld(con, "wait_days") == {"N1": "rests on 1 to 4 records", "S1": "rests on 1 to 4 records"}


def test_a_small_count_with_only_zeros_beside_it_withholds_its_locality_and_a_partner_locality():
    # Lettings: S1 3 and S2 none, but S is 7 (4 lettings with no ward); N1 10, N2 12 (N 22); D 29.
    lettings = {"D": (29, 29, None), "N": (22, 22, None), "S": (7, 7, None), "N1": (10, 10, None),
                "N2": (12, 12, None), "S1": (3, 3, None)}
    con = _warehouse({"lettings": lettings})
    build_disclosed_values(con, [5], NIGHT)
    # S1's 3 has no non-zero sibling to pair with, so S itself is withheld; the district's 29 less N would give S,
    # so N is withheld too; N's wards would add up to N, so its smallest, N1's 10, is withheld.
    assert _withheld(con, "lettings") == {
        "S1": "a count of 1 to 4", "S": "secondary: its one withheld area has no other to pair with",
        "N": "secondary: another area of the same total is withheld",
        "N1": "secondary: its total is withheld and its areas would add up to it"}
    assert recovered([(_truth({"lettings": lettings}), [_release(con)])], UNITS, PARENTS) == []


# Resolved at first contact, a percentage of contacts (its denominator is the contacts count):
# N1 1 of 3; N3 4 of 8; N4 17 of 20 (3 not resolved); S1 6 of 6 (100 %); S2 2 of 9. N 22 of 31, S 8 of 15.
RESOLVED = {"D": (30 / 46 * 100, 30, 46), "N": (22 / 31 * 100, 22, 31), "S": (8 / 15 * 100, 8, 15),
            "N1": (100 / 3, 1, 3), "N3": (50, 4, 8), "N4": (85, 17, 20), "S1": (100, 6, 6), "S2": (200 / 9, 2, 9)}


def test_a_small_district_with_only_zeros_beside_it_withholds_a_zero():
    # Lettings: 3 in the whole district, all in S1. S1 and S (3 each) are withheld; the district's 3 less N would
    # give S, and N is a zero with only zeros in it: N is withheld (withheld, a zero is no longer known to be one),
    # and then one of its wards (N1), or N's zero wards would give N away.
    lettings = {"D": (3, 3, None), "S": (3, 3, None), "S1": (3, 3, None)}
    con = _warehouse({"lettings": lettings})
    build_disclosed_values(con, [5], NIGHT)
    assert _withheld(con, "lettings") == {
        "S1": "a count of 1 to 4", "S": "a count of 1 to 4",
        "N": "secondary: another area of the same total is withheld",
        "N1": "secondary: its total is withheld and its areas would add up to it"}
    assert recovered([(_truth({"lettings": lettings}), [_release(con)])], UNITS, PARENTS) == []


def test_complements_whole_groups_and_shared_counts_are_withheld():
    con = _warehouse({"contacts": CONTACTS, "resolved_pct": RESOLVED})
    build_disclosed_values(con, [5], NIGHT)
    # N1: 1 of 3 and N3: 4 of 8 (small numerators); N4: 17 of 20 leaves 3 not resolved (a small complement);
    # S1: 100 % of 6 (fewer than 10: everyone in a small group); S2: 2 of 9 (small numerator). Each locality has
    # two or more withheld, so no partner is needed.
    assert _withheld(con, "resolved_pct") == {
        "N1": "a numerator of 1 to 4", "N3": "a numerator of 1 to 4",
        "N4": "the rest of the group (denominator - numerator) is 1 to 4",
        "S1": "0 % or 100 % of fewer than 10", "S2": "a numerator of 1 to 4"}
    # The contacts count is resolved_pct's denominator, published in both: N3, N4, S1 and S2 are withheld in
    # contacts too (or resolved_pct's withheld denominators would be read off contacts).
    shared = "shares a count with resolved_pct, withheld there"
    assert _withheld(con, "contacts") == {"N1": "a count of 1 to 4", "N3": shared, "N4": shared, "S1": shared,
                                          "S2": shared}
    truth = _truth({"contacts": CONTACTS, "resolved_pct": RESOLVED})
    assert recovered([(truth, [_release(con)])], UNITS, PARENTS) == []


def test_a_higher_threshold_withholds_everything_a_lower_one_does():
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5, 10], NIGHT)
    public, partner = _withheld(con, "contacts", 5), _withheld(con, "contacts", 10)
    # Below 10: N1 3, N3 8, S1 6 and S2 9 on their own account; so all of S, and N1 and N3 in N.
    assert set(partner) == {"N1", "N3", "S1", "S2"} and set(public) <= set(partner)
    truth = _truth({"contacts": CONTACTS})
    assert recovered([(truth, [_release(con, 5), _release(con, 10)])], UNITS, PARENTS) == []


def test_an_agreement_added_later_withholds_what_the_public_site_already_withholds():
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5], NIGHT)  # the site withholds N1 and its partner N3 (8)
    con.execute("UPDATE marts.measure_values SET value = value + 17, numerator = numerator + 17, "
                "observations = observations + 17 "
                "WHERE area_code IN ('N3', 'N', 'D')")  # N3 grows to 25 (N 48, D 63)
    build_disclosed_values(con, [5, 10], NIGHT + dt.timedelta(days=1))  # a partner at 10 from tonight
    # Afresh, the partner's pattern would be N1 with N4 (20, now the smallest non-zero) as its partner, showing
    # N3's 25 beside the site's withheld N3: N1 would be 48 - 0 - 25 - 20 = 3. It takes the site's N1 and N3.
    assert set(_withheld(con, "contacts", 10)) == {"N1", "N3", "S1", "S2"}


def _shown(con: duckdb.DuckDBPyConnection, below: int = 5) -> dict[str, float | None]:
    return dict(con.execute("SELECT area_code, value FROM marts.disclosed_values WHERE measure_id = 'contacts' "
                            "AND suppress_below = ?", [below]).fetchall())


def test_a_month_once_released_keeps_its_figures_below_the_district():
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5], NIGHT)
    first = _release(con)
    # The next night a late delivery adds 17 contacts to N3 (25; N 48, D 63). Were the pattern worked out
    # afresh, N3 would be shown and N4's 20 withheld instead: night one's 20 for N4 would then give N1 as
    # 48 - 0 - 25 - 20 = 3. Frozen, N3 stays withheld, and N1 with it; below the district the month shows what
    # it showed first (N 31), and the correction shows in the district's 63 only.
    con.execute("UPDATE marts.measure_values SET value = value + 17, numerator = numerator + 17, "
                "observations = observations + 17 "
                "WHERE area_code IN ('N3', 'N', 'D')")
    build_disclosed_values(con, [5], NIGHT + dt.timedelta(days=1))
    assert _withheld(con, "contacts") == {"N1": "a count of 1 to 4",
                                          "N3": f"withheld since it was first published on {NIGHT}"}
    assert _shown(con) == {"D": 63, "N": 31, "S": 15, "N1": None, "N2": 0, "N3": None, "N4": 20, "S1": 6, "S2": 9}
    as_released = {**_truth({"contacts": CONTACTS}),
                   ("contacts", OCTOBER.isoformat(), "district", "D"): {"value": 63, "numerator": 63,
                                                                        "denominator": None}}
    nights = [(_truth({"contacts": CONTACTS}), [first]), (as_released, [_release(con)])]
    assert recovered(nights, UNITS, PARENTS) == []


def test_a_figure_corrected_to_a_small_count_after_release_is_not_given_away():
    # N1 had 5 contacts when October was first released (shown). A correction removes one: 4. Worked out afresh,
    # N1 would be withheld with a partner (N3's 8), but night one showed N3's 8, and N is now 47 - 15 = 32 (S
    # unchanged), so N1 = 32 - 0 - 8 - 20 = 4. Below the district the month keeps its first figures; the
    # district shows the correction (47).
    five = {**CONTACTS, "N1": (5, 5, None), "N": (33, 33, None), "D": (48, 48, None)}
    con = _warehouse({"contacts": five})
    build_disclosed_values(con, [5], NIGHT)
    assert _withheld(con, "contacts") == {}
    con.execute("UPDATE marts.measure_values SET value = value - 1, numerator = numerator - 1, "
                "observations = observations - 1 WHERE area_code IN ('N1', 'N', 'D')")
    build_disclosed_values(con, [5], NIGHT + dt.timedelta(days=1))
    assert _shown(con) == {"D": 47, "N": 33, "S": 15, "N1": 5, "N2": 0, "N3": 8, "N4": 20, "S1": 6, "S2": 9}


def test_a_threshold_added_after_a_correction_is_worked_out_from_the_first_release():
    # Night 1 releases October at 5 with N1's 5 shown (N 33, D 48). Night 2 a correction makes N1 4 (N 32,
    # D 47), and a partner at 10 starts. Worked out from tonight's figures, the partner's pack would show N 32
    # beside the site's frozen 33, and with the other wards unchanged N1 would be 4. From the first release, it
    # shows N 33 and withholds N1 (5), N3 (8), S1 (6) and S2 (9): below 10.
    five = {**CONTACTS, "N1": (5, 5, None), "N": (33, 33, None), "D": (48, 48, None)}
    con = _warehouse({"contacts": five})
    build_disclosed_values(con, [5], NIGHT)
    first = _release(con)
    con.execute("UPDATE marts.measure_values SET value = value - 1, numerator = numerator - 1, "
                "observations = observations - 1 WHERE area_code IN ('N1', 'N', 'D')")
    build_disclosed_values(con, [5, 10], NIGHT + dt.timedelta(days=1))
    assert _shown(con, 10) == {"D": 47, "N": 33, "S": 15, "N1": None, "N2": 0, "N3": None, "N4": 20, "S1": None,
                               "S2": None}
    as_released = {**_truth({"contacts": five}),
                   ("contacts", OCTOBER.isoformat(), "district", "D"): {"value": 47, "numerator": 47,
                                                                        "denominator": None}}
    nights = [(_truth({"contacts": five}), [first]), (as_released, [_release(con, 5), _release(con, 10)])]
    assert recovered(nights, UNITS, PARENTS) == []


def test_an_area_added_after_a_month_was_released_is_withheld_in_it():
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5], NIGHT)
    # A boundary review adds ward N5 (7 contacts in October, moved from N4): October's release had no N5.
    con.execute("INSERT INTO core.dim_area VALUES ('ward', 'N5', 'N5', 'N')")
    con.execute("UPDATE marts.measure_values SET value = 13, numerator = 13, observations = 13 WHERE area_code = 'N4'")
    con.execute("INSERT INTO marts.measure_values VALUES ('contacts', ?, last_day(?::DATE), 'ward', 'N5', 7, 7, "
                "NULL, 7)", [OCTOBER, OCTOBER])
    build_disclosed_values(con, [5], NIGHT + dt.timedelta(days=1))
    assert _withheld(con, "contacts")["N5"] == "added after the month was first released"
    assert _shown(con)["N4"] == 20  # as first released


def test_the_attacker_recovers_a_figure_the_rules_would_reveal():
    """The attacker is real: with the partner rule undone (N1 alone withheld), it finds N1's 3."""
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5], NIGHT)
    release = [{**row, "suppressed": row["area_code"] == "N1",
                "value": None if row["area_code"] == "N1" else CONTACTS.get(row["area_code"], (0,))[0]}
               for row in _release(con)]
    found = recovered([(_truth({"contacts": CONTACTS}), [release])], UNITS, PARENTS)
    assert found == ["night 0 contacts 2026-10-01 ward N1 value in [3.00, 3.00] (true 3)"]


def test_thresholds_below_five_are_refused():
    con = _warehouse({"contacts": CONTACTS})
    with pytest.raises(ValueError, match="at least 5"):
        build_disclosed_values(con, [3], NIGHT)


def test_an_earlier_build_s_per_threshold_releases_table_is_replaced() -> None:
    # An earlier build kept audit.disclosure_releases per threshold (a suppress_below column): it is dropped
    # and made again in today's form, and this month's figures are recorded as released.
    con = _warehouse({"contacts": CONTACTS})
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE audit.disclosure_releases (suppress_below INTEGER, measure_id VARCHAR)")
    con.execute("INSERT INTO audit.disclosure_releases VALUES (5, 'contacts')")
    build_disclosed_values(con, [5], NIGHT)
    columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                         "'audit' AND table_name = 'disclosure_releases'").fetchall()]
    assert "suppress_below" not in columns and "first_released_as_of" in columns
    assert con.execute("SELECT count(*), min(first_released_as_of) FROM audit.disclosure_releases").fetchone() == (
        8, NIGHT)  # every area below the district: N, S and their six wards (N2's shown zero too)


def test_the_threshold_column_keeps_its_type_for_the_tools_that_read_it() -> None:
    con = _warehouse({"contacts": CONTACTS})
    build_disclosed_values(con, [5, 10], NIGHT)
    assert con.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'marts' AND "
                       "table_name = 'disclosed_values' AND column_name = 'suppress_below'").fetchall() == [
        ("INTEGER",)]
    assert con.execute("SELECT DISTINCT suppress_below FROM marts.disclosed_values ORDER BY 1").fetchall() == [
        (5,), (10,)]
