"""Small lists of names common in North Macedonia (Macedonian, Albanian, Turkish and Roma families),
enough to make a caseload that reads like a real one. Every person the demo makes is invented."""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Macedonian surnames change with sex: -ski/-ska, -ov/-ova, -ev/-eva.
MACEDONIAN_MALE = _words(
    "Aleksandar Bojan Dejan Dragan Filip Goran Igor Ivan Kiril Marko Nikola Petar Stefan Toni "
    "Vlatko Zoran Darko Ljupčo Risto Trajče"
)
MACEDONIAN_FEMALE = _words(
    "Ana Biljana Daniela Elena Emilija Frosina Ivana Jasmina Katerina Marija Marina Natasha Sanja "
    "Simona Snežana Tanja Vesna Violeta Gordana Slavica"
)
MACEDONIAN_SURNAMES = _words(
    "Petrovski Nikolovski Trajkovski Stojanovski Dimitrovski Jovanovski Ristovski Angelovski "
    "Georgievski Kostovski Markovski Spasovski Trajanov Stojanov Mitrev Iliev Todorov Kolev Popov "
    "Atanasov"
)
ALBANIAN_MALE = _words(
    "Arben Besnik Bekim Dritan Fatos Flamur Gëzim Ilir Kujtim Mentor Agim Arian Blerim Driton Fisnik Valon"
)
ALBANIAN_FEMALE = _words(
    "Arta Besa Blerta Drita Fatmire Flutura Merita Mimoza Shpresa Teuta Valbona Vjosa Ardita "
    "Elira Lindita Qëndresa"
)
ALBANIAN_SURNAMES = _words(
    "Aliu Ademi Bajrami Berisha Demiri Elezi Fazliu Hasani Iseni Jashari Kadriu Limani Memeti "
    "Osmani Rexhepi Sulejmani Veliu Xhaferi Zeqiri Shabani"
)
TURKISH_MALE = _words("Ahmet Erdal Kenan Mehmet Orhan Sinan Yusuf Emre")
TURKISH_FEMALE = _words("Ayşe Emine Fatma Hatice Leyla Melek Nermin Zehra")
TURKISH_SURNAMES = _words("Arslan Demir Kaya Mustafa Ömer Sali Yilmaz Hüseini")
ROMA_MALE = _words("Bajram Demir Elvis Erdžan Muharem Nezdet Sabit Suad")
ROMA_FEMALE = _words("Dženifer Ljatifa Medina Muzafera Nadira Safija Sevdija Šenaj")
ROMA_SURNAMES = _words("Ajdini Bajramovski Demirovski Durmiš Jašarov Memedov Ramadanov Saliev")


@dataclass(frozen=True)
class Community:
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    gendered_surnames: bool
    weight: float


COMMUNITIES = (
    Community(MACEDONIAN_MALE, MACEDONIAN_FEMALE, MACEDONIAN_SURNAMES, True, 0.50),
    Community(ALBANIAN_MALE, ALBANIAN_FEMALE, ALBANIAN_SURNAMES, False, 0.30),
    Community(ROMA_MALE, ROMA_FEMALE, ROMA_SURNAMES, True, 0.14),
    Community(TURKISH_MALE, TURKISH_FEMALE, TURKISH_SURNAMES, False, 0.06),
)


def feminine(surname: str) -> str:
    """Petrovski → Petrovska, Trajanov → Trajanova, Iliev → Ilieva."""
    if surname.endswith("ski"):
        return surname[:-1] + "a"
    if surname.endswith(("ov", "ev")):
        return surname + "a"
    return surname


@dataclass(frozen=True)
class Family:
    """One household's community and surname: its members' names are drawn from it."""

    community: Community
    surname: str

    def name(self, rng: random.Random, sex: str) -> str:
        first = rng.choice(self.community.female if sex == "female" else self.community.male)
        surname = (
            feminine(self.surname) if sex == "female" and self.community.gendered_surnames else self.surname
        )
        return f"{first} {surname}"


def family(rng: random.Random) -> Family:
    community = rng.choices(COMMUNITIES, weights=[c.weight for c in COMMUNITIES])[0]
    return Family(community, rng.choice(community.surnames))
