-- Run once by the postgres image on an empty data directory (mounted at /docker-entrypoint-initdb.d):
-- the store's own database beside Temporal's, owned by the same user. The worker and the API migrate it.
CREATE DATABASE durable_runbooks;
