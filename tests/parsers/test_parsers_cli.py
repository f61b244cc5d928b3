"""``ingest parse`` prints a reason code for bad input, never a traceback.

The command runs as a user runs it (``python -m ingest.cli`` in a subprocess), on files
written here from the API Core fixture with one value changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from afp_helpers import load

from ingest import parsers
from ingest.cli import main

CASES = {  # file -> (content, the reason ``ingest parse`` must print)
    "revision-1e400.json": ('"revision": 1e400', "invalid_field"),
    "revision-nan.json": ('"revision": NaN', "malformed_json"),
    "revision-huge.json": ('"revision": ' + "9" * 5000, "malformed_json"),  # int-string limit
    "revision-true.json": ('"revision": true', "invalid_field"),
    "note-surrogate.json": ('"revision": 4, "note": "Quake \\ud800"', "bad_encoding"),
}


def api_doc(member: str) -> str:
    """The single-doc fixture with its ``revision`` member replaced by ``member``."""
    text = load("api-story-v4-kill.json").decode()
    assert '"revision": 4' in text
    return text.replace('"revision": 4', member, 1)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest.cli", "parse", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_bad_numbers_surrogates_and_nesting_print_reason_codes(tmp_path: Path) -> None:
    for name, (member, _) in CASES.items():
        (tmp_path / name).write_text(api_doc(member), encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    (tmp_path / "deep.xml").write_text("<NewsML>" + "<a>" * 300 + "</a>" * 300 + "</NewsML>")
    expected = {name: reason for name, (_, reason) in CASES.items()}
    expected |= {"deep.json": "malformed_json", "deep.xml": "hostile_xml"}

    done = run_cli(*(str(tmp_path / name) for name in expected))

    assert "Traceback" not in done.stderr, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    got = {Path(r["source"]).name: r["error"]["reason"] for r in records}
    assert got == expected
    assert done.returncode == 1  # every file failed


def test_a_parser_bug_prints_internal_error_with_its_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process, with a parser that divides by zero registered in the dispatch table:
    the record says ``internal_error`` and the crash digest; stderr keeps the traceback."""
    (tmp_path / "zero_parser.py").write_text(
        "class ZeroParser:\n    name = 'text'\n\n    def parse(self, raw, *, source):\n"
        "        return iter([len(raw) / 0])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(parsers._PARSERS, "text", ("zero_parser", "ZeroParser"))
    parsers.get_parser.cache_clear()
    page = tmp_path / "page.txt"
    page.write_text("Quake hits Chile\n\nThe quake struck at dawn.")
    try:
        code = main(["parse", str(page)])
    finally:
        parsers.get_parser.cache_clear()
    out, err = capsys.readouterr()
    [record] = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert record["error"]["reason"] == "internal_error"
    assert record["error"]["detail"].startswith("crash ")
    assert " ZeroDivisionError at zero_parser.py:ZeroParser.parse: division by zero" in (
        record["error"]["detail"]
    )
    assert "Traceback" in err and "ZeroDivisionError" in err
