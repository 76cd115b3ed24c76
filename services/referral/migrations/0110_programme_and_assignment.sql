-- Scopes fail closed in referral too: each case and each referral carries its programme (from
-- intake's events: CaseFacts.programme_id), and each case its assignment (the caseworker and office,
-- from ReturneeRegistered and CaseAssigned), so that a user sees only the referrals of their
-- programmes — and, if they are limited to their own or their office's cases, only those cases'.
ALTER TABLE cases ADD COLUMN programme_id text, ADD COLUMN assigned_to uuid, ADD COLUMN office text;
UPDATE cases SET programme_id = facts ->> 'programme_id';

ALTER TABLE referrals ADD COLUMN programme_id text;
UPDATE referrals r SET programme_id = c.programme_id FROM cases c WHERE c.case_id = r.case_id;

CREATE INDEX referrals_by_programme ON referrals (programme_id, created_at DESC);
