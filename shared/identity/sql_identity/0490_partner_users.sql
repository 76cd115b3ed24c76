-- Partner organisations' staff on the partner portal (issue 15, point 4): a `partner` user acts for
-- exactly one partner of referral's directory, and only a partner user does (checked in code when
-- the user is made or changed, and here, so a row can never hold half of it). The grant record keeps
-- the partner too. Additive: code that does not know the column never reads it, and no existing row
-- is a partner user.
ALTER TABLE users
    ADD COLUMN partner_id text CHECK (partner_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    ADD CONSTRAINT users_partner_bound CHECK ((role = 'partner') = (partner_id IS NOT NULL));
ALTER TABLE role_grants ADD COLUMN partner_id text;
