-- Monitoring visits (issue 14): the reintegration sustainability survey a caseworker records at
-- each visit. Codes and scores only, no free text. A visit is the case's personal data: read and
-- written under the access log, and erased with the case (the day goes, the month stays).

CREATE TABLE monitoring_visits (
    id                  uuid        PRIMARY KEY,
    case_id             uuid        NOT NULL REFERENCES cases (id),
    programme_id        text        NOT NULL,
    visit_number        integer     NOT NULL CHECK (visit_number >= 1),
    scheduled_month     integer     CHECK (scheduled_month >= 1),
    visited_on          date,       -- NULL once the case is erased
    visited_month       text        NOT NULL CHECK (visited_month ~ '^[0-9]{4}-[0-9]{2}$'),
    survey              text        NOT NULL,
    answers             jsonb       NOT NULL,
    indicator_scores    jsonb       NOT NULL,
    dimension_scores    jsonb       NOT NULL,
    composite           double precision NOT NULL CHECK (composite BETWEEN 0 AND 1),
    business_operating  boolean,
    in_municipality     boolean     NOT NULL,
    re_migrated         boolean     NOT NULL,
    recorded_by         uuid        NOT NULL,
    recorded_at         timestamptz NOT NULL,
    event_id            uuid        NOT NULL,
    -- the Nth visit of a case is recorded once (two caseworkers at once: one of them waits, then
    -- numbers its visit N+1, since the case row is locked first)
    UNIQUE (case_id, visit_number)
);
