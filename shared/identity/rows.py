"""A user as the identity schema's queries select it (`u` is the users table's alias)."""

from __future__ import annotations

import asyncpg

from .model import CaseScope, Role, User

USER_COLUMNS = "u.id, u.name, u.role, u.programmes, u.office, u.case_scope, u.language, u.partner_id"


def user_of(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        programmes=frozenset(row["programmes"]),
        office=row["office"],
        case_scope=CaseScope(row["case_scope"]),
        language=row["language"],
        partner_id=row["partner_id"],
    )
