#!/usr/bin/env bash
# Build (or find) the local images of deploy/compose/docker-compose.local.yml, no registry
# needed: a Debian bookworm base made with debootstrap from the mirror apt uses, then the
# targets of deploy/compose/Dockerfile FROM it. Every tag is a hash of its inputs, so an
# image whose inputs did not change is found, not rebuilt (debootstrap included).
# Prints the tags as KEY=VALUE lines (docker-compose.local.yml reads them); logs go to stderr.
#   scripts/compose_images.sh > images.env
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=bookworm
DOCKERFILE=deploy/compose/Dockerfile
CACHE=${INGEST_COMPOSE_CACHE:-/var/tmp/ingest-compose}
mkdir -p "$CACHE"
log() { echo "compose-images: $*" >&2; }

# The first Debian archive in apt's sources (deb822 or one-line), not the security one.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
          2>/dev/null | grep -oE '(URIs:[[:space:]]*|^deb[[:space:]]+)https?://[^[:space:]]+' \
        | grep -oE 'https?://[^[:space:]]+' | grep -E '/debian/?$' | head -1) || true
  echo "${uri:-http://deb.debian.org/debian}"
}

# sha256 (12 hex) of files as tar streams them: names, modes (less a umask's group and
# other write bits) and bytes, not times or owners: a fresh clone hashes the same.
inputs_hash() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=go-w \
      --exclude=__pycache__ --exclude='*.pyc' -cf - "$@" | sha256sum | cut -c1-12
}

exists() { docker image inspect "$1" > /dev/null 2>&1; }

# Keep only the current tag of a repository: the old ones hold disk and nothing else.
prune_tags() {
  local repo=$1 keep=$2 tag
  for tag in $(docker image ls "$repo" --format '{{.Repository}}:{{.Tag}}'); do
    [ "$tag" = "$keep" ] || docker image rm "$tag" > /dev/null
  done
}

base_image() {
  local mirror key tag root
  mirror=$(debian_mirror)
  key=$(printf 'debootstrap --variant=minbase %s %s\n' "$SUITE" "$mirror" | sha256sum | cut -c1-12)
  tag=ingest-base:$SUITE-$key
  if ! exists "$tag"; then
    log "debootstrap $SUITE from $mirror"
    root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap "rm -rf '$root'" EXIT  # base_image runs in $(...): its own shell
    debootstrap --variant=minbase "$SUITE" "$root" "$mirror" > "$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; return 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import - "$tag" > /dev/null
    prune_tags ingest-base "$tag"
  fi
  echo "$tag"
}

# The machine's own CA certificates (Debian's come with the image), staged for the context.
CA=$CACHE/ca
rm -rf "$CA" && mkdir -p "$CA"
cp /usr/local/share/ca-certificates/*.crt "$CA"/ 2>/dev/null || true
CA_HASH=$(cd "$CACHE" && inputs_hash ca)

# build TARGET BASE INPUT...: the Dockerfile target, tagged by the hash of its own inputs.
# The context streamed is every target's inputs (CONTEXT), never the .venv or .git. The
# classic builder (no buildx here) builds the stages before the target too: from cache.
CONTEXT=(deploy/compose pyproject.toml uv.lock README.md src dags plugins config)
build() {
  local target=$1 base=$2 tag
  shift 2
  tag=ingest-$target:$( { echo "$base $CA_HASH"; inputs_hash "$DOCKERFILE" "$@"; } \
                         | sha256sum | cut -c1-12)
  if ! exists "$tag"; then
    log "building $tag"
    tar --exclude=__pycache__ --exclude='*.pyc' -cf - "${CONTEXT[@]}" -C "$CACHE" ca \
      | DOCKER_BUILDKIT=0 docker build --force-rm -f "$DOCKERFILE" --target "$target" \
          --build-arg "BASE=$base" -t "$tag" - > "$CACHE/build-$target.log" 2>&1 \
      || { tail -30 "$CACHE/build-$target.log" >&2; return 1; }
    prune_tags "ingest-$target" "$tag"
  fi
  echo "$tag"
}

# Assignments, so that set -e stops at the first failed build.
BASE=$(base_image)
LOCK=(pyproject.toml uv.lock)
POSTGRES=$(build postgres "$BASE" deploy/compose/postgres-entrypoint.sh)
REDIS=$(build redis "$BASE")
S3=$(build s3 "$BASE" "${LOCK[@]}" deploy/compose/s3_buckets.py)
AIRFLOW=$(build airflow "$BASE" "${LOCK[@]}" README.md src dags plugins config \
  deploy/compose/airflow-entrypoint.sh)
printf '%s\n' "INGEST_POSTGRES_IMAGE=$POSTGRES" "INGEST_REDIS_IMAGE=$REDIS" \
  "INGEST_S3_IMAGE=$S3" "INGEST_AIRFLOW_IMAGE=$AIRFLOW"
