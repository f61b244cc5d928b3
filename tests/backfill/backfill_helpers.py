"""Test helpers: a mixed archive (all formats, duplicates, versions, broken files), dumps."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select

from ingest.config import Settings
from ingest.publish.objectstore import ObjectStore
from ingest.registry import schema as t
from ingest.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "afp"
SAMPLES = REPO / "samples"
ARCHIVED_AT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def build_archive(root: Path) -> Path:
    """Every AFP fixture and sample, a duplicate, a zip of versions, a broken zip, junk XML."""
    root.mkdir(parents=True, exist_ok=True)
    for path in sorted(FIXTURES.glob("*")):
        if path.suffix in {".xml", ".json"}:
            shutil.copy(path, root / f"afp-{path.name}")
    for path in sorted(SAMPLES.glob("*")):
        if not path.name.startswith("README"):
            shutil.copy(path, root / f"samples-{path.name}")
    (root / "dup").mkdir()
    shutil.copy(FIXTURES / "g2-story-v1.xml", root / "dup" / "g2-story-v1-again.xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("nml12-story-v1.xml", "nml12-story-v2-update.xml", "g2-french.xml"):
            archive.write(FIXTURES / name, f"inner/{name}")
        archive.writestr("inner/unknown.xml", "<?xml version='1.0'?><catalog><a/></catalog>")
    (root / "bundle.zip").write_bytes(buffer.getvalue())
    (root / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (root / "weird.xml").write_bytes(b"<?xml version='1.0'?><inventory/>")
    stamp = ARCHIVED_AT.timestamp()
    for path in root.rglob("*"):
        os.utime(path, (stamp, stamp))
    return root


def make_bucket(name: str) -> str:
    from ingest.publish.objectstore import make_s3_client

    make_s3_client().create_bucket(Bucket=name)
    return f"s3://{name}/"


def upload(root: Path, store: ObjectStore) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            store.put(path.relative_to(root).as_posix(), path.read_bytes())


def make_runtime(tmp: Path, registry_url: str, store_url: str) -> Runtime:
    """A runtime on its own registry and store, with no partners (feeds are not under test)."""
    tmp.mkdir(parents=True, exist_ok=True)
    partners = tmp / "partners.yaml"
    partners.write_text("partners: []\n", encoding="utf-8")
    env = {"INGEST_HOME": str(tmp / "home"), "INGEST_REGISTRY_URL": registry_url,
           "INGEST_STORE_URL": store_url, "INGEST_PARTNERS_FILE": str(partners)}
    return Runtime(Settings.from_env(env))


def registry_state(url: str, *, exact: bool = True) -> dict[str, list[tuple[object, ...]]]:
    """Everything the registry knows about content, without wall-clock bookkeeping.

    ``exact=False`` leaves out what failing again changes (attempts, latest detail).
    """
    engine = create_engine(url)
    v, s, q, r = t.versions.c, t.stories.c, t.quarantine.c, t.raw_objects.c
    queries = {
        "versions": select(v.uri, v.version, v.status, v.content_hash, v.received_at, v.raw_key,
                           v.published_key, v.pending, v.same_as),
        "stories": select(s.uri, s.latest_version, s.status, s.killed, s.kill_version,
                          s.visible, s.feed_at),
        "quarantine": select(q.raw_key, q.source, q.reason,
                             *([q.detail, q.attempts] if exact else [])),
        "raw": select(r.key, r.size),
    }
    try:
        with engine.connect() as conn:
            return {name: sorted(tuple(row) for row in conn.execute(query))
                    for name, query in queries.items()}
    finally:
        engine.dispose()


def objects(store: ObjectStore, prefix: str) -> dict[str, bytes]:
    return {info.key: store.get(info.key) for info in store.list(prefix)}


def generate_stories(root: Path, count: int) -> None:
    """``count`` distinct NewsML-G2 stories (the v1 fixture with a varied id and headline)."""
    template = (FIXTURES / "g2-story-v1.xml").read_text(encoding="utf-8")
    folder = root / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = ARCHIVED_AT.timestamp()
    for n in range(count):
        text = template.replace("doc-39xk2ab", f"doc-gen{n:06d}").replace(
            "giant Baltic wind farm", f"wind farm number {n}"
        )
        path = folder / f"story-{n:06d}.xml"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (stamp, stamp))
