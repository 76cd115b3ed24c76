-- Roles are validated in code (shared.identity.model.Role): a new role needs no migration.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
