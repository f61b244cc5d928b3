"""Reason codes: every failure of an item has one, and it is what quarantine records."""

from __future__ import annotations

from enum import StrEnum


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
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:2000]
