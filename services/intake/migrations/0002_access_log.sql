-- Who read which case (shared.api_security.AccessLog): ids and an action word only, never what was
-- read. A table rather than the log stream: it sits beside the cases, under the same retention,
-- backups and access rules, and answers "who has looked at this case?" with one query — logs are
-- rotated and shipped to places that must not learn which cases exist.
CREATE TABLE access_log (
    id          bigserial   PRIMARY KEY,
    user_id     uuid        NOT NULL,
    case_id     uuid        NOT NULL,
    action      text        NOT NULL,  -- read | timeline | list | page
    read_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_by_case ON access_log (case_id, id);
CREATE INDEX access_log_by_user ON access_log (user_id, id);
