-- Verified API tokens are kept in each process's memory (shared.identity.verified). Whatever
-- changes or removes a user or a token — the code's revocations and grant changes, and an
-- operator's SQL alike — tells every process in its own transaction: the notice goes out when (and
-- only if) it commits, on the schema's channel, with the user's id; each process drops that user's
-- tokens. A new user or token needs no notice (nothing cached can hold it). The channel is
-- shared.identity.verified.channel_of(schema): 'homeward_identity_' and the first 24 hex digits of
-- the schema name's SHA-256 (a channel name is at most 63 bytes).
CREATE FUNCTION identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        changed := OLD.id;
    ELSE
        changed := OLD.user_id;
    END IF;
    PERFORM pg_notify(
        'homeward_identity_' || left(encode(sha256(convert_to(TG_TABLE_SCHEMA, 'UTF8')), 'hex'), 24),
        changed::text
    );
    RETURN NULL;
END
$$;
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION identity_changed();
CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION identity_changed();
