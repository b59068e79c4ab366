"""A council's geography for the bundled sample, from its profile (`councils/<id>.yaml`, section `sample`).

Ward names and localities are the council's real ones; its LAD code is real. Ward, LSOA and UPRN codes are
plausible SAMPLE codes, not the official ones (see the README).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from warehouse.council import Council, load_council


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

    def __init__(self, council: Council | None = None) -> None:
        council = council or load_council()
        plan = council.sample
        rng = random.Random(plan.seed)
        self.council = council
        self.wards: list[Ward] = []
        for locality, names in plan.localities.items():
            for name in names:
                self.wards.append(Ward("", name, locality, rng.randint(2600, 3900)))
        self.wards.sort(key=lambda w: w.name)
        self.wards = [Ward(f"E05{plan.ward_code_base + i:06d}", w.name, w.locality, w.population)
                      for i, w in enumerate(self.wards)]
        self.lsoas: list[Lsoa] = []
        for ward in self.wards:
            split = rng.randint(40, 60) / 100
            for _share in (split, 1 - split):
                n = len(self.lsoas)
                self.lsoas.append(Lsoa(f"E01{plan.lsoa_code_base + n:06d}", f"{council.name} {n // 4 + 1:03d}"
                                       f"{'ABCD'[n % 4]}", ward, council.lad_code, council.name, 0))
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
        for k, (lad, name) in enumerate(plan.neighbours.items()):
            for j in range(4):
                code = f"E01{plan.neighbour_lsoa_base + k * 10 + j:06d}"
                population = rng.randint(1400, 1900)
                self.neighbour_lsoas.append(Lsoa(code, f"{name} {j + 1:03d}A", None, lad, name, population))
        self.addresses: list[Address] = []
        for lsoa in self.lsoas:
            for k in range(lsoa.population // 40):  # ~1 sampled address per 40 residents
                number = rng.randint(1, 180)
                street = rng.choice(STREETS)
                district = plan.postcode_districts[rng.randint(0, len(plan.postcode_districts) - 1)]
                postcode = f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                           f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                self.addresses.append(Address(plan.uprn_base + len(self.addresses) * 7 + k % 7,
                                              f"{number} {street}", postcode, lsoa))

    @property
    def population(self) -> int:
        return sum(w.population for w in self.wards)
