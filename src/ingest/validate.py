"""ninjs 3.1 validation against the official IPTC schema shipped in the package.

jsonschema-rs (a Rust JSON Schema engine) validates with formats checked (``date-time``,
``uri``) at about a microsecond a document, so validating every version on the way in and
again on the way out costs nothing next to parsing.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from ingest.errors import IngestError, Reason

NINJS_SCHEMA = "schemas/ninjs/ninjs-schema_3.1.json"
GEOJSON_URI = "https://geojson.org/schema/GeoJSON.json"


def load_schema(relative: str) -> dict[str, Any]:
    """A JSON schema shipped under ``ingest/schemas``."""
    text = resources.files("ingest").joinpath(relative).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def ninjs_validator() -> jsonschema_rs.Draft202012Validator:
    """The validator, built once, offline, with format checking on.

    The schema refers to GeoJSON's schema by URL for place geometry; ingest never fetches
    at run time, so that URL resolves to a local stand-in requiring a JSON object.
    """
    geojson = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    return jsonschema_rs.Draft202012Validator(
        load_schema(NINJS_SCHEMA),
        validate_formats=True,
        registry=jsonschema_rs.Registry([(GEOJSON_URI, geojson)]),
        offline=True,
    )


def ninjs_errors(document: dict[str, Any]) -> list[str]:
    """Every schema violation of ``document``, as ``path: message`` lines."""
    validator = ninjs_validator()
    if validator.is_valid(document):
        return []
    return [
        f"{'/'.join(str(p) for p in err.instance_path) or '(root)'}: {err.message}"
        for err in validator.iter_errors(document)
    ]


def validate_ninjs(document: dict[str, Any]) -> None:
    """Raise ``IngestError(INVALID_NINJS)`` unless ``document`` is valid ninjs 3.1."""
    errors = ninjs_errors(document)
    if errors:
        raise IngestError(Reason.INVALID_NINJS, "; ".join(errors[:5]))
