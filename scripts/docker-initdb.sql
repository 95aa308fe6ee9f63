-- The application role for docker-compose: owns its database, creates tenant
-- schemas and roles (CREATEROLE), is not a superuser. NOINHERIT: it switches
-- to a tenant role with SET ROLE and never holds tenant privileges implicitly.
CREATE ROLE bazaar LOGIN CREATEROLE NOINHERIT PASSWORD 'bazaar';
CREATE DATABASE bazaar OWNER bazaar;
