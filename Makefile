# Two set-up commands, each from nothing but Python 3.11+ and the package registries:
#   make demo   build the environment, run afp_ingest then partner_feeds on the samples
#   make test   build the environment, run the whole test suite (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
BOOT := .bootstrap
UV := $(BOOT)/bin/uv
BIN := .venv/bin

export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__API__HOST := 127.0.0.1
export AIRFLOW__API__PORT ?= 8080
export INGEST_HOME ?= $(CURDIR)/var
export INGEST_PROJECT_DIR := $(CURDIR)

.PHONY: env airflow-home demo test lint airflow test-cluster test-compose clean mutants bench-latency

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	touch $@

env: .venv/.synced

$(AIRFLOW_HOME)/airflow.db: .venv/.synced
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	$(BIN)/airflow pools set afp_api 4 "AFP API Core: shared by every run (about 5,000 requests an hour)" > /dev/null

airflow-home: $(AIRFLOW_HOME)/airflow.db

# The demo drops the samples in two rounds: the stories (with an update and a correction),
# then the kill, so partners are seen to receive a story and then its kill notice.
export INGEST_DROP_SETTLE_SECONDS ?= 0
DROP := $(INGEST_HOME)/drop
run-dags = for dag in afp_ingest partner_feeds; do \
	  $(BIN)/airflow dags test $$dag > $(AIRFLOW_HOME)/demo-$$dag.log 2>&1 \
	    || { tail -40 $(AIRFLOW_HOME)/demo-$$dag.log; exit 1; }; \
	  echo "  $$dag: success (log: $(AIRFLOW_HOME)/demo-$$dag.log)"; done

demo: airflow-home
	$(BIN)/ingest db upgrade
	mkdir -p $(DROP)
	@echo "round 1: the samples, kill held back"
	find samples -maxdepth 1 -type f ! -name '*kill*' ! -name 'README*' -exec cp -p {} $(DROP)/ \;
	@$(run-dags)
	@echo "round 2: the kill arrives"
	find samples -maxdepth 1 -type f -name '*kill*' -exec cp -p {} $(DROP)/ \;
	@$(run-dags)
	$(BIN)/ingest status

test: env
	$(BIN)/pytest

lint: env
	$(BIN)/ruff check src tests dags plugins bench scripts
	$(BIN)/mypy

# standalone starts its components as `airflow …` subprocesses: the venv must be on PATH.
airflow: airflow-home
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/airflow standalone

clean:
	rm -rf .venv $(BOOT) $(AIRFLOW_HOME) var

# The scale-out proof (minutes; needs PostgreSQL and Redis): scheduler, DAG processor, API
# server and two Celery workers as separate processes, afp_ingest then partner_feeds.
test-cluster: env
	INGEST_CLUSTER_TEST=1 $(BIN)/pytest tests/cluster -s --timeout=1500

# docker-compose.yml started for real (needs dockerd; docs/compose.md): local images on a
# debootstrap Debian base, rebuilt only when their inputs change, every service healthy,
# afp_ingest over the REST API, feeds in the bucket, a worker killed mid-run; then down.
test-compose: env
	INGEST_COMPOSE_TEST=1 $(BIN)/pytest tests/compose -s --timeout=3600

# Wire-to-partner latency (not CI; about 10 minutes, PostgreSQL at 127.0.0.1:5432 for
# Airflow's own database): scheduler, triggerer, dag-processor and API server on
# LocalExecutor, items dropped at random times, timed to the feed and the push.
LATENCY_ARGS ?=
bench-latency: env
	nice -n 10 $(BIN)/python bench/latency.py $(LATENCY_ARGS)

# Mutation testing (not CI; 1443 mutants, 15.5 to 20.5 min wall at load 1.3 to 3: see
# docs/testing.md, "Where the time goes"): mutmut 3 mutates the functions that
# hold the invariants and runs their fast tests (setup.cfg [mutmut]) against each mutant,
# then prints a score per module. Survivors and equivalents: docs/testing.md. The slow
# property tests draw MUTANT_EXAMPLES examples a mutant (tests/hypothesis_examples.py).
# Always from an empty mutants/: mutmut 3.8.1's incremental stats lose tests.
MUTANT_EXAMPLES := 5
MUTANT_SCOPE := \
	'ingest.registry.api.xǁ_Bodyǁ*' 'ingest.registry.api.xǁVersionRowǁ*' \
	'ingest.registry.sql.x_substance_hash*' 'ingest.registry.sql.x__advance_story*' \
	'ingest.registry.sql.xǁSQLRegistryǁ_record_versions*' \
	'ingest.registry.sql.xǁSQLRegistryǁ_stored_versions*' \
	'ingest.registry.sql.xǁSQLRegistryǁ_update_stories*' \
	'ingest.registry.sql.xǁSQLRegistryǁversions_to_write*' \
	'ingest.registry.sql.xǁSQLRegistryǁfeed_items*' 'ingest.registry.sql.xǁSQLRegistryǁkills_for*' \
	'ingest.publish.partners.xǁRightsǁ*' 'ingest.publish.partners.xǁFiltersǁ*' \
	'ingest.publish.partners.xǁPartnerǁ*' 'ingest.publish.partners.x__any_in*' \
	'ingest.publish.partners.x__language*' 'ingest.publish.partners.x__subjects*' \
	'ingest.publish.partners.x__genres*' 'ingest.publish.partners.x__urgency*' \
	'ingest.publish.partners.x__sources*' \
	'ingest.publish.objectstore.x_check_key*' 'ingest.publish.objectstore.xǁ*ǁput*' \
	'ingest.publish.objectstore.xǁLocalObjectStoreǁ_write_temp*' \
	'ingest.clean.sanitise.*' 'ingest.xmlsafe.*' 'ingest.reconcile.*' \
	'ingest.parsers.identity.*' \
	'ingest.backfill.x_run_chunk*' 'ingest.backfill.x_read_ahead*' \
	'ingest.backfill.x__batches*' 'ingest.backfill.xǁCheckpointǁ*'

mutants: env
	rm -rf mutants && mkdir mutants
	INGEST_HYPOTHESIS_EXAMPLES=$(MUTANT_EXAMPLES) $(BIN)/mutmut run --max-children 2 \
	  $(MUTANT_SCOPE) > mutants/run.log 2>&1 || { tail -40 mutants/run.log; exit 1; }
	@tail -3 mutants/run.log
	$(BIN)/python tests/mutation_score.py $(MUTANT_SCOPE) --survivors
