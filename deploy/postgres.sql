-- A role and database for duban's ledger. Run as a superuser:
--   psql -h DBHOST -U postgres -f deploy/postgres.sql
-- then set the role's password out of band (\password duban).
CREATE ROLE duban LOGIN;
CREATE DATABASE duban OWNER duban ENCODING 'UTF8' TEMPLATE template0;
