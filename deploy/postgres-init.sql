-- The ingest registry lives in its own database and role beside Airflow's metadata.
CREATE ROLE ingest LOGIN PASSWORD 'ingest';
CREATE DATABASE ingest OWNER ingest;
