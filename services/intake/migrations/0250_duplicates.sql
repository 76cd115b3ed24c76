-- Duplicates a person would catch (services/intake/core/matching.py). Each person's blocking keys:
-- their document number (any programme), their date of birth with day and month in either order
-- and their name with its parts in any order and Latin letters (within the programme). A candidate
-- is found by sharing a key (the GIN index), never by scanning every case, and then scored.
-- The keys are computed in Python (transliteration): rows from before this migration are NULL
-- until intake fills them at start (use_cases/duplicates.py, `index_people`).
ALTER TABLE case_people ADD COLUMN match_keys text[];
CREATE INDEX case_people_match_keys ON case_people USING gin (match_keys);
CREATE INDEX case_people_unindexed ON case_people (case_id) WHERE match_keys IS NULL;

-- "Different person": a caseworker looked at two cases the matching put together and said they are
-- not one person. The pair is not raised again. Ids only (no personal data): kept after erasure.
CREATE TABLE distinct_people (
    case_id        uuid        NOT NULL REFERENCES cases (id),
    other_case_id  uuid        NOT NULL REFERENCES cases (id),
    recorded_by    uuid        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (case_id, other_case_id),
    CHECK (case_id < other_case_id)  -- one row per pair, whichever case it was recorded from
);
CREATE INDEX distinct_people_other ON distinct_people (other_case_id);
