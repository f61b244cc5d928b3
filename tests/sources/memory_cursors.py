"""The registry's cursor methods over a dict: the seam DropFolderSource codes against."""

from __future__ import annotations


class MemoryCursors:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_cursor(self, source: str) -> str | None:
        return self.values.get(source)

    def set_cursor(self, source: str, value: str) -> None:
        self.values[source] = value
