"""What every parser returns, and the seam each format plugs into."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ingest.errors import Reason
from ingest.model import Article


@dataclass(slots=True, frozen=True)
class Stripped:
    """One block removed from the input, kept for the editor's audit."""

    kind: str
    text: str


@dataclass(slots=True)
class ParsedItem:
    """An article parsed from raw bytes, with the audit of what cleaning removed."""

    article: Article
    stripped: list[Stripped] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class ParseFailure:
    """One item of the input that could not be parsed; ``ref`` locates it in the input."""

    reason: Reason
    detail: str
    ref: str = ""


ParseOutcome = ParsedItem | ParseFailure


class Parser(Protocol):
    """Raw bytes of one input file -> its items.

    A whole-file failure raises ``IngestError``; a failure of one item in a multi-item
    file (an API Core page, a newsMessage) is yielded as a ``ParseFailure`` so the other
    items still go through.
    """

    name: str

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]: ...
