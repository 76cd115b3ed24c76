-- A case whose personal data was erased (intake's PersonalDataErased): its facts are cut down to
-- its programme and municipality, what partners were sent is emptied, and it takes no new event.
ALTER TABLE cases ADD COLUMN erased_at timestamptz;
