"""An attacker for the disclosure tests: given every release of a period (all nights, the site's open data and
every partner pack), work out each withheld count as tightly as linear programming allows.

What the attacker knows: every figure shown in any release; that areas add up to their parent (wards to their
locality, localities to the district) wherever the true figures do; that two measures publishing the same count
(equal in every true cell) are one count; that counts are not negative and a percentage's numerator is at most
its denominator. Across nights the attacker is given more than a real one would have: which cells did not change
from one night to the next (their true figures are equal), so a figure shown on one night is used on every night
it was the same. For each withheld count the attacker solves min and max (scipy's HiGHS); a count pinned to an
interval narrower than 1 is recovered. A figure shown that night in another release (a partner's higher threshold
withholds figures the public site shows) or shown on an earlier night is public already, not a secret. The
constraints only link cells of one month, so each month (and each connected group within it) is solved on its
own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scipy.optimize import linprog

QUANTITIES = ("value", "numerator", "denominator")
Cell = tuple[str, str, str, str]  # measure_id, period_start (ISO), area_type, area_code


def _number(text) -> float | None:
    return None if text in (None, "") else float(text)


def recovered(nights: list[tuple[dict[Cell, dict[str, float | None]], list[list[dict]]]], units: dict[str, str],
              parents: dict[str, str]) -> list[str]:
    """Every withheld count the attacker pins down, as 'night measure period area quantity in [low, high]'.
    `nights`: per night, the true figures per cell and that night's releases, each a list of published rows
    (dicts with measure_id, period_start, area_type, area_code, suppressed and whichever of value / numerator /
    denominator the release carries, blank when withheld). `units`: measure -> unit; `parents`: area -> parent."""
    shown: dict[tuple, float] = {}
    withheld: set[tuple] = set()
    for night, (truth, releases) in enumerate(nights):
        for row in (row for release in releases for row in release):
            cell = (row["measure_id"], str(row["period_start"]), row["area_type"], row["area_code"])
            if cell not in truth:
                raise KeyError(f"night {night}: a published row with no true figures: {cell}")
            for quantity in (q for q in _additive(cell, units, truth) if q in row):
                if str(row.get("suppressed")).lower() == "true":
                    withheld.add((night, cell, quantity))
                elif (number := _number(row[quantity])) is not None:
                    shown[(night, cell, quantity)] = number
    pairs = _shared_pairs(nights[-1][0], units)
    found = []
    for period in sorted({v[1][1] for v in withheld}):
        found += _attack_period(period, nights, units, parents, pairs, shown, withheld)
    return found


def _additive(cell: Cell, units: dict[str, str], truth: dict) -> list[str]:
    figures = truth.get(cell, {})
    names = ["value"] if units[cell[0]] == "count" else []
    return names + [q for q in ("numerator", "denominator") if figures.get(q) is not None]


def _attack_period(period, nights, units, parents, pairs, shown, withheld) -> list[str]:
    # One variable per (night, cell, quantity), merged across nights where the figure did not change and for
    # counts two measures share; known when shown on any night it stands for.
    root: dict = {}

    def find(x):
        while root.setdefault(x, x) != x:
            x = root[x]
        return x

    def union(a, b):
        root[find(a)] = find(b)

    first_seen: dict = {}
    for night, (truth, _) in enumerate(nights):
        cells = [c for c in truth if c[1] == period]
        variables = {(c, q) for c in cells for q in _additive(c, units, truth)}
        for cell, quantity in variables:
            find((night, cell, quantity))
            earlier = first_seen.setdefault((cell, quantity, truth[cell][quantity]), night)
            if earlier != night:
                union((night, cell, quantity), (earlier, cell, quantity))
            for other_measure, other_quantity in pairs.get((cell[0], quantity), ()):
                if ((twin := (other_measure, *cell[1:])), other_quantity) in variables:
                    union((night, cell, quantity), (night, twin, other_quantity))
    known = {find(v): number for v, number in shown.items() if v[1][1] == period}
    equations: list[tuple[dict, float]] = []  # sum(coefficient * variable) == constant, over unknowns only
    inequalities: list[tuple[dict, float]] = []  # sum(...) <= constant

    def linear(terms: Iterable[tuple[float, tuple]]) -> tuple[dict, float]:
        coefficients: dict = defaultdict(float)
        constant = 0.0
        for coefficient, variable in terms:
            variable = find(variable)
            if variable in known:
                constant -= coefficient * known[variable]
            else:
                coefficients[variable] += coefficient
        return {k: v for k, v in coefficients.items() if v}, constant

    for night, (truth, _) in enumerate(nights):
        cells = [c for c in truth if c[1] == period]
        families: dict[Cell, list[Cell]] = defaultdict(list)
        for cell in cells:
            if (parent := _nearest(cell, parents, truth)) is not None:
                families[parent].append(cell)
        for parent, children in families.items():
            for quantity in _additive(parent, units, truth):
                members = [c for c in children if quantity in _additive(c, units, truth)]
                exact = abs(sum(truth[c][quantity] or 0 for c in members) - (truth[parent][quantity] or 0)) < 1e-9
                coefficients, constant = linear([(1.0, (night, parent, quantity)),
                                                 *((-1.0, (night, c, quantity)) for c in members)])
                if coefficients and exact:  # parent - sum(children) == 0
                    equations.append((coefficients, constant))
                elif coefficients:  # records with no area: sum(children) - parent <= 0
                    inequalities.append(({k: -v for k, v in coefficients.items()}, -constant))
        for cell in cells:
            if units[cell[0]] == "percent" and "numerator" in _additive(cell, units, truth):
                coefficients, constant = linear([(1.0, (night, cell, "numerator")),
                                                 (-1.0, (night, cell, "denominator"))])
                if coefficients:
                    inequalities.append((coefficients, constant))
    touching: dict = defaultdict(list)  # variable -> the constraints it appears in
    for constraint in (*equations, *inequalities):
        for variable in constraint[0]:
            touching[variable].append(constraint)
    found = []
    for night, cell, quantity in sorted(v for v in withheld if v[1][1] == period):
        target = find((night, cell, quantity))
        if any((earlier, cell, quantity) in shown and find((earlier, cell, quantity)) == target
               for earlier in range(night + 1)):
            continue  # already public: shown that night in another release (a lower threshold) or before
        if target in known:
            low = high = known[target]
        elif not touching[target]:
            continue  # in no constraint at all: anything from 0 up
        else:
            low, high = _bounds(target, equations, inequalities, touching)
        if high - low < 1:
            true = nights[night][0][cell][quantity]
            found.append(f"night {night} {' '.join(cell)} {quantity} in [{low:.2f}, {high:.2f}] (true {true})")
    # A withheld percentage's complement (denominator - numerator, those not counted) must not be pinned either.
    for night, cell, _ in sorted(v for v in withheld if v[1][1] == period and v[2] == "numerator"):
        if units[cell[0]] != "percent" or (night, cell, "denominator") not in withheld:
            continue
        numerator, denominator = find((night, cell, "numerator")), find((night, cell, "denominator"))
        if numerator in known or denominator in known or not touching[numerator]:
            continue  # a known part is caught above; one in no constraint is free
        low, high = _bounds({denominator: 1.0, numerator: -1.0}, equations, inequalities, touching)
        if high - low < 1:
            found.append(f"night {night} {' '.join(cell)} complement in [{low:.2f}, {high:.2f}]")
    return found


def _shared_pairs(truth, units) -> dict:
    """(measure, quantity) pairs equal in every true cell below the district: the same count."""
    series: dict[tuple[str, str], dict] = defaultdict(dict)
    for cell, figures in truth.items():
        if cell[2] != "district":
            for quantity in _additive(cell, units, truth):
                series[(cell[0], quantity)][cell[1:]] = figures[quantity]
    pairs: dict = defaultdict(list)
    names = sorted(series)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if first[0] == second[0]:
                continue
            common = series[first].keys() & series[second].keys()
            if common and sum(1 for k in common if series[first][k]) >= 3 and all(
                    series[first][k] == series[second][k] for k in common):
                pairs[first].append(second)
                pairs[second].append(first)
    return pairs


def _nearest(cell: Cell, parents: dict[str, str], truth: dict) -> Cell | None:
    code = parents.get(cell[3])
    while code is not None:
        for area_type in ("locality", "district", "ward"):
            if (candidate := (cell[0], cell[1], area_type, code)) in truth:
                return candidate
        code = parents.get(code)
    return None


def _bounds(target, equations, inequalities, touching) -> tuple[float, float]:
    """min and max of `target` (a variable, or {variable: coefficient}) over the constraints connected to it.
    An unbounded maximum is infinity; any other solver failure is an error, never a silent "safe"."""
    objective_terms = target if isinstance(target, dict) else {target: 1.0}
    component, frontier = set(objective_terms), list(objective_terms)
    while frontier:
        for coefficients, _ in touching[frontier.pop()]:
            new = set(coefficients) - component
            component |= new
            frontier += new
    order = sorted(component, key=str)
    index = {v: i for i, v in enumerate(order)}

    def matrix(rows):
        rows = [r for r in rows if set(r[0]) & component]
        if not rows:
            return None, None
        a = [[0.0] * len(order) for _ in rows]
        for i, (coefficients, _) in enumerate(rows):
            for variable, coefficient in coefficients.items():
                a[i][index[variable]] = coefficient
        return a, [constant for _, constant in rows]

    a_eq, b_eq = matrix(equations)
    a_ub, b_ub = matrix(inequalities)
    bounds = []
    for sign in (1.0, -1.0):
        objective = [0.0] * len(order)
        for variable, coefficient in objective_terms.items():
            objective[index[variable]] = sign * coefficient
        result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if result.status == 3:  # unbounded
            bounds.append(float("-inf") if sign > 0 else float("inf"))
        elif result.status == 0:
            bounds.append(sign * result.fun)
        else:
            raise RuntimeError(f"the attacker's linear programme failed ({result.message}) for {target}")
    return bounds[0], bounds[1]
