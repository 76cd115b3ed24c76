-- A caseworker may hold an escalated referral (issue 15): while held, the automatic re-route at its
-- second deadline skips it. Who held it and when; both NULL when it is not held.
ALTER TABLE referrals ADD COLUMN held_by uuid, ADD COLUMN held_at timestamptz;

-- the automatic re-route sweep looks for escalated referrals that are not held
CREATE INDEX referrals_escalated_unheld ON referrals (respond_by) WHERE status = 'escalated' AND held_at IS NULL;
-- the retry of unplaced referrals, oldest first
CREATE INDEX referrals_unplaced ON referrals (created_at) WHERE status = 'unplaced';
