"""Every measure owned and commented on (seed section 7): the commentary and sign_off checks, one verdict per
measure from marts.commentary_status. Missing commentary or sign-off is a doubt (WARN) for the Policy Team,
never a reason to hold back the data."""

from __future__ import annotations

import duckdb

from quality.outcome import Outcome, verdict
from warehouse.catalogue import Catalogue


def judge_ownership(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> list[Outcome]:
    """A commentary and a sign_off Outcome per measure, for its latest period with a value."""
    rows = con.execute("""SELECT measure_id, latest_period, has_commentary, has_sign_off, commentary_by,
                                 signed_off_by, flag
                          FROM marts.commentary_status""").fetchall()
    outcomes = []
    for measure_id, period, has_commentary, has_sign_off, by, signed_by, flag in rows:
        measure = cat.measures[measure_id]
        when = f"{period:%B %Y}" if period else "its latest period"
        missing = [f"No commentary for {when}: {measure.owner_name} to add it in the team's return."]
        outcomes.append(verdict("measure", measure_id, "commentary", measure.owner_email, title=measure.title,
                                errors=[], warnings=[] if has_commentary or period is None else missing,
                                ok=f"{when}: commented by {by}." if has_commentary else "No value yet.",
                                period=period))
        unsigned = [f"{when}: {flag}; a manager to sign off data and commentary."]
        outcomes.append(verdict("measure", measure_id, "sign_off", measure.owner_email, title=measure.title,
                                errors=[], warnings=[] if has_sign_off or period is None else unsigned,
                                ok=f"{when}: signed off by {signed_by}." if has_sign_off else "No value yet.",
                                period=period))
    return outcomes
