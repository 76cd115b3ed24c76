-- Referral's own tables (applied into the service schema, after the shared outbox and inbox).

-- The routing facts last received for a case (codes, ages, skills: no names, no contacts). Kept so
-- a decline or a change of consent can be re-routed without asking intake again.
CREATE TABLE cases (
    case_id     uuid        PRIMARY KEY,
    facts       jsonb       NOT NULL,
    closed_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per partner and category, synced from partners.yaml at start-up. Routing locks the rows
-- of the categories it places (FOR UPDATE), so two consumers never both take a partner's last place.
CREATE TABLE partner_places (
    partner_id  text    NOT NULL,
    category    text    NOT NULL,
    capacity    integer NOT NULL CHECK (capacity >= 0),
    PRIMARY KEY (category, partner_id)
);

CREATE TABLE referrals (
    referral_id          uuid        PRIMARY KEY,
    case_id              uuid        NOT NULL REFERENCES cases,
    category             text        NOT NULL,
    partner_id           text,
    status               text        NOT NULL CHECK (status IN (
                             'issued', 'accepted', 'declined', 'completed', 'withdrawn',
                             'escalated', 'unplaced', 'needs_consent')),
    priority             text        NOT NULL,
    payload              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    respond_by           timestamptz,
    correlation_id       uuid        NOT NULL,
    -- the ReferralIssued event's id: partners answer with it as their causation id
    issued_event_id      uuid,
    -- the declined referral this one re-routes
    previous_referral_id uuid        REFERENCES referrals,
    reason               text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (partner_id IS NOT NULL OR status IN ('unplaced', 'needs_consent', 'withdrawn'))
);

-- at most one live referral per case and category: a redelivered or replayed event cannot add one
CREATE UNIQUE INDEX referrals_one_live ON referrals (case_id, category)
    WHERE status IN ('issued', 'accepted', 'escalated', 'unplaced', 'needs_consent');
CREATE INDEX referrals_by_partner ON referrals (partner_id, category, status);
CREATE INDEX referrals_due ON referrals (respond_by) WHERE status = 'issued';
CREATE INDEX referrals_by_status ON referrals (status, created_at);
