-- People sign in with a name and a password (argon2id, shared.identity.passwords) into a server-side
-- session; machines and scripts keep API tokens, now one row each, expiring by default. Every user
-- has a scope that fails closed (programmes: empty sees nothing), and every grant of a role or scope
-- is recorded, revocations too. Additive only: the old code still reads users.token_hash while a
-- rollout runs (it then knows only the tokens made before; new ones fail closed on old pods).

ALTER TABLE users
    ALTER COLUMN token_hash DROP NOT NULL,
    ADD COLUMN office        text,
    ADD COLUMN case_scope    text NOT NULL DEFAULT 'programmes',
    ADD COLUMN password_hash text,
    ADD COLUMN created_by    uuid REFERENCES users (id),
    ADD COLUMN revoked_by    uuid REFERENCES users (id);

-- Names are unique whatever their case: "A.Petrovska" cannot sit beside "a.petrovska".
CREATE UNIQUE INDEX users_name_folded ON users (lower(name));

-- API tokens: stored as SHA-256 hashes only (256-bit random secrets need no stretching).
CREATE TABLE api_tokens (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    token_hash  text        NOT NULL UNIQUE,
    created_by  uuid        REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    revoked_by  uuid        REFERENCES users (id)
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- The tokens made before: each becomes a row of its own, with the expiry and revocation it had.
INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at, revoked_at)
SELECT id, id, token_hash, created_at, expires_at, revoked_at FROM users WHERE token_hash IS NOT NULL;

-- Sessions: the cookie holds a random id, the table only its hash. A session ends at sign-out,
-- when its user is revoked, after `session_idle_timeout_s` without a request, and at `expires_at`
-- (the absolute lifetime) whatever happens.
CREATE TABLE sessions (
    id_hash       text        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz,
    ended_because text        -- signed_out | user_revoked | password_reset | revoked
);
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins, per typed account name (whether or not it exists) and per client address:
-- past a few, each next attempt must wait longer (shared.identity.throttle).
CREATE TABLE sign_in_throttle (
    key            text        PRIMARY KEY,  -- account:<name folded> | address:<ip>
    failures       integer     NOT NULL,
    last_at        timestamptz,          -- NULL: no failure counted yet
    blocked_until  timestamptz
);
CREATE INDEX sign_in_throttle_by_age ON sign_in_throttle (last_at);

-- Who was given which role and scope, by whom, when; and when it was taken away. Append-only.
CREATE TABLE role_grants (
    id          bigserial   PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    change      text        NOT NULL,  -- granted | changed | revoked (shared.identity.model)
    role        text        NOT NULL,
    programmes  text[]      NOT NULL,
    office      text,
    case_scope  text        NOT NULL,
    granted_by  uuid        REFERENCES users (id),
    via         text        NOT NULL,  -- http | cli:<operating-system user> | migration
    granted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX role_grants_by_user ON role_grants (user_id, id);

CREATE FUNCTION role_grants_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'role_grants is append-only: % is rejected', TG_OP USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER role_grants_append_only BEFORE UPDATE OR DELETE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION role_grants_reject_change();
CREATE TRIGGER role_grants_no_truncate BEFORE TRUNCATE ON role_grants
    FOR EACH STATEMENT EXECUTE FUNCTION role_grants_reject_change();

-- The users made before this change: their grant as it stood, recorded once. Their programmes
-- are kept as they were; an empty list used to mean "every programme" and now means none, so such
-- a user sees nothing until an admin scopes them (admins see every programme by their role).
INSERT INTO role_grants (user_id, change, role, programmes, office, case_scope, via, granted_at)
SELECT id, 'granted', role, programmes, NULL, 'programmes', 'migration', created_at FROM users;
