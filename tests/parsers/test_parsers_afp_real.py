"""Real AFP NewsML 1.2 items (Arabic desk; ``tests/fixtures/afp-real/README.md``): every
one is a clean article. Expected values were read off the files by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.model import Article, Rendition
from ingest.parsers import ParsedItem, parse_bytes
from ingest.parsers.identity import ALERT_GENRE
from ingest.validate import validate_ninjs

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "afp-real"
ALERT_URI = ALERT_GENRE[2]


def parse(name: str, source: str | None = None) -> ParsedItem:
    [item] = list(parse_bytes((REAL / name).read_bytes(), source=source or name))
    assert isinstance(item, ParsedItem), item
    validate_ninjs(item.article.to_ninjs())
    return item


def genre_uris(article: Article) -> list[str | None]:
    return [g.uri for g in article.genres]


# file stem, sentence (the alert's headline and body), sign-off, City, Country, keywords
ALERTS = [
    ("20231124T192141Z-TX-PAR-EWE94",
     'ماكرون يعرب عن "تصميمه" على تأمين إطلاق سراح رهائن فرنسيين محتجزين في غزة',
     "ففف/ح س/كام", "باريس", "FRA", ["تنبيه", "نزاعات"]),
    ("20231125T073654Z-TX-PAR-EWK46", "كييف تؤكد إسقاط 71 مسيّرة روسية ليل الجمعة السبت",
     "بور/غ ر/نور", "كييف", "UKR", ["تنبيه", "نزاعات"]),
    ("20231125T084058Z-TX-PAR-EWK98",
     "اسرائيل ستفرج السبت عن 42 معتقلا فلسطينيا (السلطات الإسرائيلية)",
     "دمس-دلا/غ ر/كام", "القدس", "ZZZ", ["تنبيه", "معتقلون", "نزاعات"]),
    ("20231125T140148Z-TX-PAR-EWO42",
     'رئيس مؤتمر كوب28: على كل الصناعات "المساهمة" في خفض الانبعاثات و"الخضوع للمحاسبة"',
     "بل-اكو/غ ر/كام", "باريس", "FRA", ["تنبيه", "بيئة"]),
    ("20231125T162909Z-TX-PAR-EWR79",
     'حماس تقرر تأخير إطلاق الدفعة الثانية من الرهائن "حتى يلتزم الاحتلال ببنود الاتفاق"',
     "ع ز/ماب/ب ق", "غزة", "PSE", ["تنبيه"]),
    ("20231125T210238Z-TX-PAR-EWX15",
     "القسام تعلن تسليمها 13 رهينة اسرائيلية و7 من حملة الجنسيات الأجنبية للصليب الاحمر",
     "ع ز/ماب/ب ق", "غزة", "PSE", ["تنبيه"]),
    ("20231125T224158Z-TX-PAR-EWY92",
     "سلطات السجون الإسرائيلية تعلن إطلاق سراح 39 فلسطينيا بموجب الاتفاق مع حماس",
     "ميب/ح س/جص", "القدس", "ZZZ", ["تنبيه", "معتقلون", "مفقودون"]),
    ("20231126T081338Z-TX-PAR-EXB04",
     "هجوم على مخزن أسلحة في عاصمة سيراليون والحكومة تعلن حظرا للتجول في البلاد",
     "سب-لال/كام/شي", "فريتاون", "SLE", ["تنبيه"]),
    ("20231126T092043Z-TX-PAR-EXB75",
     "روسيا تعلن اعتراض صاروخين أوكرانيين متّجهين نحو أراضيها فوق بحر آزوف",
     "بور/كام/نور", "موسكو", "RUS", ["تنبيه"]),
    ("20231126T101432Z-TX-PAR-EXC25",
     "كتائب القسام تعلن مقتل أربعة من قادتها العسكريين في قطاع غزة",
     "ع ز-دلا/كام/نور", "قطاع غزة", "PSE", ["تنبيه", "نزاعات"]),
    ("20231126T144154Z-TX-PAR-EXF92",
     "حماس تعلن أنها أفرجت عن رهينة روسية وسلمتها الى الصليب الأحمر",
     "ماب/رض", "غزة", "PSE", ["تنبيه"]),
    ("20231126T153841Z-TX-PAR-EXH29",
     'نتانياهو في غزة ويقول لجنوده "سنستمر حتى النهاية الى أن يتم تحقيق النصر"',
     "ماب/نور", "غزة", "PSE", ["تنبيه"]),
    ("20231126T164352Z-TX-PAR-EXJ09",
     "الجيش الإسرائيلي يعلن وصول 13 رهينة الى اسرائيل وأربعة آخرون في طريقهم اليها",
     "ماب/ب ق", "القدس", "ZZZ", ["تنبيه"]),
]


@pytest.mark.parametrize(("stem", "sentence", "signoff", "city", "country", "keywords"), ALERTS)
def test_a_real_alert_is_published_with_its_sentence_as_headline(
    stem: str, sentence: str, signoff: str, city: str, country: str, keywords: list[str]
) -> None:
    item = parse(f"afp.com-{stem}.xml")
    article = item.article
    date_id, item_id = stem.split("-", 1)
    assert article.uri == f"urn:newsml:afp.com:{date_id}:{item_id}"  # no ":1" revision
    assert article.alt_ids["afp-public-identifier"] == f"{article.uri}:1"
    assert article.version == 1
    assert article.pub_status == "usable"
    assert article.urgency == 2
    assert article.language == "ar"
    assert article.headline == sentence
    assert article.body_text == sentence
    assert [(s.kind, s.text) for s in item.stripped] == [("signoff", signoff)]
    assert genre_uris(article) == [ALERT_URI]
    assert article.slugline == "تنبيه"
    assert article.dateline is None  # alerts carry no DateLine
    assert (article.located, article.country) == (city, country)
    assert article.keywords == keywords
    assert article.copyright_holder == "AFP"
    assert article.copyright_notice == "© AFP 2023"
    assert article.pictures == []
    created = datetime.strptime(date_id, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert article.version_created == created == article.first_created


def test_a_subscription_notice_keeps_its_headline() -> None:
    item = parse("afp.com-20231125T000001Z-TX-PAR-EWI57.xml")
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20231125T000001Z:TX-PAR-EWI57"
    assert article.headline == "مذكرة"
    assert article.urgency == 4
    assert article.dateline == "نيقوسيا, 25-11-2023 (أ ف ب) -"
    assert (article.located, article.country) == ("نيقوسيا", "CYP")
    assert article.body_text == (
        "يمنع استخدام مواد النشرة الإخبارية من دون عقد اشتراك مع وكالة فرانس برس."
    )
    assert [s.text for s in item.stripped] == ["ا ف ب/جص"]  # spaces inside a group
    assert genre_uris(article) == []


def test_an_urgent_story_of_two_paragraphs() -> None:
    item = parse("afp.com-20231126T171119Z-TX-PAR-EXJ82.xml")
    article = item.article
    assert article.headline == "بايدن يعلن إفراج حماس عن طفلة أميركية في عامها الرابع"
    assert article.urgency == 3
    assert article.slugline == "الولايات/المتحدة/اسرائيل/فلسطينيون/نزاع"
    assert article.keywords == ["الولايات المتحدة", "اسرائيل", "فلسطينيون", "نزاع"]
    assert article.dateline == "نانتوكت (الولايات المتحدة), 26-11-2023 (أ ف ب) -"
    assert article.body_text.split("\n\n") == [
        "اعلن الرئيس جو بايدن أن حركة حماس افرجت الاحد عن رهينة أميركية هي طفلة في عامها الرابع"
        " اسمها أبيغايل.",
        'وقال بايدن في كلمة من ولاية ماساشوستس "إنها حرة وهي في اسرائيل".',
    ]
    assert [s.text for s in item.stripped] == ["كجك/ب ق/ود"]
    assert genre_uris(article) == []


def test_a_coverage_programme_keeps_its_topic_line_and_notes() -> None:
    """The topic line opens the body and has the sign-off's slashes but not its place; the
    desk's "(زاوية)" (angle) and "تم بثه" (sent) lines are the programme's own content."""
    item = parse("afp.com-20231126T200505Z-TX-PAR-EXN70.xml")
    article = item.article
    assert article.headline == "موضوع إضافي متوقع الأحد 26 تشرين الثاني/نوفمبر 2023"
    assert [g.name for g in article.genres] == ["Program", "TextProgram"]
    paragraphs = article.body_text.split("\n\n")
    assert paragraphs[:2] == ["اسرائيل/فلسطينيون/نزاع", "قطاع غزة"]
    assert paragraphs[-2:] == ["(زاوية)", "تم بثه"]
    assert len(paragraphs) == 5
    assert [s.text for s in item.stripped] == ["اف ب/ب ق/ود"]


SPORT = "newsmlmmd.urn.newsml.afp.com.{}.xml"


def test_a_sport_story_with_a_photo_from_a_web_location() -> None:
    name = SPORT.format("20200613.doc.1te5rk")
    base = "https://wire.example.com/afp/arabic/journal/sport/"
    item = parse(name, source=base + name)
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20200613:doc-1te5rk"
    assert article.version == 1
    assert article.urgency == 4  # the envelope's Priority: the item has no Urgency
    assert article.language == "ar"
    assert article.headline == "دوري المحترفين: ايرفينغ ضد خطة الاستئناف في أورلاندو"
    assert article.slugline == "Basket-NBA-health-virus"
    assert article.dateline == "نيويورك (أ ف ب)"
    assert (article.located, article.country) == ("نيويورك", "USA")
    assert article.copyright_notice == "© 2020 AFP"
    assert article.version_created == datetime(2020, 6, 13, 22, 29, 35, tzinfo=UTC)
    assert len(article.body_text.split("\n\n")) == 8
    assert item.stripped == []  # the sport desk's files carry no sign-off
    [photo] = article.pictures
    assert photo.uri == f"{article.uri}#photo0"
    assert photo.caption == (
        "كايري ايرفينغ نجم فريق بروكلين نيتس الأميركي لكرة السلة في صورة مؤرخة في 12 كانون"
        " الثاني/يناير 2020."
    )
    assert photo.by == "مايك ستوبي"
    assert photo.credit == "غيتي/ا ف ب/ارشيف"
    assert photo.copyright_holder is None  # Getty's photo, distributed by AFP: not AFP's own
    # no MimeType: each file's type is what its <Format FormalName="JPG"/> names
    assert photo.renditions == [
        Rendition("HighDef", base + "05fc7dfa695bda66a5b87fcffe6cf481a8339808.jpg",
                  "image/jpeg", 768, 512, 73807),
        Rendition("Quicklook", base + "07fc05809938054413b59201b9480ee4a25cd280.jpg",
                  "image/jpeg", 245, 163, 10676),
        Rendition("Thumbnail", base + "84ddc09a96d5212acde5374e3d388a0364d27b4f.jpg",
                  "image/jpeg", 110, 73, 3796),
    ]
    [association] = article.to_ninjs()["associations"]
    assert [r["href"] for r in association["renditions"]] == [r.href for r in photo.renditions]
    assert {r["contentType"] for r in association["renditions"]} == {"image/jpeg"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ('<Format FormalName="PNG"/>', "image/png"),
        ('<Format FormalName="jpeg baseline"/>', "image/jpeg"),
        ('<Format FormalName="XYZ"/>', None),  # a format nobody maps: type unknown
        ('<MimeType FormalName="image/webp"/><Format FormalName="JPG"/>', "image/webp"),
    ],
)
def test_a_photo_files_type_from_its_mime_type_else_its_format(
    given: str, expected: str | None
) -> None:
    """The real file's ContentItems say ``<Format FormalName="JPG"/>`` and no MimeType;
    the variants change that one element of the first photo file."""
    name = SPORT.format("20200613.doc.1te5rk")
    raw = (REAL / name).read_bytes()
    jpg = b'<Format FormalName="JPG"/>'
    assert raw.count(jpg) == 3
    [item] = parse_bytes(raw.replace(jpg, given.encode(), 1), source=name)
    assert isinstance(item, ParsedItem)
    [photo] = item.article.pictures
    assert [r.content_type for r in photo.renditions] == [expected, "image/jpeg", "image/jpeg"]


def test_two_photos_of_a_revised_story_credited_to_afp() -> None:
    item = parse(SPORT.format("20231126.doc.34629lc"))
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20231126:doc-34629lc"
    assert article.version == 2
    assert article.signals == ["update"]
    assert article.version_created == datetime(2023, 11, 26, 20, 44, 39, tzinfo=UTC)
    assert article.first_created == datetime(2023, 11, 26, 19, 32, 52, tzinfo=UTC)
    assert article.slugline == "قدم-اسبانيا-بطولة"
    assert [p.by for p in article.pictures] == ["كريستينا كيكلر", "اندر غيينيا"]
    assert [p.credit for p in article.pictures] == ["ا ف ب", "ا ف ب"]
    assert [p.copyright_holder for p in article.pictures] == ["AFP", "AFP"]
    assert [[(r.name, r.width, r.height) for r in p.renditions] for p in article.pictures] == [
        [("HighDef", 768, 512), ("Quicklook", 245, 163), ("Thumbnail", 110, 73)],
        [("HighDef", 591, 768), ("Quicklook", 188, 245), ("Thumbnail", 77, 100)],
    ]


def test_photo_files_beside_a_dropped_or_stored_item_stay_in_the_record_only() -> None:
    """A drop-folder or S3 sibling is no address a partner can fetch: the record keeps it
    (for copying the file into the store), the ninjs association goes without."""
    name = SPORT.format("20230919.doc.33ul3px")
    for source, folder in [
        (f"drop/arabic/{name}", "drop/arabic/"),
        (f"s3://wire-bucket/afp/{name}", "s3://wire-bucket/afp/"),
        (f"archive.zip!afp/{name}", "archive.zip!afp/"),
    ]:
        article = parse(name, source=source).article
        assert [r.href for p in article.pictures for r in p.renditions][::3] == [
            folder + "7b0be812ee9006bb55d432c29f96858fd5adf523.jpg",
            folder + "d7a2929951577e2953aefb3969615cfc170c9610.jpg",
        ]
        associations = article.to_ninjs()["associations"]
        assert len(associations) == 2
        assert all("renditions" not in a for a in associations)
        assert Article.from_record(article.to_record()).pictures == article.pictures


def test_a_photo_story_of_the_sport_desk() -> None:
    item = parse(SPORT.format("20231126.doc.344y83e"))
    article = item.article
    assert article.headline == "بطولة ألمانيا: الكرواتي بييلتسا مدربا جديدا لأونيون برلين"
    assert article.slugline == "fbl-Fbl-Eur-C1-Fbl-Eur-C1-fbl"
    assert (article.located, article.country) == ("برلين", "DEU")
    assert article.body_text.endswith("من دون فوز في 14 مباراة.")
    [photo] = article.pictures
    assert photo.caption == (
        "تعيين نيناد بييلتسا مدربًا لفريق يونيون برلين في الدوري الألماني لكرة القدم"
    )
    assert photo.credit == "ا ف ب/ا ف ب"
    assert photo.copyright_holder == "AFP"
    assert [r.size_in_bytes for r in photo.renditions] == [118336, 19373, 6417]


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.xml")))
def test_every_real_item_is_clean(name: str) -> None:
    article = parse(name).article
    assert article.copyright_holder == "AFP"
    assert not article.uri.endswith((":1", ":2"))
    last_word = article.body_text.split()[-1]
    assert "/" not in last_word  # no sign-off left at the end of the body
