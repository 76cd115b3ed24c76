-- Installments that follow outcomes (issue 14): the terms of an outcome milestone on the
-- installment, and what a case achieved as grants learned it from the topics.

ALTER TABLE installments ADD COLUMN visit integer CHECK (visit >= 1);
ALTER TABLE installments ADD COLUMN min_composite numeric(5, 4) CHECK (min_composite BETWEEN 0 AND 1);
ALTER TABLE installments ADD COLUMN category text;
-- why an installment was cancelled: case_closed, re_migrated (NULL before this column, or not cancelled)
ALTER TABLE installments ADD COLUMN cancel_reason text;

-- One row per consumed event that carries an outcome (a monitoring visit, a completed referral):
-- codes and scores only, no personal data, so an erasure keeps them. Rows are only ever added.
CREATE TABLE case_outcomes (
    event_id            uuid        PRIMARY KEY,
    case_id             uuid        NOT NULL,
    kind                text        NOT NULL CHECK (kind IN ('monitoring_visit', 'referral_completed')),
    visit_number        integer     CHECK (visit_number >= 1),
    composite           double precision CHECK (composite BETWEEN 0 AND 1),
    business_operating  boolean,
    re_migrated         boolean,
    category            text,
    occurred_at         timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'monitoring_visit') = (visit_number IS NOT NULL AND composite IS NOT NULL
                                          AND re_migrated IS NOT NULL)),
    CHECK ((kind = 'referral_completed') = (category IS NOT NULL))
);
CREATE INDEX case_outcomes_by_case ON case_outcomes (case_id);
