-- The database roles of a Docker Compose installation (a laptop: these passwords are not secrets).
-- In production your database's administrator makes the same roles with real passwords (README,
-- "Running in production"): an owner that migrations run as, and one role per service that owns
-- nothing; each service's migration step grants its role exactly what its code does.
CREATE ROLE homeward_owner LOGIN PASSWORD 'homeward-owner';
GRANT CREATE ON DATABASE homeward TO homeward_owner;
CREATE ROLE homeward_intake LOGIN NOINHERIT PASSWORD 'homeward-intake';
CREATE ROLE homeward_referral LOGIN NOINHERIT PASSWORD 'homeward-referral';
CREATE ROLE homeward_grants LOGIN NOINHERIT PASSWORD 'homeward-grants';
CREATE ROLE homeward_reporting LOGIN NOINHERIT PASSWORD 'homeward-reporting';
