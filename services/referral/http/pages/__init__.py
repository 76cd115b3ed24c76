"""The partner portal (issue 15, point 4): pages in the referral service for partner organisations
that run no Kafka consumer. A partner's staff member signs in (role `partner`, bound to one
partner), sees their partner's open referrals with what the contract gives that partner, and
accepts, declines (with a reason) or completes (with an outcome) each; the answer is the partner's
event on its own answer topic (`use_cases/portal.py`). Every page works without JavaScript: forms
POST, then 303 back to the referral; a form with problems re-renders with 422 and the message
beside its field. Another partner's referral is a 404 page, as one that does not exist."""
