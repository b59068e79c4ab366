"""General ledger actuals: net spending per cost centre, account and month, as the finance system exports it.

Periods are the council's financial periods (period 1 is April). Credits (income) are negative, written
either with a minus sign or in brackets. Which cost centres deliver which service is in the catalogue's
services.yaml, maintained by Finance.
"""

from __future__ import annotations

from pathlib import Path

from sources.finance_ledger.contract import CONTRACT
from sources.sample import SampleContext, monthly_deliveries

# cost centre: (name, monthly pay, monthly supplies, monthly income)
COST_CENTRES = {
    "RB100": ("Housing Benefit Administration", 98_000, 14_000, 0),
    "RB200": ("Council Tax Collection", 71_000, 18_500, 9_000),
    "ES300": ("Refuse and Recycling Collection", 212_000, 96_000, 31_000),
    "ES310": ("Street Cleansing and Fly-tipping", 64_000, 12_000, 0),
    "PL400": ("Development Management", 88_000, 11_000, 74_000),
    "HO500": ("Housing Options and Homelessness", 41_000, 22_000, 0),
    "EH600": ("Environmental Health", 37_000, 4_800, 2_500),
    "CS010": ("Customer Service Centre", 76_000, 9_500, 0),
    "CM900": ("Corporate Management", 58_000, 21_000, 0),
}


ACCOUNTS = {"1000": "Salaries and on-costs", "2000": "Supplies and services", "9000": "Fees and charges income"}


def _money(amount: float) -> str:
    return f"({-amount:,.2f})" if amount < 0 else f"{amount:,.2f}"


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month, _index: int) -> list[tuple]:
        start_year = month.year if month.month >= 4 else month.year - 1
        year, period = f"{start_year}/{(start_year + 1) % 100:02d}", (month.month - 4) % 12 + 1
        out = []
        for code, (name, pay, supplies, income) in COST_CENTRES.items():
            for account, amount in (("1000", pay), ("2000", supplies), ("9000", -income)):
                if amount:
                    actual = round(amount * rng.uniform(0.92, 1.08), 2)
                    out.append((code, name, account, ACCOUNTS[account], year, period, _money(actual)))
        return out

    return monthly_deliveries(ctx, CONTRACT, "gl_actuals_{month:%Y-%m}.csv", rows)
