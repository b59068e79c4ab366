"""The simulated calendar: which file arrives on which day, and which fault strikes which night, from a seed.

Monthly extracts land on a working day (England's bank holidays kept) on or a little before their due day in
the month after the one they cover; a partner's file is now and then a few days late. On top of that, where
the nights allow it, one of each event: a corrected re-delivery, a file that arrives broken and is re-sent
fixed, a file that fails a blocking check and is then corrected, a partner that goes silent for two months
then catches up, and a team's return that arrives late and unsigned. Every event is resolved a week before
the last night, so the final warehouse can be compared with a rebuild from all the files.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass, field

import holidays

from sources import CONTRACTS
from warehouse.reporting_periods import add_months

FAULT_KINDS = ("sigkill", "sigkill_publish", "native_crash", "disk_full", "file_still_copying", "second_run",
               "daemon_absent")
RUN_FAULTS = ("sigkill", "sigkill_publish", "native_crash", "disk_full")  # faults of the 02:00 run itself
BROKEN_KINDS = ("truncated", "missing_column", "empty")
CORRECTABLE = ("crm_contacts", "waste_reports")  # extracts whose later re-run closes more cases
# Sources whose key must be unique across deliveries and whose monthly file has 20 rows or more even scaled
# down (`accurate` fails only such files): a file with many rows delivered twice fails `accurate`.
DUPLICABLE = ("crm_contacts", "waste_reports")
PARTNERS = tuple(c.name for c in CONTRACTS.values() if c.kind == "partner" and c.cadence.frequency == "monthly")
SILENT_CANDIDATES = ("lettings", "leisure_visits")
MONTHLY = tuple(c.name for c in CONTRACTS.values() if c.cadence.frequency == "monthly")
SETTLE_DAYS = 7  # every event is over this many days before the last night


@dataclass(frozen=True)
class Delivery:
    """One landing file arriving on `day` at `hour`: `source`'s extract for `month` (None: reference data, once).
    `variant`: normal, corrected, broken:<how>, fixed, bad, unsigned. `suffix` is added to the file's name (a
    corrected re-delivery, a re-sent file); none overwrites the file already there."""

    day: dt.date
    source: str
    month: dt.date | None
    variant: str = "normal"
    suffix: str = ""
    hour: int = 10

    def describe(self) -> str:
        what = f"{self.source} {self.month:%Y-%m}" if self.month else self.source
        variant = "" if self.variant == "normal" else self.variant
        detail = ", ".join(p for p in (variant, self.suffix) if p)
        return f"{what} ({detail})" if detail else what


@dataclass(frozen=True)
class Fault:
    night: dt.date
    kind: str


@dataclass
class Calendar:
    start: dt.date
    nights: int
    seed: int
    history_end: dt.date  # the last month of the backlog loaded on the first night
    deliveries: list[Delivery] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # the calendar's events, for the report

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(self.nights)]

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.nights - 1)

    def arriving(self, day: dt.date) -> list[Delivery]:
        return [d for d in self.deliveries if d.day == day]

    def faults_on(self, day: dt.date) -> list[str]:
        return [f.kind for f in self.faults if f.night == day]


class WorkingDays:
    """England's working days: Monday to Friday, bank holidays excepted."""

    def __init__(self, years: range) -> None:
        self.holidays = holidays.country_holidays("GB", subdiv="ENG", years=list(years))

    def is_working(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_working(day):
            day -= dt.timedelta(days=1)
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_working(day):
            day += dt.timedelta(days=1)
        return day

    def back(self, day: dt.date, working_days: int) -> dt.date:
        for _ in range(working_days):
            day = self.on_or_before(day - dt.timedelta(days=1))
        return day


def due_date(source: str, month: dt.date) -> dt.date:
    """The day `month`'s file of a monthly source is due: its contract's due day in the month after."""
    following = add_months(month, 1)
    last_day = (add_months(following, 1) - dt.timedelta(days=1)).day
    return following.replace(day=min(CONTRACTS[source].cadence.due_day or 1, last_day))


def build_calendar(start: dt.date, nights: int, seed: int, faults: tuple[str, ...] = FAULT_KINDS,
                   sources: tuple[str, ...] = MONTHLY) -> Calendar:
    """The deliveries and faults of `nights` nights from `start`, the same for the same arguments. Only the
    monthly `sources` deliver in the simulated nights (the others go silent after the backlog)."""
    rng = random.Random(seed)
    end = start + dt.timedelta(days=nights - 1)
    work = WorkingDays(range(start.year - 1, end.year + 2))
    history_end = add_months(start.replace(day=1), -2)
    calendar = Calendar(start, nights, seed, history_end)
    for source in (s for s in MONTHLY if s in sources):
        month = add_months(history_end, 1)
        while True:
            day = _delivery_day(source, month, work, rng)
            if day > end:
                break
            calendar.deliveries.append(Delivery(day, source, month))
            month = add_months(month, 1)
    _add_events(calendar, work, rng)
    _add_faults(calendar, faults, rng)
    calendar.deliveries.sort(key=lambda d: (d.day, d.hour, d.source, d.month or dt.date.min, d.suffix))
    return calendar


def _delivery_day(source: str, month: dt.date, work: WorkingDays, rng: random.Random) -> dt.date:
    due = due_date(source, month)
    if source in PARTNERS and rng.random() < 0.15:  # a partner's file now and then a few days late
        return work.on_or_after(due + dt.timedelta(days=rng.randint(2, 7)))
    return work.back(work.on_or_before(due), rng.choice([0, 0, 0, 1, 2]))


def _window(calendar: Calendar, lead: int = 3) -> tuple[dt.date, dt.date]:
    """Days on which an event may start: after the first few nights, early enough to be resolved in time."""
    return calendar.start + dt.timedelta(days=lead), calendar.end - dt.timedelta(days=SETTLE_DAYS + 6)


def _pick(calendar: Calendar, rng: random.Random, sources: tuple[str, ...], taken: set) -> Delivery | None:
    first, last = _window(calendar)
    choices = [d for d in calendar.deliveries if d.source in sources and d.variant == "normal"
               and first <= d.day <= last and (d.source, d.month) not in taken]
    if not choices:
        return None
    chosen = rng.choice(choices)
    taken.add((chosen.source, chosen.month))
    return chosen


def _replace(calendar: Calendar, old: Delivery, new: Delivery) -> None:
    calendar.deliveries[calendar.deliveries.index(old)] = new


def _add_events(calendar: Calendar, work: WorkingDays, rng: random.Random) -> None:
    taken: set = set()
    later = lambda day, low, high: work.on_or_after(day + dt.timedelta(days=rng.randint(low, high)))  # noqa: E731
    if corrected := _pick(calendar, rng, CORRECTABLE, taken):
        fix = Delivery(later(corrected.day, 2, 6), corrected.source, corrected.month, "corrected", "-corrected", 14)
        calendar.deliveries.append(fix)
        calendar.events.append({"kind": "corrected_redelivery", "first": corrected.describe(),
                                "corrected_on": str(fix.day)})
    if broken := _pick(calendar, rng, MONTHLY, taken):
        how = rng.choice(BROKEN_KINDS)
        _replace(calendar, broken, Delivery(broken.day, broken.source, broken.month, f"broken:{how}"))
        suffix = rng.choice(["", "-resent"]) if _takes_a_suffix(broken.source) else rng.choice([""])
        fix = Delivery(later(broken.day, 2, 5), broken.source, broken.month, "fixed", suffix, 11)
        calendar.deliveries.append(fix)
        calendar.events.append({"kind": "broken_then_fixed", "file": broken.describe(), "broken_on": str(broken.day),
                                "how": how, "fixed_on": str(fix.day), "fixed_as": fix.suffix or "same name"})
    if bad := _pick(calendar, rng, DUPLICABLE, taken):
        _replace(calendar, bad, Delivery(bad.day, bad.source, bad.month, "bad"))
        fix = Delivery(later(bad.day, 3, 6), bad.source, bad.month, "normal", "-corrected", 15)
        calendar.deliveries.append(fix)
        calendar.events.append({"kind": "bad_then_corrected", "file": bad.describe(), "bad_on": str(bad.day),
                                "corrected_on": str(fix.day)})
    if returns := _pick(calendar, rng, ("performance_returns",), taken):
        late = Delivery(later(returns.day, 8, 12), returns.source, returns.month, "unsigned")
        calendar.deliveries.append(late)
        calendar.events.append({"kind": "late_unsigned_return", "month": f"{returns.month:%Y-%m}",
                                "due": str(due_date(returns.source, returns.month)), "arrived": str(late.day)})
    _add_silence(calendar, rng)


def _add_silence(calendar: Calendar, rng: random.Random) -> None:
    """A partner goes silent for two months, then sends all three files on the third one's day."""
    first, last = _window(calendar)
    source = rng.choice(SILENT_CANDIDATES)
    mine = sorted((d for d in calendar.deliveries if d.source == source and d.variant == "normal"),
                  key=lambda d: d.month)
    for a, b, c in zip(mine, mine[1:], mine[2:], strict=False):
        if a.day >= first and c.day <= last:
            calendar.deliveries.remove(a)
            calendar.deliveries.remove(b)
            calendar.deliveries += [Delivery(c.day, source, a.month, hour=9), Delivery(c.day, source, b.month, hour=9)]
            calendar.events.append({"kind": "silent_then_catch_up", "source": source,
                                    "silent_from": str(a.day), "caught_up": str(c.day),
                                    "months": [f"{m:%Y-%m}" for m in (a.month, b.month, c.month)]})
            return


def _add_faults(calendar: Calendar, kinds: tuple[str, ...], rng: random.Random) -> None:
    """One night for each fault kind, all different, none on the first two or the last SETTLE_DAYS nights."""
    candidates = calendar.days[2:-SETTLE_DAYS] if calendar.nights > SETTLE_DAYS + 2 + len(kinds) else []
    nights = rng.sample(candidates, k=min(len(kinds), len(candidates)))
    calendar.faults = sorted((Fault(night, kind) for night, kind in zip(nights, kinds, strict=False)),
                             key=lambda f: f.night)


def as_dict(calendar: Calendar) -> dict:
    return {"start": str(calendar.start), "nights": calendar.nights, "seed": calendar.seed,
            "history_end": f"{calendar.history_end:%Y-%m}", "events": calendar.events,
            "faults": [{**asdict(f), "night": str(f.night)} for f in calendar.faults],
            "deliveries": len(calendar.deliveries)}


def _takes_a_suffix(source: str) -> bool:
    """Whether a re-sent file of `source` can carry a suffix (`..._2025-12-resent.csv`) and still match its
    pattern. police.uk's names end in a fixed `-west-mercia-street.csv`: a fixed file comes under the same name."""
    return CONTRACTS[source].file_glob.rsplit("*", 1)[-1].startswith(".")
