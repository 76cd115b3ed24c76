-- Who works on a case and which office it belongs to (also in the case's document): users limited
-- to their office's or their own cases (shared.identity.model.CaseScope) are filtered by these.
-- Cases from before have neither: such users do not see them until a supervisor assigns them.
ALTER TABLE cases ADD COLUMN assigned_to uuid, ADD COLUMN office text;
CREATE INDEX cases_by_assignee ON cases (assigned_to, id DESC) WHERE assigned_to IS NOT NULL;
CREATE INDEX cases_by_office ON cases (office, id DESC) WHERE office IS NOT NULL;
