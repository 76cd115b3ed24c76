"""Who sees what, and what a password must be: pure rules of shared.identity, no database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type

from shared.identity.model import CaseLimit, CaseScope, Role, User, scope_problems
from shared.identity.passwords import HashCost, PasswordPolicy, Passwords
from shared.identity.throttle import Attempts, ThrottlePolicy, counted, delay_after, wait_before

NL, DE = "NL-AVRR", "DE-STARTHILFEPLUS"


def user(role: Role = Role.CASEWORKER, programmes: tuple[str, ...] = (NL,), **scope: object) -> User:
    return User(uuid4(), "a.petrovska", role, frozenset(programmes), **scope)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_a_user_with_no_programme_sees_nothing(role: Role) -> None:
    nobody = user(role, ())
    assert not nobody.may_see_programme(NL)
    assert not nobody.may_see_case(NL, nobody.id, None)
    assert nobody.programme_scope() == []  # a filter that matches nothing, never "all"


def test_a_user_sees_their_programmes_only_and_an_admin_sees_all() -> None:
    assert user(programmes=(NL,)).may_see_programme(NL)
    assert not user(programmes=(NL,)).may_see_programme(DE)
    assert not user(programmes=(NL,)).may_see_programme(None)
    admin = user(Role.ADMIN, ())
    assert admin.may_see_programme(DE)
    assert admin.programme_scope() is None
    assert admin.may_see_programmes([NL, DE])
    assert not user(programmes=(NL,)).may_see_programmes([NL, DE])


def test_a_user_limited_to_their_cases_or_office_sees_only_those() -> None:
    own = user(case_scope=CaseScope.ASSIGNED, office="skopje")
    assert own.case_limit() == CaseLimit(assigned_to=own.id)
    assert own.may_see_case(NL, own.id, "bitola")
    assert not own.may_see_case(NL, uuid4(), "skopje")
    assert not own.may_see_case(NL, None, None)
    assert not own.may_see_case(DE, own.id, None)  # the programme still decides first

    office = user(case_scope=CaseScope.OFFICE, office="skopje")
    assert office.case_limit() == CaseLimit(office="skopje")
    assert office.may_see_case(NL, uuid4(), "skopje")
    assert not office.may_see_case(NL, office.id, "bitola")

    officeless = user(case_scope=CaseScope.OFFICE)
    assert officeless.case_limit().matches_nothing
    assert not officeless.may_see_case(NL, officeless.id, None)


def test_a_scope_names_known_programmes_and_an_office_where_it_needs_one() -> None:
    known = [NL, DE]
    assert scope_problems(Role.CASEWORKER, [NL], None, CaseScope.PROGRAMMES, known) == []
    assert scope_problems(Role.CASEWORKER, ["NL-AVVR"], None, CaseScope.PROGRAMMES, known) == [
        ("programmes", "unknown programme(s): NL-AVVR")
    ]
    assert [f for f, _ in scope_problems(Role.CASEWORKER, [NL], None, CaseScope.OFFICE, known)] == ["office"]
    assert [f for f, _ in scope_problems(Role.ADMIN, [NL], None, CaseScope.PROGRAMMES, known)] == [
        "programmes"
    ]


def test_a_partner_user_is_bound_to_one_known_partner_and_to_nothing_else() -> None:
    known, partners = [NL], ["kumanovo-homes", "skopje-gate"]

    def fields(
        role: Role,
        programmes: tuple[str, ...] = (),
        office: str | None = None,
        case_scope: CaseScope = CaseScope.PROGRAMMES,
        partner_id: str | None = None,
    ) -> list[str]:
        found = scope_problems(
            role, programmes, office, case_scope, known, partner_id=partner_id, known_partners=partners
        )
        return [f for f, _ in found]

    assert fields(Role.PARTNER, partner_id="kumanovo-homes") == []
    assert fields(Role.PARTNER) == ["partner_id"]  # a partner user names their partner
    assert fields(Role.PARTNER, partner_id="kumanovo-hommes") == ["partner_id"]  # one of the directory
    assert fields(Role.PARTNER, (NL,), "skopje", partner_id="skopje-gate", case_scope=CaseScope.OFFICE) == [
        "programmes",
        "office",
        "case_scope",
    ]
    # nobody else acts for a partner
    for role in (r for r in Role if r is not Role.PARTNER):
        assert "partner_id" in fields(role, partner_id="kumanovo-homes")


def test_a_partner_user_acts_for_their_own_partner_and_sees_no_programme() -> None:
    staff = user(Role.PARTNER, (), partner_id="kumanovo-homes")
    assert staff.acts_for_partner("kumanovo-homes")
    assert not staff.acts_for_partner("skopje-gate")
    assert not staff.acts_for_partner(None)
    assert staff.programme_scope() == []
    assert not staff.may_see_case(NL, staff.id, None)
    # a partner id on any other role gives nothing (the database refuses such a row anyway)
    assert not user(Role.CASEWORKER, partner_id="kumanovo-homes").acts_for_partner("kumanovo-homes")
    assert not user(Role.ADMIN, ()).acts_for_partner("kumanovo-homes")


POLICY = PasswordPolicy(min_length=15)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short one", "at least 15 characters"),
        ("x" * 129, "at most 128"),
        ("                ", "only spaces"),
        ("A.Petrovska-2025-summer!", "may not contain the user name"),
        ("passwordpassword", "easy to guess"),
        ("qwertyuiopasdfgh", "easy to guess"),
        ("aaaaaaaaaaaaaaaaaaaa", "easy to guess"),
        ("homewardhomeward1", "easy to guess"),
    ],
)
def test_the_policy_refuses_short_long_named_common_and_guessable_passwords(password: str, why: str) -> None:
    problems = POLICY.problems(password, "a.petrovska")
    assert len(problems) == 1
    assert why in problems[0]


def test_a_common_password_is_named_as_such() -> None:
    assert PasswordPolicy(min_length=8).problems("iloveyou", "a.petrovska") == [
        "this is a commonly used password"
    ]


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "Tetovo river 1987 cherry jam!", "grüne Äpfel unter dem Mond"],
)
def test_the_policy_accepts_long_pass_phrases(password: str) -> None:
    assert POLICY.problems(password, "a.petrovska") == []


def test_passwords_are_argon2id_hashes_that_verify_and_a_missing_hash_never_does() -> None:
    async def check() -> None:
        passwords = Passwords(HashCost(time_cost=1, memory_kib=64, parallelism=1))
        stored = await passwords.hash("correct horse battery staple")
        assert stored.startswith("$argon2id$")
        assert await passwords.verify(stored, "correct horse battery staple")
        assert not await passwords.verify(stored, "Correct horse battery staple")
        assert not await passwords.verify(None, "correct horse battery staple")
        assert not await passwords.verify("not a hash", "anything")
        stronger = Passwords(HashCost(time_cost=2, memory_kib=64, parallelism=1))
        assert stronger.needs_rehash(stored)

    asyncio.run(check())


def test_the_default_cost_is_rfc_9106s_second_recommendation() -> None:
    stored = Passwords().hasher.hash("correct horse battery staple")
    parameters = extract_parameters(stored)
    assert (parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        Type.ID,
        3,
        65536,
        4,
    )


THROTTLE = ThrottlePolicy(
    free_per_account=3, initial_delay=timedelta(seconds=2), max_delay=timedelta(seconds=60)
)
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_failures_are_free_up_to_a_point_then_each_doubles_the_wait_up_to_the_maximum() -> None:
    waits = [delay_after(n, 3, THROTTLE).total_seconds() for n in range(1, 10)]
    assert waits == [0, 0, 2, 4, 8, 16, 32, 60, 60]


def test_counting_an_attempt_sets_the_wait_and_old_failures_are_forgotten() -> None:
    attempts = Attempts(0, None, None)
    for _ in range(3):
        attempts = counted(attempts, NOW, 3, THROTTLE)
    assert (attempts.failures, attempts.blocked_until) == (3, NOW + timedelta(seconds=2))
    assert wait_before(attempts, NOW + timedelta(seconds=1)) == timedelta(seconds=1)
    assert wait_before(attempts, NOW + timedelta(seconds=2)) == timedelta(0)
    much_later = NOW + THROTTLE.window + timedelta(seconds=1)
    assert counted(attempts, much_later, 3, THROTTLE) == Attempts(1, much_later, None)
