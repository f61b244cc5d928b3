# The Airflow image with ingest installed from the lock file (used by docker-compose.yml).
FROM apache/airflow:3.3.2-python3.11
USER root
RUN mkdir -p /opt/ingest && chown airflow:root /opt/ingest
USER airflow
WORKDIR /opt/ingest
# The locked runtime dependencies first (no dev group), in a layer of their own that only
# pyproject.toml or uv.lock changes rebuild; Airflow stays at the version the image ships.
COPY --chown=airflow:root pyproject.toml uv.lock README.md ./
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && uv pip install --no-cache --python "$(which python)" -r /tmp/requirements.txt
# Then the project itself: only what runs (no .venv, .git, tests or samples in the image).
COPY --chown=airflow:root src ./src
COPY --chown=airflow:root dags ./dags
COPY --chown=airflow:root plugins ./plugins
COPY --chown=airflow:root config ./config
RUN uv pip install --no-cache --python "$(which python)" --no-deps /opt/ingest
