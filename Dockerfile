# The Airflow image with ingest installed from the lock file (used by docker-compose.yml).
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/ingest
USER airflow
WORKDIR /opt/ingest
# Export the locked runtime dependencies (no dev group) and install them with the project,
# keeping Airflow itself at the version the image ships.
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && uv pip install --no-cache --python "$(which python)" -r /tmp/requirements.txt \
 && uv pip install --no-cache --python "$(which python)" --no-deps /opt/ingest
