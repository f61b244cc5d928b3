"""The drop-folder source on a local directory and on S3 (moto over HTTP)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from memory_cursors import MemoryCursors

from ingest.errors import Reason
from ingest.publish.objectstore import open_store
from ingest.sources.base import RawItem, SourceFailure
from ingest.sources.drop import ArchiveLimits, DropFolderSource

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("folder/", b"")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write(root: Path, key: str, data: bytes, *, age: timedelta = timedelta(hours=1)) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def run(source: DropFolderSource) -> list[RawItem | SourceFailure]:
    return list(source.fetch())


def names(outcomes: list[RawItem | SourceFailure]) -> list[str]:
    return [outcome.name for outcome in outcomes]


def test_local_folder_in_order_once_each_with_archives(
    tmp_path: Path, cursors: MemoryCursors
) -> None:
    root = tmp_path / "store"
    gz = gzip.compress(b"<NewsML/>")
    write(root, "incoming/b.xml", b"<b/>")
    write(root, "incoming/a.xml", b"<a/>")
    write(root, "incoming/c.json.gz", gz)
    write(root, "incoming/d.zip", zip_bytes({"m2.xml": b"<m2/>", "m1.xml": b"<m1/>"}))
    write(root, "incoming/e.tar.gz", tar_gz_bytes({"x.xml": b"<x/>", "y.xml": b"<y/>"}))
    write(root, "incoming/f.xml.tmp", b"<half")
    write(root, "incoming/g.xml.part", b"<half")
    write(root, "incoming/.hidden.xml", b"<h/>")
    write(root, "incoming/h.xml", b"<fresh/>", age=timedelta(seconds=5))
    write(root, "elsewhere/z.xml", b"<z/>")
    store_url = root.as_uri()

    first = run(DropFolderSource(store_url, "incoming/", cursors=cursors, now=NOW))
    assert names(first) == [
        "incoming/a.xml", "incoming/b.xml", "incoming/c.json.gz",
        "incoming/d.zip!m2.xml", "incoming/d.zip!m1.xml",
        "incoming/e.tar.gz!x.xml", "incoming/e.tar.gz!y.xml",
    ]
    by_name = {item.name: item for item in first if isinstance(item, RawItem)}
    assert by_name["incoming/c.json.gz"].data == gz  # plain .gz passes through
    assert by_name["incoming/d.zip!m1.xml"].data == b"<m1/>"
    assert by_name["incoming/e.tar.gz!y.xml"].data == b"<y/>"
    assert {(item.source, item.fmt) for item in by_name.values()} == {("drop", "auto")}

    # the writer finishes: the .tmp is renamed, the fresh file has settled
    (root / "incoming/f.xml.tmp").rename(root / "incoming/f.xml")
    later = NOW + timedelta(minutes=2)
    second = run(DropFolderSource(store_url, "incoming/", cursors=cursors, now=later))
    assert names(second) == ["incoming/f.xml", "incoming/h.xml"]

    assert run(DropFolderSource(store_url, "incoming/", cursors=cursors, now=later)) == []


def test_a_changed_file_is_handed_over_again_once_it_settles(
    tmp_path: Path, cursors: MemoryCursors
) -> None:
    root = tmp_path / "store"
    path = write(root, "a.xml", b"<v1/>")
    assert names(run(DropFolderSource(open_store(root.as_uri()), cursors=cursors, now=NOW))) == [
        "a.xml"
    ]
    path.write_bytes(b"<v2 longer/>")  # rewritten now: same name, new content
    source = DropFolderSource(root.as_uri(), cursors=cursors, now=NOW, settle_seconds=60)
    assert run(source) == []  # young (its mtime is the real now, after NOW)
    stamp = (NOW - timedelta(hours=1)).timestamp()
    os.utime(path, (stamp, stamp))
    assert run(source) == []  # changed since the previous listing: wait one more round
    again = run(source)
    assert [(item.name, item.data) for item in again if isinstance(item, RawItem)] == [
        ("a.xml", b"<v2 longer/>")
    ]
    assert run(source) == []


def test_zip_bomb_and_broken_archives_become_failure_items(
    tmp_path: Path, cursors: MemoryCursors
) -> None:
    root = tmp_path / "store"
    write(root, "bomb.zip", zip_bytes({"ok.xml": b"<ok/>", "zeros.bin": bytes(1_000_000)}))
    write(root, "many.tar.gz", tar_gz_bytes({f"m{n}.xml": b"<m/>" for n in range(5)}))
    write(root, "broken.zip", b"PK\x03\x04 not really a zip")
    limits = ArchiveLimits(max_members=3, max_member_bytes=64 * 1024)
    outcomes = run(DropFolderSource(root.as_uri(), cursors=cursors, now=NOW, limits=limits))

    failures = {o.name: o for o in outcomes if isinstance(o, SourceFailure)}
    items = [o.name for o in outcomes if isinstance(o, RawItem)]
    assert items == ["bomb.zip!ok.xml", "many.tar.gz!m0.xml", "many.tar.gz!m1.xml",
                     "many.tar.gz!m2.xml"]
    assert failures["bomb.zip!zeros.bin"].reason is Reason.TOO_LARGE
    assert "larger than 65536 bytes" in failures["bomb.zip!zeros.bin"].detail
    assert failures["many.tar.gz"].reason is Reason.TOO_LARGE
    assert failures["broken.zip"].reason is Reason.UNKNOWN_FORMAT
    # refused files are done too: quarantine has them, the next run does not repeat them
    assert run(DropFolderSource(root.as_uri(), cursors=cursors, now=NOW, limits=limits)) == []


def test_s3_prefix_in_key_order_once_each(s3_bucket: str, cursors: MemoryCursors) -> None:
    client = boto3.client("s3")
    try:
        keys = [f"incoming/afp/{n:03d}.xml" for n in (7, 3, 11, 1)]
        for key in keys:
            client.put_object(Bucket=s3_bucket, Key=key, Body=key.encode())
        client.put_object(Bucket=s3_bucket, Key="incoming/afp/late.xml.part", Body=b"<")
        client.put_object(
            Bucket=s3_bucket, Key="incoming/afp/pack.zip", Body=zip_bytes({"p.xml": b"<p/>"})
        )
        url = f"s3://{s3_bucket}/incoming"
        real_now = datetime.now(UTC)

        young = DropFolderSource(url, "afp/", cursors=cursors, now=real_now, settle_seconds=600)
        assert run(young) == []  # everything was just written

        settled = real_now + timedelta(hours=1)
        first = run(DropFolderSource(url, "afp/", cursors=cursors, now=settled))
        assert names(first) == [
            "afp/001.xml", "afp/003.xml", "afp/007.xml", "afp/011.xml", "afp/pack.zip!p.xml",
        ]
        assert next(item.data for item in first if isinstance(item, RawItem)) == (
            b"incoming/afp/001.xml"
        )

        client.copy_object(
            Bucket=s3_bucket, Key="incoming/afp/late.xml",
            CopySource={"Bucket": s3_bucket, "Key": "incoming/afp/late.xml.part"},
        )
        second = run(DropFolderSource(url, "afp/", cursors=cursors, now=settled))
        assert names(second) == ["afp/late.xml"]
        assert run(DropFolderSource(url, "afp/", cursors=cursors, now=settled)) == []
    finally:
        client.close()


def test_now_must_be_aware(tmp_path: Path, cursors: MemoryCursors) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DropFolderSource(tmp_path.as_uri(), cursors=cursors, now=NOW.replace(tzinfo=None))
