"""The one JSON writer for everything ingest publishes or prints.

``json.dumps(ensure_ascii=False)`` leaves U+2028 and U+2029 raw (JavaScript before ES2019
ends a string literal at them) and U+0085 raw (``str.splitlines`` and many line readers
split on it), so one record of JSON Lines could become two. JSON allows any character to
be written as a ``\\uXXXX`` escape, and these can only occur inside strings, so escaping
them after serialising gives the same value with no raw line breaks.

``html_safe`` also escapes ``<``, so a document pasted into an HTML ``<script>`` block can
never close it (``</script>``) or open a comment (``<!--``).
"""

from __future__ import annotations

import json
from typing import Any

_LINE_BREAKS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\u0085", "\\u0085"))
_HTML = (*_LINE_BREAKS, ("<", "\\u003c"))


def dumps(obj: Any, *, html_safe: bool = False, **kwargs: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, **kwargs)`` with line breaks (and ``<``) escaped."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    for raw, escaped in _HTML if html_safe else _LINE_BREAKS:
        text = text.replace(raw, escaped)  # str.replace: a C scan, no copy when absent
    return text
