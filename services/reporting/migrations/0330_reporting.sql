-- The reporting read model: what the topics say, in codes, ids, ages and amounts only (no names, no
-- free text). Every row belongs to a generation of the model: the live consumer writes the current
-- one; `homeward reporting rebuild` replays the topics into a new generation and swaps it in, so the
-- runtime role (which owns nothing and may not create tables) can rebuild from scratch.

-- one row: the generation readers and the live consumer use. The live consumer locks it FOR SHARE in
-- each transaction, the swap FOR UPDATE: no event lands in a generation being retired.
CREATE TABLE model_generation (
    id          integer     PRIMARY KEY CHECK (id = 1),
    current     integer     NOT NULL,
    swapped_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO model_generation (id, current) VALUES (1, 1);

CREATE TABLE generations (
    generation  integer     PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    events      bigint      NOT NULL DEFAULT 0,
    finished_at timestamptz
);
INSERT INTO generations (generation, finished_at) VALUES (1, now());

-- each event takes effect once per generation, whoever applies it (the live consumer or a rebuild)
CREATE TABLE applied_events (
    generation  integer     NOT NULL,
    event_id    uuid        NOT NULL,
    PRIMARY KEY (generation, event_id)
);

CREATE TABLE cases (
    generation      integer     NOT NULL,
    case_id         uuid        NOT NULL,
    programme_id    text        NOT NULL,
    arrival_date    date        NOT NULL,
    registered_at   timestamptz NOT NULL,
    vulnerabilities text[]      NOT NULL DEFAULT '{}',
    closed_reason   text,
    closed_at       timestamptz,
    erased_at       timestamptz,
    PRIMARY KEY (generation, case_id)
);
CREATE INDEX cases_by_programme ON cases (generation, programme_id);

-- the household as the latest registration or assessment gave it
CREATE TABLE members (
    generation  integer NOT NULL,
    case_id     uuid    NOT NULL,
    position    integer NOT NULL,
    age         integer NOT NULL,
    sex         text    NOT NULL,
    relationship text   NOT NULL,
    PRIMARY KEY (generation, case_id, position)
);

CREATE TABLE referrals (
    generation   integer     NOT NULL,
    referral_id  uuid        NOT NULL,
    case_id      uuid        NOT NULL,
    category     text        NOT NULL,
    status       text        NOT NULL,
    issued_at    timestamptz,
    accepted_at  timestamptz,
    completed_at timestamptz,
    PRIMARY KEY (generation, referral_id)
);
CREATE INDEX referrals_by_case ON referrals (generation, case_id);

CREATE TABLE grants (
    generation   integer     NOT NULL,
    grant_id     uuid        NOT NULL,
    case_id      uuid        NOT NULL,
    programme_id text        NOT NULL,
    currency     text        NOT NULL,
    total        bigint      NOT NULL,
    opened_at    timestamptz NOT NULL,
    closed_at    timestamptz,
    PRIMARY KEY (generation, grant_id)
);

CREATE TABLE installments (
    generation      integer NOT NULL,
    installment_id  uuid    NOT NULL,
    grant_id        uuid    NOT NULL,
    sequence        integer NOT NULL,
    assistance_type text    NOT NULL,  -- 'unspecified' where the schedule named none
    amount          bigint  NOT NULL,
    status          text    NOT NULL,
    PRIMARY KEY (generation, installment_id)
);

-- every movement of money the events tell of, as the ledger posts it: committed (a grant opened),
-- disbursed (an installment paid), returned (a payment reversed), released (back to the budget)
CREATE TABLE money_movements (
    generation      integer     NOT NULL,
    event_id        uuid        NOT NULL,
    position        integer     NOT NULL,
    grant_id        uuid        NOT NULL,
    case_id         uuid        NOT NULL,
    programme_id    text        NOT NULL,
    assistance_type text        NOT NULL,
    movement        text        NOT NULL CHECK (movement IN ('committed', 'disbursed', 'returned', 'released')),
    amount          bigint      NOT NULL CHECK (amount > 0),
    currency        text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    PRIMARY KEY (generation, event_id, position)
);
CREATE INDEX money_by_programme ON money_movements (generation, programme_id, occurred_at);

CREATE TABLE ledger_checkpoints (
    generation  integer     NOT NULL,
    number      bigint      NOT NULL,
    entry_count bigint      NOT NULL,
    head_hash   text        NOT NULL,
    merkle_root text        NOT NULL,
    signed_at   timestamptz NOT NULL,
    key_id      text        NOT NULL,
    PRIMARY KEY (generation, number)
);
