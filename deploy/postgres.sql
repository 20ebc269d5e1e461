-- Roles and databases for duban's ledger and Prefect's server. Run as a superuser:
--   psql -h DBHOST -U postgres -f deploy/postgres.sql
-- then set the roles' passwords out of band (\password duban, \password prefect), and
-- put them in the environment file (deploy/duban.env), never in this file.
-- (compose.yaml runs this file when its Postgres volume is first created.)
CREATE ROLE duban LOGIN;
CREATE DATABASE duban OWNER duban ENCODING 'UTF8' TEMPLATE template0;
CREATE ROLE prefect LOGIN;
CREATE DATABASE prefect OWNER prefect ENCODING 'UTF8' TEMPLATE template0;
