-- Who touched which case's data, when, how and why: one row per case and access (DESIGN rule 7).
-- Applied into intake's, referral's and grants' schemas after their own migrations. Ids, codes and
-- the actor's name only, never what was read: the log itself holds no personal data of the
-- returnee and outlives the erasure of the case it names.
--
-- Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, whoever asks (even the table's
-- owner); the service's runtime role is granted INSERT and SELECT on it only.

-- Intake kept reads only (0002: user, case, action, read_at); its rows are carried over below.
ALTER TABLE IF EXISTS access_log RENAME TO access_log_0002;
-- (its index and sequence names would clash with the new table's)
ALTER INDEX IF EXISTS access_log_pkey RENAME TO access_log_0002_pkey;
ALTER INDEX IF EXISTS access_log_by_case RENAME TO access_log_0002_by_case;
ALTER INDEX IF EXISTS access_log_by_user RENAME TO access_log_0002_by_user;
ALTER SEQUENCE IF EXISTS access_log_id_seq RENAME TO access_log_0002_id_seq;

CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,                 -- the user; NULL for the service itself (the retention job)
    actor       text        NOT NULL, -- the user's name, or what acted (e.g. "retention job")
    role        text        NOT NULL, -- the actor's role then ("system", "operator" for the CLI)
    action      text        NOT NULL, -- read | list | timeline | page | export | register | assess | ...
    case_id     uuid        NOT NULL,
    purpose     text        NOT NULL  -- why: derived from role and action, or given (subject_access)
);
CREATE INDEX access_log_by_case ON access_log (case_id, id);
CREATE INDEX access_log_by_actor ON access_log (actor_id, id);

DO $$
BEGIN
    IF to_regclass('access_log_0002') IS NOT NULL THEN
        INSERT INTO access_log (at, actor_id, actor, role, action, case_id, purpose)
            SELECT read_at, user_id, user_id::text, 'unrecorded', action, case_id, 'unrecorded'
            FROM access_log_0002 ORDER BY id;
        DROP TABLE access_log_0002;
    END IF;
END $$;

CREATE FUNCTION access_log_reject_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_reject_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_reject_change();
