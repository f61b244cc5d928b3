"""ninjs 3.1 validation against the official IPTC schema shipped in the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ingest.errors import IngestError, Reason

NINJS_SCHEMA = "schemas/ninjs/ninjs-schema_3.1.json"
GEOJSON_URI = "https://geojson.org/schema/GeoJSON.json"


def load_schema(relative: str) -> dict[str, Any]:
    """A JSON schema shipped under ``ingest/schemas``."""
    text = resources.files("ingest").joinpath(relative).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def ninjs_validator() -> Draft202012Validator:
    """The validator, built once: the schema with format checking on.

    The schema refers to GeoJSON's schema by URL for place geometry; ingest never fetches
    at run time, so that URL resolves to a local stand-in requiring a JSON object.
    """
    geojson = Resource.from_contents(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    )
    registry: Registry[Any] = Registry().with_resource(GEOJSON_URI, geojson)
    return Draft202012Validator(
        load_schema(NINJS_SCHEMA),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def ninjs_errors(document: dict[str, Any]) -> list[str]:
    """Every schema violation of ``document``, as ``path: message`` lines."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in ninjs_validator().iter_errors(document)
    ]


def validate_ninjs(document: dict[str, Any]) -> None:
    """Raise ``IngestError(INVALID_NINJS)`` unless ``document`` is valid ninjs 3.1."""
    errors = ninjs_errors(document)
    if errors:
        raise IngestError(Reason.INVALID_NINJS, "; ".join(errors[:5]))
