"""Article versions for registry tests: content follows from (uri, version, status)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.model import Article, PubStatus

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def article(
    uri: str,
    version: int,
    status: PubStatus = "usable",
    *,
    headline: str | None = None,
    created: datetime | None = None,
    embargo: datetime | None = None,
    correction: bool = False,
    language: str = "en",
) -> Article:
    """A version whose content differs from every other (uri, version) unless told."""
    return Article(
        uri=uri,
        version=version,
        pub_status=status,
        version_created=created or T0 + timedelta(minutes=version),
        embargoed_until=embargo,
        headline=headline or f"{uri} v{version} {status}",
        body_html=f"<p>Body of {uri} at version {version}.</p>",
        language=language,
        signals=["correction"] if correction else [],
        ed_note=f"CORRECTS version {version - 1}" if correction else None,
        provider="AFP",
    )
