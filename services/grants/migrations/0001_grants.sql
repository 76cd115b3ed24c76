-- Grants and their installments: the state finance officers act on. Money is bigint minor units.

-- The programmes of the policy file, mirrored at start-up: what a grant and a ledger line refer to,
-- and the row a budget decision locks so two commitments of one programme never race.
CREATE TABLE programmes (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    currency    text        NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE grants (
    id                          uuid        PRIMARY KEY,
    case_id                     uuid        NOT NULL,
    plan_id                     uuid        NOT NULL UNIQUE,
    programme_id                text        NOT NULL REFERENCES programmes (id),
    status                      text        NOT NULL CHECK (status IN ('awaiting_funding', 'open', 'closed')),
    total                       bigint      NOT NULL CHECK (total > 0),
    ceiling                     bigint      NOT NULL CHECK (ceiling >= total),
    currency                    text        NOT NULL,
    arrival_date                date        NOT NULL,
    approved_on                 date        NOT NULL,
    vulnerable                  boolean     NOT NULL,
    adjustments                 jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- the conversation the plan approval started: events of a grant opened later continue it
    correlation_id              uuid        NOT NULL,
    business_plan_verified_by   text,
    business_plan_verified_at   timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    opened_at                   timestamptz,
    closed_at                   timestamptz,
    close_reason                text
);

CREATE INDEX grants_case ON grants (case_id);
-- funding opens waiting grants oldest first
CREATE INDEX grants_waiting ON grants (programme_id, created_at, id) WHERE status = 'awaiting_funding';

CREATE TABLE installments (
    id                      uuid        PRIMARY KEY,
    grant_id                uuid        NOT NULL REFERENCES grants (id),
    sequence                integer     NOT NULL CHECK (sequence >= 1),
    assistance_type         text        NOT NULL,
    paid_to                 text        NOT NULL CHECK (paid_to IN ('returnee', 'supplier')),
    amount                  bigint      NOT NULL CHECK (amount > 0),
    currency                text        NOT NULL,
    milestone               text        NOT NULL,
    days_after_arrival      integer,
    due_on                  date,
    status                  text        NOT NULL
        CHECK (status IN ('scheduled', 'due', 'approved', 'disbursed', 'failed', 'cancelled')),
    fell_due_at             timestamptz,
    approved_by             text,
    approved_by_id          uuid,
    approved_at             timestamptz,
    disbursed_by            text,
    disbursed_by_id         uuid,
    disbursed_at            timestamptz,
    method                  text CHECK (method IN ('cash', 'bank_transfer', 'supplier_invoice')),
    supplier                text,
    invoice_number          text,
    payment_reference       text,
    disbursement_transaction uuid,
    failure_reason          text,
    failed_at               timestamptz,
    attempts                integer     NOT NULL DEFAULT 0,
    UNIQUE (grant_id, sequence)
);

CREATE INDEX installments_grant ON installments (grant_id);
-- the due-check looks only at installments that wait for a date
CREATE INDEX installments_waiting ON installments (due_on) WHERE status = 'scheduled' AND milestone = 'days_after_arrival';
