"""A NewsML 1.2 story in the structure another newsroom system's AFP tests use
(``nml12-newsroom-mirror.xml``; see the fixtures README): the fields such a system checks."""

from __future__ import annotations

from datetime import UTC, datetime

from afp_helpers import only

SUBJECTCODE = "http://cv.iptc.org/newscodes/subjectcode/"


def test_slugline_urgency_usage_terms_subjects_and_version_time() -> None:
    item = only("nml12-newsroom-mirror.xml")
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20261127T140503Z:TX-PAR-QCD77"
    assert article.headline == "Swedish court puts Gotland shipyard into receivership"
    assert article.slugline == "Sweden-shipbuilder"
    assert article.urgency == 4
    assert article.usage_terms == "NO ARCHIVAL USE"
    assert article.dateline == "STOCKHOLM, Nov 27, 2026 (AFP) -"
    assert article.language == "en"
    # ThisRevisionCreated, not the DateId (14:05:03) the id was stamped with
    assert article.version_created == datetime(2026, 11, 27, 13, 54, 14, tzinfo=UTC)
    assert article.copyright_notice == "Copyright AFP 2026, all rights reserved"
    assert [g.name for g in article.genres] == ["business", "bankruptcy"]
    # Five distinct Subject Codes (04000000 twice in the file), each with IPTC's name
    codes = {s.uri: s.name for s in article.subjects if (s.uri or "").startswith(SUBJECTCODE)}
    assert codes == {
        SUBJECTCODE + "04011002": "automotive equipment",
        SUBJECTCODE + "04016007": "bankruptcy",
        SUBJECTCODE + "04000000": "economy, business and finance",
        SUBJECTCODE + "04016038": "quarterly or semiannual financial statement",
        SUBJECTCODE + "04011000": "manufacturing and engineering",
    }
    assert [s.text for s in item.stripped] == ["ilo/bc"]
    assert article.body_text.endswith("builds ferries for Baltic operators.")
