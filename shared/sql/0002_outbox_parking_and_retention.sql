-- The relay counts the tries the broker refused a row (unknown topic, too large, not authorised),
-- keeps why, and parks the row after its limit of tries (homeward outbox list-parked / requeue).
ALTER TABLE outbox
    ADD COLUMN attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN parked_at  timestamptz;

-- what the relay takes next: unsent and not parked, in insertion order
CREATE INDEX outbox_waiting ON outbox (id) WHERE sent_at IS NULL AND parked_at IS NULL;
DROP INDEX outbox_unsent;

-- rows in trouble (failed at least once, not sent since): each holds back the later rows of its key
CREATE INDEX outbox_in_trouble ON outbox (key, id) WHERE sent_at IS NULL AND attempts > 0;

-- retention: sent outbox rows and old inbox rows are deleted in batches, oldest first
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX inbox_processed ON inbox (processed_at);
