-- Announced returns (issue 13): a case may start as `expected` and end as `arrival_cancelled` or
-- `arrival_missed` before it is ever registered.
ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_status_check CHECK (status IN (
    'expected', 'arrival_cancelled', 'arrival_missed',
    'registered', 'assessed', 'plan_proposed', 'plan_approved', 'closed'));

-- The scheduled arrival of an expected case (NULL once it arrived or ended, and on walk-ins): the
-- reception page's list and the missed-arrivals job read it.
ALTER TABLE cases ADD COLUMN expected_at timestamptz;
CREATE INDEX cases_expected ON cases (expected_at) WHERE expected_at IS NOT NULL;

-- The reception and transport referrals' latest status per case, as referral reported it on
-- referral.status.v1 (ids and codes only: no partner, no partner's words).
CREATE TABLE arrival_services (
    case_id     uuid        NOT NULL REFERENCES cases (id),
    category    text        NOT NULL,
    status      text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (case_id, category)
);
