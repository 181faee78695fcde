"""format_result: exact text for each format, including awkward values and empty results."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigraph.output import FORMATS, format_result
from aigraph.query import QueryResult, load_store, run_named

# A None, a comma, a quote and a newline.
AWKWARD = QueryResult(["name", "note"], [("a,b", None), ('say "hi"', "line1\nline2")])
EMPTY = QueryResult(["name", "note"], [])


def test_table() -> None:
    lines = [
        "name     | note",
        "---------+-------------",
        "a,b      |",
        'say "hi" | line1\\nline2',
        "(2 rows)",
    ]
    assert format_result(AWKWARD, "table") == "\n".join(lines) + "\n"


def test_csv() -> None:
    assert format_result(AWKWARD, "csv") == 'name,note\n"a,b",\n"say ""hi""","line1\nline2"\n'


def test_json() -> None:
    lines = [
        "[",
        "  {",
        '    "name": "a,b",',
        '    "note": null',
        "  },",
        "  {",
        '    "name": "say \\"hi\\"",',
        '    "note": "line1\\nline2"',
        "  }",
        "]",
    ]
    assert format_result(AWKWARD, "json") == "\n".join(lines) + "\n"


def test_zero_rows() -> None:
    assert format_result(EMPTY, "table") == "name | note\n-----+-----\n(0 rows)\n"
    assert format_result(EMPTY, "csv") == "name,note\n"
    assert format_result(EMPTY, "json") == "[]\n"


def test_table_escapes_tabs_and_never_truncates() -> None:
    long = "x" * 500
    result = QueryResult(["a", "b"], [("tab\there", long), ("日本", "\r\x01")])
    lines = [
        "a         | b",
        "----------+-" + "-" * 500,
        "tab\\there | " + long,
        "日本      | \\r\\x01",
        "(2 rows)",
    ]
    assert format_result(result, "table") == "\n".join(lines) + "\n"


def test_json_keeps_non_ascii_and_column_order() -> None:
    result = QueryResult(["z", "a"], [("é", "1")])
    assert format_result(result, "json") == '[\n  {\n    "z": "é",\n    "a": "1"\n  }\n]\n'


def test_single_row_footer() -> None:
    assert format_result(QueryResult(["ask"], [("true",)]), "table").endswith("\n(1 row)\n")


def test_unknown_format_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="table, csv, json"):
        format_result(AWKWARD, "xml")
    assert FORMATS == ("table", "csv", "json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_named_query_formats(fmt: str) -> None:
    store = load_store(Path(__file__).parent / "data" / "small.trig")
    for name in ("chains", "relations", "concepts", "stats", "unmitigated-risks"):
        text = format_result(run_named(store, name), fmt)
        assert text.endswith("\n")
