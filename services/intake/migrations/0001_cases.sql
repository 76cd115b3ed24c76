-- Intake's cases. The case itself is one JSON document (the pydantic `Case`), with the columns the
-- list filters on beside it. Personal data (names, dates of birth, document numbers) lives here and
-- nowhere else (DESIGN rule 7).

CREATE TABLE cases (
    id             uuid        PRIMARY KEY,  -- UUIDv7: newest first is `ORDER BY id DESC`
    programme_id   text        NOT NULL,
    municipality   text        NOT NULL,
    status         text        NOT NULL
                   CHECK (status IN ('registered', 'assessed', 'plan_proposed', 'plan_approved', 'closed')),
    -- name keys and document numbers, for the caseworkers' search
    search_text    text        NOT NULL,
    document       jsonb       NOT NULL,
    registered_by  uuid        NOT NULL,
    registered_at  timestamptz NOT NULL,
    updated_by     uuid        NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX cases_by_programme ON cases (programme_id, id DESC);
CREATE INDEX cases_by_municipality ON cases (municipality, id DESC);

-- Who is in which case: the likely-duplicate check (same name and date of birth, same programme).
CREATE TABLE case_people (
    case_id        uuid        NOT NULL REFERENCES cases (id),
    position       integer     NOT NULL,
    programme_id   text        NOT NULL,
    name_key       text        NOT NULL,
    date_of_birth  date        NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX case_people_identity ON case_people (programme_id, name_key, date_of_birth);

-- A retried registration with the same Idempotency-Key returns the case the first one created.
-- Keys are per user: two users' clients cannot collide.
CREATE TABLE idempotency_keys (
    user_id        uuid        NOT NULL,
    key            text        NOT NULL,
    request_hash   text        NOT NULL,
    case_id        uuid        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Every write to a case, with who made it: the case's own side of its timeline.
CREATE TABLE case_changes (
    id             bigserial   PRIMARY KEY,
    case_id        uuid        NOT NULL REFERENCES cases (id),
    occurred_at    timestamptz NOT NULL,
    kind           text        NOT NULL,
    summary        text        NOT NULL,
    recorded_by    uuid        NOT NULL,
    event_id       uuid
);
CREATE INDEX case_changes_by_case ON case_changes (case_id, occurred_at);

-- What referral and grants reported about a case (consumed once each, through the inbox).
CREATE TABLE timeline_events (
    event_id       uuid        PRIMARY KEY,
    case_id        uuid        NOT NULL REFERENCES cases (id),
    occurred_at    timestamptz NOT NULL,
    source         text        NOT NULL,
    topic          text        NOT NULL,
    type           text        NOT NULL,
    summary        text        NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timeline_events_by_case ON timeline_events (case_id, occurred_at);
