"""Reason codes: every failure of an item has one, and it is what quarantine records."""

from __future__ import annotations

import hashlib
import os
import sys
import traceback
from enum import StrEnum
from pathlib import PurePath


class Reason(StrEnum):
    """Why an item could not become a published article version."""

    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    UNKNOWN_FORMAT = "unknown_format"
    BAD_ENCODING = "bad_encoding"
    MALFORMED_XML = "malformed_xml"
    HOSTILE_XML = "hostile_xml"
    MALFORMED_JSON = "malformed_json"
    MALFORMED_HTML = "malformed_html"
    MISSING_ID = "missing_id"
    MISSING_HEADLINE = "missing_headline"
    MISSING_BODY = "missing_body"
    INVALID_FIELD = "invalid_field"
    UNSUPPORTED_ITEM = "unsupported_item"
    INVALID_NINJS = "invalid_ninjs"
    FETCH_FAILED = "fetch_failed"
    INTERNAL_ERROR = "internal_error"


class IngestError(Exception):
    """An item-level failure with a reason code and a detail an editor can read."""

    def __init__(self, reason: Reason, detail: str) -> None:
        detail = storable(detail[:2000])
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def storable(text: str) -> str:
    """``text`` as every store keeps it: NUL (PostgreSQL refuses it) and lone surrogates
    (no UTF-8 holds them) written as escapes, so a detail quoting bad input is recorded."""
    if text.isprintable():  # the usual detail: nothing to escape, no copy
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def crash_error(exc: BaseException) -> IngestError:
    """An unexpected exception as an ``INTERNAL_ERROR``, its detail led by a crash digest.

    The digest hashes the exception's type and the frames it went through, each as
    ``file:function`` with the file relative to its ``sys.path`` entry: not line numbers,
    which any edit above the crash moves, nor the message, which often quotes the item.
    So the same bug on any item, worker or checkout gives the same digest, and ops can
    group quarantine rows by it; the message follows for the one item at hand.
    """
    kind = type(exc)
    frames = [
        f"{_relative(frame.f_code.co_filename)}:{frame.f_code.co_qualname}"
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    ]
    signature = "\n".join([f"{kind.__module__}.{kind.__qualname__}", *frames])
    digest = hashlib.sha256(signature.encode("utf-8", "backslashreplace")).hexdigest()[:12]
    where = f" at {frames[-1]}" if frames else ""
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ fails is still reported
        message = "(message unprintable)"
    detail = f"crash {digest} {kind.__qualname__}{where}: {message}"
    return IngestError(Reason.INTERNAL_ERROR, detail)


def _relative(filename: str) -> str:
    """``/srv/app/.venv/lib/python3.11/site-packages/lxml/etree.pyx`` -> ``lxml/etree.pyx``."""
    roots = (p for p in sys.path if p and filename.startswith(p.rstrip(os.sep) + os.sep))
    root = max(roots, key=len, default=None)
    return filename[len(root.rstrip(os.sep)) + 1:] if root else PurePath(filename).name
