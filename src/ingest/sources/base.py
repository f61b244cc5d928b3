"""What a source hands the pipeline: raw bytes with a name, before anything is parsed."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import Reason


@dataclass(slots=True, frozen=True)
class RawItem:
    """One input as it arrived.

    ``name`` says where it came from (a path, a key, ``afp-api:<uno>``, a URL) and is what
    quarantine shows an editor; ``fmt`` is the format if the source knows it, else ``auto``.
    """

    source: str
    name: str
    data: bytes
    fmt: str = "auto"


@dataclass(slots=True, frozen=True)
class SourceFailure:
    """An input a source found but could not hand over (a zip bomb, an unreadable archive).

    Yielded in place of a ``RawItem`` so one bad file is quarantined under ``name`` with
    ``reason`` instead of stopping the run.
    """

    source: str
    name: str
    reason: Reason
    detail: str
