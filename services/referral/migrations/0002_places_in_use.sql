-- Places in use per partner and category, kept in the row that routing locks: every change of a
-- referral into or out of an open status (issued, escalated, accepted) moves it, in the same
-- transaction (services/referral/casebook.py). Routing used to count them from the referrals
-- table on every event, which grows with the open referrals; this is one row per partner.
ALTER TABLE partner_places ADD COLUMN in_use integer NOT NULL DEFAULT 0;

UPDATE partner_places p SET in_use = (
    SELECT count(*) FROM referrals r
    WHERE r.partner_id = p.partner_id AND r.category = p.category
      AND r.status IN ('issued', 'escalated', 'accepted')
);
