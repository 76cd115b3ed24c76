"""Is this the same person? The score a caseworker is shown beside a likely duplicate, and the
blocking keys the store finds candidates by.

People get names and dates wrong in ways a person reading two records would forgive: a typo, the
surname first, the name in Macedonian Cyrillic on one document and in Latin on another, Albanian
names with or without their diacritics (ë/e, ç/c), day and month swapped in a date of birth. The
same identity document number is the same person whatever else differs.

Pure: rapidfuzz (edit-distance ratios) and cyrtranslit (Cyrillic to Latin, with Macedonian's own
table) do the string work; no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import cyrtranslit
from rapidfuzz import fuzz

from services.intake.core.requests import Member

# Reasons, as the caseworker reads them
SAME_DOCUMENT = "same document number"
SAME_NAME = "same name"
OTHER_SCRIPT = "name matches in another script"
OTHER_ORDER = "names in another order"
NO_DIACRITICS = "same name without diacritics"
OTHER_SPELLING = "same name in another spelling"
EXTRA_NAME = "one name has a part the other has not"
SIMILAR_NAME = "similar name (a typo?)"
SAME_BIRTH = "same date of birth"
SWAPPED_BIRTH = "day and month swapped"
NEAR_BIRTH = "date of birth differs in one part"

# how much of the score the name and the date of birth carry (a document number overrides both)
NAME_WEIGHT = 0.55
BIRTH_WEIGHT = 0.45
# a name ratio at or below this says nothing (unrelated names share letters); 1.0 is equal names
NAME_FLOOR = 0.6
# two records with the same document number score at least this, however far their names are
SAME_DOCUMENT_SCORE = 0.9
# the default threshold (setting `duplicate_threshold`); tests/unit/intake/test_matching.py's
# table of known pairs is what it rests on
DEFAULT_THRESHOLD = 0.75

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NOT_ALNUM = re.compile(r"[\W_]+")  # any script's letters and digits stay
# One spelling per sound, after diacritics are gone: Albanian writes in Latin what Macedonian
# writes in Cyrillic (xh for dzhe, q for kje, gj for gje, sh, zh, x for dze), and Macedonian's own
# Latin spelling has gj and kj beside ǵ and ḱ. Folded alike on both sides: equal names stay equal.
_SPELLINGS = (
    ("xh", "dz"),
    ("zh", "z"),
    ("sh", "s"),
    ("gj", "g"),
    ("kj", "k"),
    ("dh", "d"),
    ("th", "t"),
    ("ll", "l"),
    ("rr", "r"),
    ("q", "k"),
    ("x", "dz"),
    ("w", "v"),
    ("y", "i"),
)
# Macedonian first (its own letters as Macedonian romanises them), then Serbian for what
# Macedonian lacks (dje, tshe), then Russian for the rest of the Cyrillic alphabet
_SCRIPTS = ("mk", "sr", "ru")


@dataclass(frozen=True)
class Person:
    """What matching compares of one household member."""

    name: str
    date_of_birth: date
    document_number: str | None = None


@dataclass(frozen=True)
class Match:
    score: float  # in [0, 1]; symmetric
    reasons: tuple[str, ...]


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def latin(name: str) -> str:
    """The name in Latin letters as compared: Cyrillic transliterated, no diacritics, case-folded,
    one sound one spelling, one space between parts, punctuation dropped ("Марија  Стојановска" ->
    "marija stojanovska"; "Xhemail Bekiri" and "Џемаил Беќири" -> "dzemail bekiri")."""
    text = unicodedata.normalize("NFC", name)
    for script in _SCRIPTS:
        if not _CYRILLIC.search(text):
            break
        text = cyrtranslit.to_latin(text, script)
    folded = _without_marks(text).casefold()
    for spelled, sound in _SPELLINGS:
        folded = folded.replace(spelled, sound)
    return " ".join(_NOT_ALNUM.split(folded)).strip()


def sorted_name(name: str) -> str:
    """`latin` with its parts in alphabetical order: the order a name is written in does not count."""
    return " ".join(sorted(latin(name).split()))


def document_key(number: str) -> str:
    """A document number as compared: letters and digits only, upper case ("mk 123-456" -> "MK123456")."""
    return "".join(c for c in _without_marks(number).upper() if c.isalnum())


def _name_similarity(a: str, b: str) -> tuple[float, list[str]]:
    la, lb = latin(a), latin(b)
    sa, sb = sorted_name(a), sorted_name(b)
    reasons = []
    if sa == sb and sa:
        similarity = 1.0
        bare_a, bare_b = _plain(_without_marks(a)).split(), _plain(_without_marks(b)).split()
        if bool(_CYRILLIC.search(a)) != bool(_CYRILLIC.search(b)):
            reasons.append(OTHER_SCRIPT)
        elif sorted(bare_a) != sorted(bare_b):
            reasons.append(OTHER_SPELLING)  # "Gjorgji" / "Ǵorǵi", "Shqipe" / "Sqipe"
        elif _plain(a).split() != bare_a or _plain(b).split() != bare_b:
            reasons.append(NO_DIACRITICS)
        if la != lb:
            reasons.append(OTHER_ORDER)
        return similarity, reasons or [SAME_NAME]
    similarity = _parts_similarity(sa.split(), sb.split())
    parts_a, parts_b = set(sa.split()), set(sb.split())
    if min(len(parts_a), len(parts_b)) >= 2 and (parts_a <= parts_b or parts_b <= parts_a):
        # a second given name or surname on one record only: "Ana Maria Petrovska" / "Ana Petrovska"
        return max(similarity, 0.9), [EXTRA_NAME]
    if similarity > NAME_FLOOR:
        reasons.append(SIMILAR_NAME)
        if bool(_CYRILLIC.search(a)) != bool(_CYRILLIC.search(b)):
            reasons.append(OTHER_SCRIPT)
    return similarity, reasons


def _parts_similarity(a: list[str], b: list[str]) -> float:
    """Each part of one name against its closest part of the other, both ways, averaged: a typo
    in one part costs that part, however long the rest of the name ("Ana"/"Elena" Petrovska differ
    by half, not by a fifth as the whole strings would)."""
    if not a or not b:
        return 0.0

    def closest(parts: list[str], others: list[str]) -> float:
        return sum(max(fuzz.ratio(p, o) for o in others) for p in parts) / (100 * len(parts))

    return (closest(a, b) + closest(b, a)) / 2


def _plain(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _birth_similarity(a: date, b: date) -> tuple[float, list[str]]:
    if a == b:
        return 1.0, [SAME_BIRTH]
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return 0.9, [SWAPPED_BIRTH]
    if (a.year, a.month) == (b.year, b.month) or (a.year, a.day) == (b.year, b.day):
        return 0.5, [NEAR_BIRTH]
    if (a.month, a.day) == (b.month, b.day) and _one_digit_apart(a.year, b.year):
        # 1985/1986, 1984/1994: a slip of one key; 1984/2012 is a father and a son of one name
        return 0.5, [NEAR_BIRTH]
    return 0.0, []


def _one_digit_apart(a: int, b: int) -> bool:
    return sum(x != y for x, y in zip(f"{a:04d}", f"{b:04d}", strict=True)) == 1


def score(a: Person, b: Person) -> Match:
    """How likely `a` and `b` are one person, and why. Symmetric; in [0, 1]."""
    name, name_reasons = _name_similarity(a.name, b.name)
    birth, birth_reasons = _birth_similarity(a.date_of_birth, b.date_of_birth)
    name_part = max(0.0, (name - NAME_FLOOR) / (1 - NAME_FLOOR))
    value = NAME_WEIGHT * name_part + BIRTH_WEIGHT * birth
    reasons = [*name_reasons, *birth_reasons] if value > 0 else []
    if (
        a.document_number
        and b.document_number
        and document_key(a.document_number)
        and document_key(a.document_number) == document_key(b.document_number)
    ):
        value = SAME_DOCUMENT_SCORE + (1 - SAME_DOCUMENT_SCORE) * value
        reasons = [SAME_DOCUMENT, *reasons]
    return Match(round(min(1.0, max(0.0, value)), 3), tuple(reasons))


def blocking_keys(person: Person, programme_id: str) -> list[str]:
    """The keys a candidate must share with `person` to be scored at all (the store indexes them):
    the document number in any programme; within the programme, the date of birth with day and
    month in either order, and the name with its parts in any order. A candidate with a typo in
    the name shares the date; one with a wrong date shares the name."""
    day, month = sorted((person.date_of_birth.day, person.date_of_birth.month))
    keys = [f"{programme_id}:born:{person.date_of_birth.year:04d}-{day:02d}-{month:02d}"]
    if name := sorted_name(person.name):
        keys.append(f"{programme_id}:name:{name}")
    if person.document_number and (number := document_key(person.document_number)):
        keys.append(f"doc:{number}")
    return keys


def person_of(member: Member) -> Person:
    document = member.identity_document.number if member.identity_document else None
    return Person(member.name, member.date_of_birth, document)


@dataclass(frozen=True)
class Pairing:
    """One of the people being checked (by position) scored against one found person."""

    member: int
    found: int  # index into the found people
    match: Match


def pairings(people: Sequence[Person], found: Sequence[Person], threshold: float) -> list[Pairing]:
    """Every (person, found person) pair scoring at or above `threshold`, best first."""
    out = [
        Pairing(i, j, match)
        for i, person in enumerate(people)
        for j, other in enumerate(found)
        if (match := score(person, other)).score >= threshold
    ]
    return sorted(out, key=lambda p: (-p.match.score, p.member, p.found))
