-- Erasure and retention; what readers who may not see vulnerabilities read of the timeline.

-- When a case was closed (its retention period runs from then) and when its personal data was
-- erased (the document is then an ErasedCase: ids, codes, age bands).
ALTER TABLE cases ADD COLUMN closed_at timestamptz;
ALTER TABLE cases ADD COLUMN erased_at timestamptz;
UPDATE cases SET closed_at = (document #>> '{closure,closed_at}')::timestamptz
    WHERE jsonb_typeof(document -> 'closure') = 'object';
-- the retention job's search: closed, not yet erased, by programme
CREATE INDEX cases_awaiting_erasure ON cases (programme_id, closed_at)
    WHERE closed_at IS NOT NULL AND erased_at IS NULL;

-- Changes the service itself makes (an erasure by the retention job) name no user.
ALTER TABLE case_changes ALTER COLUMN recorded_by DROP NOT NULL;

-- Every reader sees the timeline, auditors too: an assessment no longer says how many
-- vulnerabilities it recorded.
UPDATE case_changes SET summary = regexp_replace(summary, '; [0-9]+ vulnerabilit(y|ies) recorded$', '')
    WHERE kind = 'NeedsAssessed';

-- The line readers who may not see vulnerabilities are shown (NULL: the entry is not shown to
-- them): no partner id, no deadline, no partner's own words. Rows from before are rewritten from
-- their summary; a referral line that does not parse is hidden from them (fail closed).
ALTER TABLE timeline_events ADD COLUMN withheld_summary text;
UPDATE timeline_events t SET withheld_summary = CASE
        WHEN t.type = 'ReferralEscalated' THEN NULL
        WHEN t.type <> 'ReferralStatusChanged' THEN t.summary
        WHEN m.parts IS NULL OR m.parts[3] = 'escalated' THEN NULL
        ELSE 'Referral for ' || m.parts[1]
            || CASE WHEN m.parts[2] IS NOT NULL THEN ' with a partner' ELSE '' END
            || ': ' || m.parts[3]
            || CASE WHEN m.parts[5] IS NOT NULL AND m.parts[3] NOT IN ('declined', 'completed')
                    THEN ': ' || m.parts[5] ELSE '' END
    END
FROM (
    SELECT event_id, regexp_match(
        summary, '^Referral for ([a-z_]+)( with [a-z0-9-]+)?: ([a-z_]+)( \(was [a-z_]+\))?(?:: (.*))?$'
    ) AS parts
    FROM timeline_events
) m
WHERE m.event_id = t.event_id;
