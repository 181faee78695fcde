"""Render a QueryResult as an aligned text table, CSV or JSON. Cells are never truncated."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

from aigraph.query import QueryResult

FORMATS: tuple[str, ...] = ("table", "csv", "json")

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def format_result(result: QueryResult, fmt: str) -> str:
    """The result as text in `fmt` (one of FORMATS), ending with a newline."""
    if fmt == "table":
        return _table(result)
    if fmt == "csv":
        return _csv(result)
    if fmt == "json":
        return _json(result)
    raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _cell(value: str | None) -> str:
    """One table cell on one line: control characters shown escaped, unbound shown empty."""
    if value is None:
        return ""
    return "".join(_ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch) for ch in value)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters count 2, combining marks 0."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _line(cells: list[str], widths: list[int]) -> str:
    """Cells padded to their column width; the last is not padded: no trailing blanks."""
    padded = [text + " " * (width - _width(text)) for text, width in zip(cells[:-1], widths, strict=False)]
    line = " | ".join([*padded, *cells[-1:]])
    return line[:-1] if line.endswith(" | ") else line  # empty last cell


def _table(result: QueryResult) -> str:
    header = [_cell(c) for c in result.columns]
    body = [[_cell(v) for v in row] for row in result.rows]
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [_line(header, widths), "-+-".join("-" * w for w in widths)]
    lines += [_line(cells, widths) for cells in body]
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def _csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(["" if v is None else v for v in row] for row in result.rows)
    return buffer.getvalue()


def _json(result: QueryResult) -> str:
    records = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
