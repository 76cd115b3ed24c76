"""Duplicate matching (services/intake/core/matching.py): properties any score must keep, and the
table of known pairs the default threshold is chosen by."""

from __future__ import annotations

from datetime import date

import cyrtranslit
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.intake.core import matching
from services.intake.core.matching import DEFAULT_THRESHOLD, Person, blocking_keys, score

# names as people write them: Latin with the region's diacritics, Macedonian Cyrillic
LATIN = "abcdefghijklmnopqrstuvwxyzëçšžčćđ"
MACEDONIAN = "абвгдѓежзѕијклљмнњопрстќуфхцчџш"
parts = st.text(alphabet=LATIN + LATIN.upper(), min_size=2, max_size=12)
cyrillic_parts = st.text(alphabet=MACEDONIAN + MACEDONIAN.upper(), min_size=2, max_size=12)
names = st.lists(parts | cyrillic_parts, min_size=1, max_size=4)
births = st.dates(min_value=date(1906, 1, 1), max_value=date(2026, 11, 30))
documents = st.none() | st.text(alphabet="ABC0123456789", min_size=6, max_size=9)
spaces = st.text(alphabet=" \t", min_size=1, max_size=3)


@st.composite
def people(draw: st.DrawFn) -> Person:
    return Person(" ".join(draw(names)), draw(births), draw(documents))


@given(names, births, st.randoms(use_true_random=False), st.data())
def test_a_name_always_matches_itself_however_spaced_cased_or_ordered(
    name_parts: list[str], born: date, rng: object, data: st.DataObject
) -> None:
    shuffled = list(name_parts)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    cased = [data.draw(st.sampled_from([p, p.upper(), p.lower(), p.title()])) for p in shuffled]
    written = data.draw(spaces) + data.draw(spaces).join(cased) + data.draw(spaces)
    found = score(Person(" ".join(name_parts), born), Person(written, born))
    assert found.score == 1.0
    assert found.score >= DEFAULT_THRESHOLD


@given(st.lists(cyrillic_parts, min_size=1, max_size=4), births)
def test_a_transliterated_name_matches_its_original(name_parts: list[str], born: date) -> None:
    original = " ".join(name_parts)
    transliterated = cyrtranslit.to_latin(original, "mk")
    found = score(Person(original, born), Person(transliterated, born))
    assert found.score >= DEFAULT_THRESHOLD
    assert matching.OTHER_SCRIPT in found.reasons


@given(people(), people())
def test_the_score_is_symmetric_and_between_0_and_1(a: Person, b: Person) -> None:
    ab, ba = score(a, b), score(b, a)
    assert ab == ba
    assert 0.0 <= ab.score <= 1.0


@given(people(), st.data())
def test_a_person_found_by_score_is_found_by_the_blocking_keys(a: Person, data: st.DataObject) -> None:
    """What the store indexes finds every kind of match the table below names: the same person
    with a swapped date, a reordered or transliterated name, or the same document number."""
    variant = data.draw(
        st.sampled_from(["swapped", "reordered", "document", "cyrillic"]),
    )
    born = a.date_of_birth
    if variant == "swapped":
        assume(born.day <= 12)
        b = Person(a.name, date(born.year, born.day, born.month))
    elif variant == "reordered":
        b = Person(" ".join(reversed(a.name.split())), born)
    elif variant == "document":
        assume(a.document_number is not None)
        b = Person("someone else entirely", date(1950, 1, 1), a.document_number)
    else:
        b = Person(cyrtranslit.to_cyrillic(matching.latin(a.name), "mk"), born)
    assert set(blocking_keys(a, "p")) & set(blocking_keys(b, "p"))


# (a, b, same person?) — what a caseworker who knows the region would say of each pair
D = date
KNOWN_PAIRS: list[tuple[Person, Person, bool]] = [
    # the same person, written the ways people write them
    (Person("Марија Стојановска", D(1990, 3, 14)), Person("Marija Stojanovska", D(1990, 3, 14)), True),
    (Person("Стојановска Марија", D(1990, 3, 14)), Person("Marija Stojanovska", D(1990, 3, 14)), True),
    (Person("Ѓорѓи Трајковски", D(1978, 7, 2)), Person("Gjorgji Trajkovski", D(1978, 7, 2)), True),
    (Person("Ќирил Николовски", D(1965, 1, 30)), Person("Kiril Nikolovski", D(1965, 1, 30)), True),
    (Person("Џемаил Беќири", D(1983, 5, 9)), Person("Xhemail Bekiri", D(1983, 5, 9)), True),
    (Person("Џемаил Беќири", D(1983, 5, 9)), Person("Xhemail Bekiri", D(1983, 9, 5)), True),
    (Person("Шќипе Гаши", D(1990, 10, 10)), Person("Shqipe Gashi", D(1990, 10, 10)), True),
    (Person("Ѓорѓи Трајковски", D(1978, 7, 2)), Person("Gorgi Trajkovski", D(1978, 2, 7)), True),
    (Person("Arbër Krasniqi", D(1995, 11, 21)), Person("Arber Krasniqi", D(1995, 11, 21)), True),
    (Person("Fatmir Çela", D(1988, 2, 6)), Person("Fatmir Cela", D(1988, 2, 6)), True),
    (Person("Blerinë Hoxha", D(2001, 6, 4)), Person("Hoxha Blerine", D(2001, 6, 4)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Petrovska", D(1992, 7, 4)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Petorvska", D(1992, 4, 7)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Anna Petrovska", D(1992, 4, 7)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Petrovska", D(1992, 4, 8)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Maria Petrovska", D(1992, 4, 7)), True),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Petrowska", D(1992, 7, 4)), True),
    (Person("Driton Berisha", D(1979, 9, 1)), Person("Berisha Driton", D(1979, 1, 9)), True),
    (Person("Stefan Ilievski", D(2010, 1, 1)), Person("Stefan Ilievski", D(2011, 1, 1)), True),
    (
        Person("Besnik Rama", D(1980, 1, 1), "MK1234567"),
        Person("Besim Ramadani", D(1981, 1, 1), "mk 123 4567"),
        True,
    ),
    (
        Person("Елена Димова", D(1975, 12, 3), "A0123456"),
        Person("Elena Dimova", D(1975, 3, 12), "A0123456"),
        True,
    ),
    # different people a careless rule would join
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Ana Petrovska", D(1961, 10, 23)), False),
    (Person("Ana Petrovska", D(1992, 4, 7)), Person("Elena Petrovska", D(1992, 4, 7)), False),
    (Person("Marija Stojanovska", D(1990, 3, 14)), Person("Marko Stojanovski", D(1990, 3, 14)), False),
    (Person("Arbër Krasniqi", D(1995, 11, 21)), Person("Arben Krasniqi", D(1993, 11, 21)), False),
    (Person("Fatmir Çela", D(1988, 2, 6)), Person("Fatime Çela", D(1988, 8, 16)), False),
    (Person("Driton Berisha", D(1979, 9, 1)), Person("Valon Berisha", D(2004, 9, 1)), False),
    (Person("Ilir Hoxha", D(2012, 5, 5)), Person("Ilir Hoxha", D(1984, 5, 5)), False),
    (Person("Јован Петров", D(1970, 6, 6)), Person("Jovana Petrova", D(1972, 6, 6)), False),
    (Person("Ali Shabani", D(1999, 1, 2)), Person("Alma Shabani", D(1999, 2, 3)), False),
    (
        Person("Besnik Rama", D(1980, 1, 1), "MK1234567"),
        Person("Besnik Rama", D(1955, 8, 19), "MK7654321"),
        False,
    ),
]


@pytest.mark.parametrize(("a", "b", "same"), KNOWN_PAIRS, ids=lambda v: getattr(v, "name", str(v)))
def test_the_threshold_separates_the_known_pairs(a: Person, b: Person, same: bool) -> None:
    found = score(a, b)
    assert (found.score >= DEFAULT_THRESHOLD) is same, found
    if same:
        assert found.reasons


def test_reasons_say_what_matched() -> None:
    swapped = score(Person("Ana Petrovska", D(1992, 4, 7)), Person("Petrovska Ana", D(1992, 7, 4)))
    assert set(swapped.reasons) == {matching.OTHER_ORDER, matching.SWAPPED_BIRTH}
    born = D(1990, 3, 14)
    scripts = score(Person("Марија Стојановска", born), Person("Marija Stojanovska", born))
    assert scripts.reasons == (matching.OTHER_SCRIPT, matching.SAME_BIRTH)
    document = score(Person("X Y", D(1990, 1, 1), "ab-12"), Person("Z W", D(1970, 5, 5), "AB12"))
    assert document.reasons[0] == matching.SAME_DOCUMENT
    spelling = score(Person("Gjorgji Trajkovski", D(1978, 7, 2)), Person("Ǵorǵi Trajkovski", D(1978, 7, 2)))
    assert spelling.reasons == (matching.OTHER_SPELLING, matching.SAME_BIRTH)
    accents = score(Person("Arbër Krasniqi", D(1995, 1, 2)), Person("arber krasniqi", D(1995, 1, 2)))
    assert accents.reasons == (matching.NO_DIACRITICS, matching.SAME_BIRTH)
