-- The partner portal's answers (issue 15, point 4): each answer a partner's staff member sent from
-- the portal, by whom, and the referral's status when they sent it. The answer itself travels as
-- the partner's event through the outbox to the partner's own answer topic, and takes effect only
-- when referral's consumer applies it, as any partner's answer; until then (its event not in the
-- inbox, the referral still as it was) the portal takes no second answer to that referral — two
-- quick answers could otherwise cross, and the second be refused by the status machine into the
-- dead-letter topic. No free text here: a reason or an outcome lives in the event and, once
-- applied, on the referral, where erasure drops it. Append-only (store/__init__.py).
CREATE TABLE portal_answers (
    event_id       uuid        PRIMARY KEY,
    referral_id    uuid        NOT NULL REFERENCES referrals,
    partner_id     text        NOT NULL,
    answer         text        NOT NULL CHECK (answer IN ('accept', 'decline', 'complete')),
    status_before  text        NOT NULL,
    answered_by    uuid        NOT NULL,
    answered_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_answers_by_referral ON portal_answers (referral_id, status_before);
-- the portal lists a partner's open referrals
CREATE INDEX referrals_open_by_partner ON referrals (partner_id, created_at DESC)
    WHERE status IN ('issued', 'escalated', 'accepted');
