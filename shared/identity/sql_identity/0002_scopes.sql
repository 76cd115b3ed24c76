-- Object-level authorization: the donor programmes a user works on. Empty means every programme
-- (supervisors of a country office, auditors); a caseworker sees and changes only cases of theirs.
ALTER TABLE users ADD COLUMN programmes text[] NOT NULL DEFAULT '{}';
