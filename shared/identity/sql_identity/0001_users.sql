-- Who may call Homeward's APIs. Tokens are stored only as SHA-256 hashes: a leaked table does not
-- leak a usable token. Shared by every service's API (the identity schema is nobody's domain state).

CREATE TABLE users (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('caseworker', 'supervisor', 'finance', 'auditor', 'admin')),
    token_hash  text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
