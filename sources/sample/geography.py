"""Bromsgrove's geography for the bundled sample.

Ward names and localities follow Bromsgrove District's 31 wards; the LAD code E07000234 is real.
Ward, LSOA and UPRN codes are plausible SAMPLE codes, not the official ones (see the README).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from warehouse.settings import DISTRICT_CODE, DISTRICT_NAME

LOCALITIES: dict[str, list[str]] = {
    "Bromsgrove Town": [
        "Aston Fields", "Avoncroft", "Bromsgrove Central", "Charford", "Hill Top", "Lowes Hill", "Norton",
        "Perryfields", "Rock Hill", "Sanders Park", "Sidemoor", "Slideslow", "Whitford",
    ],
    "North West": ["Belbroughton & Romsley", "Catshill North", "Catshill South", "Hagley East", "Hagley West",
                   "Marlbrook"],
    "North East": ["Drakes Cross", "Hollywood", "Wythall East", "Wythall West"],
    "Lickey & Rubery": ["Barnt Green & Hopwood", "Cofton", "Lickey Hills", "Rubery North", "Rubery South"],
    "Alvechurch & Tardebigge": ["Alvechurch South", "Alvechurch Village", "Tardebigge"],
}

# Neighbouring districts, whose rows appear in county-wide and force-wide files (out of scope here).
NEIGHBOURS = {"E07000236": "Redditch", "E07000239": "Wyre Forest", "E07000238": "Wychavon"}


@dataclass(frozen=True)
class Ward:
    code: str
    name: str
    locality: str
    population: int


@dataclass(frozen=True)
class Lsoa:
    code: str
    name: str
    ward: Ward | None  # None: an LSOA of a neighbouring district
    lad_code: str
    lad_name: str
    population: int


@dataclass(frozen=True)
class Address:
    uprn: int
    line: str
    postcode: str
    lsoa: Lsoa


STREETS = ["Church Road", "Station Road", "The Green", "Birmingham Road", "Stourbridge Road", "Worcester Road",
           "Kidderminster Road", "New Road", "Hanbury Road", "Alcester Road", "Redditch Road", "Lickey Road",
           "Meadow Close", "Oak Tree Lane", "Willow Way", "Hawthorn Drive", "Park Road", "Mill Lane"]


class Geography:
    """Deterministic wards, LSOAs and addresses; the same for every run of the generator."""

    def __init__(self, seed: int = 2016) -> None:
        rng = random.Random(seed)
        self.wards: list[Ward] = []
        for locality, names in LOCALITIES.items():
            for name in names:
                self.wards.append(Ward("", name, locality, rng.randint(2600, 3900)))
        self.wards.sort(key=lambda w: w.name)
        self.wards = [Ward(f"E05015{400 + i:03d}", w.name, w.locality, w.population)
                      for i, w in enumerate(self.wards)]
        self.lsoas: list[Lsoa] = []
        for ward in self.wards:
            split = rng.randint(40, 60) / 100
            for _share in (split, 1 - split):
                n = len(self.lsoas)
                self.lsoas.append(Lsoa(f"E01032{110 + n:03d}", f"{DISTRICT_NAME} {n // 4 + 1:03d}{'ABCD'[n % 4]}",
                                       ward, DISTRICT_CODE, DISTRICT_NAME, 0))
        # share ward population across its two LSOAs
        fixed = []
        for i in range(0, len(self.lsoas), 2):
            a, b = self.lsoas[i], self.lsoas[i + 1]
            pop = a.ward.population
            pa = int(pop * rng.uniform(0.4, 0.6))
            fixed += [Lsoa(a.code, a.name, a.ward, a.lad_code, a.lad_name, pa),
                      Lsoa(b.code, b.name, b.ward, b.lad_code, b.lad_name, pop - pa)]
        self.lsoas = fixed
        self.neighbour_lsoas: list[Lsoa] = []
        for k, (lad, name) in enumerate(NEIGHBOURS.items()):
            for j in range(4):
                self.neighbour_lsoas.append(Lsoa(f"E01033{k * 10 + j + 500:03d}", f"{name} {j + 1:03d}A", None,
                                                 lad, name, rng.randint(1400, 1900)))
        self.addresses: list[Address] = []
        for lsoa in self.lsoas:
            for k in range(lsoa.population // 40):  # ~1 sampled address per 40 residents
                number = rng.randint(1, 180)
                street = rng.choice(STREETS)
                postcode = f"B6{rng.randint(0, 1)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                           f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                self.addresses.append(Address(100120000000 + len(self.addresses) * 7 + k % 7,
                                              f"{number} {street}", postcode, lsoa))

    @property
    def population(self) -> int:
        return sum(w.population for w in self.wards)
