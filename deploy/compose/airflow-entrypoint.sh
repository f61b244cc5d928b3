#!/bin/sh
# As the upstream apache/airflow image does: `api-server`, `celery worker`, ... are Airflow
# subcommands; bash, python, airflow and ingest command lines run as they are.
case "$1" in
  bash|sh|python|python3|airflow|ingest) exec "$@" ;;
esac
exec airflow "$@"
