"""The hostile corpus: generated at test time, plus the hand-written files in ``inputs/``.

Generated inputs are every field payload in every field of every format (NewsML-G2,
NewsML 1.2, API Core JSON, HTML, text), then attacks on the document itself: entities
(file, http, bombs, quadratic blowup), XInclude, deep nesting, oversize, broken and
mislabelled encodings, BOMs, control characters, missing fields, odd dates and ids
that try to climb out of object keys. Each input has a unique name so failures name it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from wire_items import api_doc, api_page, esc, g2, g2_picture, html_page, newsml12

from ingest.sources.base import RawItem

INPUTS = Path(__file__).resolve().parent / "inputs"
GUID = "urn:newsml:afp.com:20261127T083012Z:doc-h{n}"
PIC = "urn:newsml:afp.com:20261127T081544Z:pic-h{n}"
PARA = "<p>The council met on Friday and agreed the plan after a long debate in the hall.</p>"

# Text that must come out inert wherever it lands (headline, body, byline, credit, ...).
PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>Text",
    "script-upper": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>Text",
    "iframe": '<iframe src="https://evil.example/"></iframe>Text',
    "img-onerror": '<img src=x onerror="alert(1)">Text',
    "body-onload": "<body onload=alert(1)>Text",
    "a-javascript": '<a href="javascript:alert(1)">click</a>',
    "a-javascript-mixed": '<a href=" JaVaScRiPt:alert(1)">click</a>',
    "a-javascript-entity": '<a href="jav&#x09;ascript:alert(1)">click</a>',
    "svg-script": '<svg onload="alert(1)"><script>alert(2)</script></svg>Text',
    "math-xlink": '<math><a xlink:href="javascript:alert(1)">x</a></math>',
    "style-expression": '<p style="background:url(javascript:alert(1))">Text</p>',
    "object-embed": '<object data="x.swf"></object><embed src="x.swf">Text',
    "form": '<form action="javascript:alert(1)"><input onfocus=alert(1) autofocus></form>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">Text',
    "cdata-end": "Headline with ]]> inside ]]>",
    "lt-amp": "Profits < forecast & shares > 5 <b",
    "entity-text": "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;",
    "control": "Ctrl\x01\x02\x07\x08\x0b\x0c\x1b\x7f chars",
    "nul": "Nul\x00byte",
    "unicode-seps": "Line\u2028sep\u2029para\u200b\ufeffzw\u202eRTL",
    "noncharacters": "Non\ufffe\uffff chars",
    "overlong": "Long " * 30_000,
    "emoji": "Wind 🌬️ farm 🇸🇪 über",
    "quotes": "\"'`${{7*7}}<%= 7 %>",
    "xml-decl": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]>&e;',
}

# Fields each format can carry, as functions (payload, n) -> bytes.
Builder = Callable[[str, int], bytes]


def xml_text(value: str) -> str:
    """A payload as XML text: escaped, and without the C0 controls XML 1.0 cannot carry."""
    return esc("".join(c for c in value if c in "\t\n\r" or c >= " "))


def _g2_builders() -> dict[str, Builder]:
    def with_picture(n: int, caption: str = "A caption", credit: str = "AFP") -> dict[str, str]:
        pic = PIC.format(n=n)
        return {
            "picture": g2_picture(pic, caption=caption, credit=credit,
                                  href=f"https://media.example/{n}.jpg"),
            "see_also": pic,
        }

    return {
        "headline": lambda p, n: g2(GUID.format(n=n), headline=xml_text(p) or "x", body=PARA),
        "body-text": lambda p, n: g2(GUID.format(n=n), body=f"<p>{xml_text(p)}</p>{PARA}"),
        "body-markup": lambda p, n: g2(GUID.format(n=n), body=f"<p>{p}</p>{PARA}"),
        "byline": lambda p, n: g2(GUID.format(n=n), byline=xml_text(p), body=PARA),
        "usage": lambda p, n: g2(GUID.format(n=n), usage=xml_text(p), body=PARA),
        "ed-note": lambda p, n: g2(GUID.format(n=n), ed_note=xml_text(p), body=PARA),
        "caption": lambda p, n: g2(GUID.format(n=n), body=PARA, **with_picture(n, xml_text(p))),
        "credit": lambda p, n: g2(
            GUID.format(n=n), body=PARA, **with_picture(n, credit=xml_text(p))
        ),
    }


def _nml12_builders() -> dict[str, Builder]:
    return {
        "headline": lambda p, n: newsml12(f"doc-n{n}", headline=xml_text(p) or "x", body=PARA),
        "body-text": lambda p, n: newsml12(f"doc-n{n}", body=f"<p>{xml_text(p)}</p>{PARA}"),
        "body-markup": lambda p, n: newsml12(f"doc-n{n}", body=f"<p>{p}</p>{PARA}"),
        "byline": lambda p, n: newsml12(f"doc-n{n}", byline=xml_text(p), body=PARA),
    }


def _api_builders() -> dict[str, Builder]:
    def page(n: int, **fields: object) -> bytes:
        return api_page(api_doc(f"newsml.afp.com.20261127T083012Z.doc-a{n}", **fields))

    news = [PARA[3:-4]]
    return {
        "headline": lambda p, n: page(n, headline=p),
        "news": lambda p, n: page(n, news=[p, *news]),
        "creator": lambda p, n: page(n, creator=p),
        "advisory": lambda p, n: page(n, advisory=p),
        "summary": lambda p, n: page(n, summary=[p]),
        "caption": lambda p, n: page(n, bagItem=[{
            "uno": f"newsml.afp.com.20261127T081544Z.pic-a{n}", "caption": p, "creditLine": p,
            "medias": [{"role": "HighDef", "type": "image/jpeg",
                        "href": f"https://media.example/{n}.jpg"}],
        }]),
    }


def _html_builders() -> dict[str, Builder]:
    body = PARA * 3
    return {
        "title": lambda p, n: html_page(title=esc(p) + f" {n}", body=body),
        "body-markup": lambda p, n: html_page(title=f"Story {n}", body=f"<p>{p}</p>{body}"),
    }


def _text_builders() -> dict[str, Builder]:
    body = "\n\n".join([PARA[3:-4]] * 3)
    return {
        "title": lambda p, n: f"{p} {n}\n\n{body}".encode(),
        "body": lambda p, n: f"Story {n}\n\n{p}\n\n{body}".encode(),
    }


FORMATS: dict[str, tuple[str, Callable[[], dict[str, Builder]]]] = {
    "g2": ("newsml-g2", _g2_builders),
    "nml12": ("afp-newsml12", _nml12_builders),
    "api": ("afp-api", _api_builders),
    "html": ("html", _html_builders),
    "text": ("text", _text_builders),
}


def field_payloads() -> Iterator[RawItem]:
    """Every payload in every field of every format."""
    n = 0
    for short, (fmt, builders) in FORMATS.items():
        for field, build in builders().items():
            for name, payload in PAYLOADS.items():
                n += 1
                yield RawItem("hostile", f"{short}/{field}/{name}", build(payload, n), fmt)


def document_attacks(fetch_url: str, cap: int) -> Iterator[RawItem]:
    """Attacks on the document: entities, nesting, size, encodings, fields, dates, ids."""
    guid = "urn:newsml:afp.com:20261127T083012Z:doc-d{}".format
    doctype = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE newsMessage [{}]>\n'.format
    entity_cases = {
        "xxe-file": ('<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;"),
        "xxe-http": (f'<!ENTITY x SYSTEM "{fetch_url}/xxe">', "&x;"),
        "xxe-param-http": (f'<!ENTITY % p SYSTEM "{fetch_url}/param"> %p;', "x"),
        "billion-laughs": (
            '<!ENTITY a "aaaaaaaaaa">' + "".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
            ),
            "&j;",
        ),
        "quadratic": ('<!ENTITY q "' + "q" * 20_000 + '">', "&q;" * 5_000),
        "internal-entity": ('<!ENTITY e "harmless">', "&e;"),
    }
    for i, (name, (decl, ref)) in enumerate(entity_cases.items()):
        for where, fmt in (("g2", "newsml-g2"), ("nml12", "afp-newsml12")):
            data = (
                g2(guid(i), prolog=doctype(decl), headline=f"H {ref}", body=PARA)
                if where == "g2"
                else newsml12(f"doc-e{i}", prolog=doctype(decl).replace("newsMessage", "NewsML"),
                              headline=f"H {ref}", body=PARA)
            )
            yield RawItem("hostile", f"{where}/doc/{name}", data, fmt)
    xinclude = (
        f'<p><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        f'parse="text"/></p><p><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="{fetch_url}/xinclude" parse="text"/></p>{PARA}'
    )
    yield RawItem("hostile", "g2/doc/xinclude", g2(guid(20), body=xinclude), "newsml-g2")
    yield RawItem("hostile", "g2/doc/xml-stylesheet",
                  g2(guid(21), prolog=f'<?xml-stylesheet href="{fetch_url}/xsl"?>', body=PARA),
                  "newsml-g2")
    yield RawItem("hostile", "g2/doc/schema-location", g2(guid(22), body=PARA).replace(
        b"<newsMessage ", f'<newsMessage xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{fetch_url}/xsd x.xsd" '.encode(), 1), "newsml-g2")
    deep = "<div>" * 15_000 + "deep" + "</div>" * 15_000
    yield RawItem("hostile", "g2/doc/deep-nesting", g2(guid(23), body=deep + PARA), "newsml-g2")
    yield RawItem("hostile", "html/doc/deep-nesting",
                  html_page(title="Deep", body=deep + PARA * 3), "html")
    yield RawItem("hostile", "api/doc/deep-nesting",
                  b'{"response": {"docs": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}", "afp-api")
    big = PARA * (cap // len(PARA) + 10)
    for short, fmt, data in (
        ("g2", "newsml-g2", g2(guid(24), body=big)),
        ("nml12", "afp-newsml12", newsml12("doc-big", body=big)),
        ("api", "afp-api", api_page(api_doc("newsml.afp.com.20261127T083012Z.doc-big",
                                            news=[big]))),
        ("html", "html", html_page(title="Big", body=big)),
        ("text", "text", big.encode()),
    ):
        assert len(data) > cap
        yield RawItem("hostile", f"{short}/doc/oversize", data, fmt)
    base = g2(guid(25), headline="Café über naïve", body=PARA)
    encodings = {
        "invalid-utf8": base.replace(b"Caf\xc3\xa9", b"Caf\xff\xfe\xc3"),
        "latin1-declared-utf8": base.replace("Café".encode(), "Café".encode("latin-1")),
        "utf8-declared-latin1": base.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
        "utf8-declared-utf16": base.replace(b'encoding="UTF-8"', b'encoding="UTF-16"'),
        "utf8-declared-bogus": base.replace(b'encoding="UTF-8"', b'encoding="X-NOPE"'),
        "bom-utf8": b"\xef\xbb\xbf" + base,
        "bom-utf16le": b"\xff\xfe" + base.decode().replace("UTF-8", "UTF-16").encode("utf-16-le"),
        "bom-utf16be": b"\xfe\xff" + base.decode().replace("UTF-8", "UTF-16").encode("utf-16-be"),
        "bom-utf8-declared-utf16": b"\xef\xbb\xbf" + base.replace(b"UTF-8", b"UTF-16"),
        "nul-in-middle": base.replace(b"<contentMeta>", b"<contentMeta>\x00"),
        "control-in-text": base.replace(b"Caf", b"Ca\x01\x1b"),
        "truncated": base[: len(base) // 2],
        "empty": b"",
        "whitespace": b" \n\t ",
        "binary": bytes(range(256)) * 4,
        "gzip-bomb": gzip.compress(b"<" * 50_000_000),
    }
    for name, data in encodings.items():
        yield RawItem("hostile", f"g2/enc/{name}", data, "auto")
    api = api_doc("newsml.afp.com.20261127T083012Z.doc-enc", headline="Café über")
    text = json.dumps(api, ensure_ascii=False)
    for name, data in {
        "invalid-utf8": text.encode().replace(b"Caf\xc3\xa9", b"Caf\xff"),
        "latin1": text.encode("latin-1"),
        "bom-utf8": b"\xef\xbb\xbf" + text.encode(),
        "utf16": text.encode("utf-16"),
        "lone-surrogate": text.replace("Café", "Caf\\ud800").encode(),
        "nul-escaped": text.replace("Café", "Caf\\u0000").encode(),
        "truncated": text.encode()[:50],
        "not-object": b"[1, 2, 3]",
        "wrong-types": json.dumps(api_doc("x-types", headline=["a", 1], news="s",
                                          revision="two", urgency={"a": 1})).encode(),
        "huge-number": json.dumps(api_doc("x-num", revision=10**40)).encode(),
        "negative-revision": json.dumps(api_doc("x-neg", revision=-3)).encode(),
        "duplicate-keys": b'{"uno": "x-dup", "headline": "a", "headline": "b", "news": ["p"]}',
    }.items():
        yield RawItem("hostile", f"api/enc/{name}", data, "auto")
    html_base = html_page(title="Café über naïve story", body=PARA * 3)
    for name, data in {
        "invalid-utf8": html_base.replace(b"Caf\xc3\xa9", b"Caf\xff"),
        "meta-charset-lies": html_base.replace(b"<head>", b'<head><meta charset="utf-16">'),
        "latin1-no-charset": html_base.decode().encode("latin-1"),
        "bom-utf16": b"\xff\xfe" + html_base.decode().encode("utf-16-le"),
        "nul-bytes": html_base.replace(b"<article>", b"<article>\x00\x00"),
        "base-javascript": html_base.replace(b"<head>", b'<head><base href="javascript:x">'),
        "refresh": html_base.replace(
            b"<head>", b'<head><meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
        "og-image-javascript": html_base.replace(
            b"<head>", b'<head><meta property="og:image" content="javascript:alert(1)">'),
        "img-data-uri": html_base.replace(
            b"<article>", b'<article><img src="data:text/html;base64,PHNjcmlwdD4=">'),
        "srcset": html_base.replace(
            b"<article>", b'<article><img srcset="javascript:alert(1) 1x" src="a.jpg">'),
        "template-noscript": html_base.replace(
            b"<article>", b"<article><noscript><p>x</p><script>alert(1)</script></noscript>"),
    }.items():
        yield RawItem("hostile", f"html/enc/{name}", data, "html")
    for name, data in {
        "invalid-utf8": b"Caf\xff title\n\n" + PARA[3:-4].encode() * 3,
        "utf16-bom": ("Title\n\n" + PARA[3:-4] * 3).encode("utf-16"),
        "nul": b"Ti\x00tle\n\n" + PARA[3:-4].encode() * 3,
        "only-blank-lines": b"\n" * 10_000,
    }.items():
        yield RawItem("hostile", f"text/enc/{name}", data, "text")
    # Required fields, dates, versions and ids.
    g2_fields = {
        "no-guid": g2("", body=PARA),
        # No headline and no usable text (a sign-off only): with text it would be an alert.
        "no-headline": g2(guid(30), headline="", body="<p>jm/rl</p>"),
        "no-body": g2(guid(31), body=""),
        "date-1970": g2(guid(32), created="1970-01-01T00:00:00Z", body=PARA),
        "date-future": g2(guid(33), created="2999-12-31T23:59:59Z", body=PARA),
        "date-invalid": g2(guid(34), created="2026-13-45T99:00:00Z", body=PARA),
        "date-year-0": g2(guid(35), created="0000-01-01T00:00:00Z", body=PARA),
        "version-negative": g2(guid(36), version=-1, body=PARA),
        "version-huge": g2(guid(37), version=10**30, body=PARA),
        "status-unknown": g2(guid(38), status="bogus", body=PARA),
        "guid-traversal": g2("../../etc/passwd", body=PARA),
        "guid-absolute": g2("/etc/passwd", body=PARA),
        "guid-windows": g2("..\\..\\windows\\win.ini", body=PARA),
        "guid-url-encoded": g2("%2e%2e%2f%2e%2e%2fetc%2fpasswd", body=PARA),
        "guid-long": g2("urn:x:" + "a" * 5000, body=PARA),
        "lang-bogus": g2(guid(39), lang="../../x", body=PARA),
    }
    for name, data in g2_fields.items():
        yield RawItem("hostile", f"g2/field/{name}", data, "newsml-g2")
    api_fields = {
        "no-uno": {"headline": "h", "news": ["p"]},
        "no-headline": api_doc("x-nohead", headline=None),
        "no-news": api_doc("x-nonews", news=[]),
        "date-1970": api_doc("x-1970", published="1970-01-01T00:00:00Z"),
        "date-future": api_doc("x-future", published="2999-12-31T23:59:59Z"),
        "date-invalid": api_doc("x-baddate", published="yesterday"),
        "uno-traversal": api_doc("../../etc/passwd"),
        "uno-absolute": api_doc("/etc/passwd"),
        "uno-nul": api_doc("a\x00b/../../x"),
        "uno-empty": api_doc(""),
        "uno-huge": api_doc("u" * 10_000),
        "picture-javascript-href": api_doc("x-pic", bagItem=[{
            "uno": "x-pic-1", "caption": "c",
            "medias": [{"role": "HighDef", "href": "javascript:alert(1)"}]}]),
        "picture-data-href": api_doc("x-pic2", bagItem=[{
            "uno": "x-pic-2", "caption": "c",
            "medias": [{"role": "HighDef", "href": "data:text/html,<script>alert(1)</script>"}]}]),
    }
    for name, doc in api_fields.items():
        yield RawItem("hostile", f"api/field/{name}", api_page(doc), "afp-api")
    yield RawItem("hostile", "nml12/field/item-traversal",
                  newsml12("../../../etc/passwd", body=PARA), "afp-newsml12")
    yield RawItem("hostile", "nml12/field/no-headline",
                  newsml12("doc-nohead", headline="", body=PARA), "afp-newsml12")


def hand_written() -> Iterator[RawItem]:
    """The files under ``inputs/``, with the format their name says (or ``auto``)."""
    for path in sorted(INPUTS.iterdir()):
        yield RawItem("hostile", f"file/{path.name}", path.read_bytes(), "auto")


def corpus(fetch_url: str, cap: int) -> list[RawItem]:
    return [*field_payloads(), *document_attacks(fetch_url, cap), *hand_written()]
