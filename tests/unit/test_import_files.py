"""Import files: CSV split on bytes and resumable anywhere, XLSX streamed, rows → results or errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.imports.reader import BOM, CsvSource, FileUnreadable, XlsxSource, split_records
from shared.imports.rows import FIXED, RowError, layout_from_header, to_result
from shared.models.results import EventKind
from shared.taxonomy import default_taxonomy

TAX = default_taxonomy()
HEADER = [*FIXED, "communication", "teamwork"]


def source(data: bytes, chunk: int = 7) -> CsvSource:
    """A CsvSource over bytes, served in small chunks like a ranged GET would."""
    return CsvSource(lambda offset: (data[i : i + chunk] for i in range(offset, len(data), chunk)))


def read_all(src: CsvSource) -> list[Any]:
    scan = src.scan()
    return list(src.records(scan.cursor, scan.encoding, scan.delimiter))


def row(**over: Any) -> list[Any]:
    values: dict[str, Any] = {
        "result_id": "R-1",
        "revision": "2",
        "candidate_external_id": "C-9",
        "candidate_name": "张三",
        "candidate_email": "zs@example.com",
        "job_external_id": "JOB-7",
        "job_title": "风控分析师",
        "department": "risk",
        "completed_at": "2026-11-20T08:20:00+08:00",
        "overall_score": "4.2",
        "scale_min": "1",
        "scale_max": "5",
        "communication": "4.5",
        "teamwork": "",
    }
    values.update(over)
    return [values[h] for h in HEADER]


# --- CSV records ---------------------------------------------------------------------------


def test_quoted_fields_may_hold_delimiters_quotes_and_newlines() -> None:
    data = b'a,b,c\n1,"x, y","say ""hi"""\r\n2,"two\nlines",3\n'
    records = read_all(source(data))
    assert [r.cells for r in records] == [("1", "x, y", 'say "hi"'), ("2", "two\nlines", "3")]
    assert [r.row for r in records] == [2, 3]
    assert records[-1].cursor == {"offset": len(data), "row": 4}


def test_a_quote_inside_an_unquoted_field_is_just_a_character() -> None:
    records = read_all(source(b"h1,h2\n5'3\",x\nnext,row\n"))
    assert [r.cells for r in records] == [("5'3\"", "x"), ("next", "row")]


def test_bom_is_skipped_and_utf8_detected() -> None:
    scan = source(BOM + "结果,b\n1,张三\n".encode()).scan()
    assert scan.header == ("结果", "b") and scan.encoding == "utf-8" and scan.cursor["offset"] == len(BOM) + 9


def test_gb18030_is_detected_when_not_utf8() -> None:
    data = "result_id,姓名\nR-1,张三\nR-2,李四\n".encode("gb18030")
    src = source(data, chunk=3)  # multi-byte characters split across chunks
    scan = src.scan()
    assert scan.encoding == "gb18030" and scan.header == ("result_id", "姓名") and scan.rows_total == 2
    assert [r.cells for r in src.records(scan.cursor, scan.encoding, scan.delimiter)] == [
        ("R-1", "张三"),
        ("R-2", "李四"),
    ]


def test_neither_utf8_nor_gb18030_is_unreadable() -> None:
    with pytest.raises(FileUnreadable, match="neither"):
        source(b"a,b\n\x81\xff,x\n").scan()


@pytest.mark.parametrize(("sep", "name"), [(b";", ";"), (b"\t", "\t"), (b",", ",")])
def test_delimiter_comes_from_the_header(sep: bytes, name: str) -> None:
    scan = source(sep.join([b"a", b"b", b"c"]) + b"\n1" + sep + b"2" + sep + b"3\n").scan()
    assert scan.delimiter == name and scan.header == ("a", "b", "c")


def test_blank_rows_are_not_counted_but_keep_their_row_numbers() -> None:
    src = source(b'a,b\n1,2\n\n,\n  \n"",""\n3,4\n",",\n')  # no newline at the end either
    scan = src.scan()
    assert scan.rows_total == 3
    records = [r for r in src.records(scan.cursor, scan.encoding, scan.delimiter) if not r.blank]
    assert [(r.row, r.cells) for r in records] == [(2, ("1", "2")), (7, ("3", "4")), (8, (",", ""))]


def test_an_unterminated_quote_costs_one_row_not_the_file() -> None:
    # Given a row whose quote never closes, then a good row after a run of lines
    data = b'a,b\n1,"open\n' + b"x" * 50 + b"\n2,ok\n"
    records = list(split_records([data], 0, b",", max_bytes=40))
    # Then the broken record is reported and reading continues after it
    assert records[0][0] == b"a,b\n"
    assert records[1][0] is None and "too long" in str(records[1][2])
    assert records[-1][0] == b"2,ok\n"


def test_unterminated_quote_at_the_end_of_the_file() -> None:
    (record,) = read_all(source(b'a,b\n1,"never closed\n'))
    assert record.cells is None and "unterminated" in str(record.error)


def test_a_row_the_csv_module_cannot_read_is_one_bad_row() -> None:
    # a bare CR inside an unquoted field would start a new record for csv
    records = read_all(source(b"a,b\n1,2\nx\ry,z\n3,4\n"))
    assert [r.cells for r in records] == [("1", "2"), None, ("3", "4")]
    assert "not valid CSV" in str(records[1].error)


def test_empty_file_or_header_only_blank() -> None:
    with pytest.raises(FileUnreadable):
        source(b"").scan()
    with pytest.raises(FileUnreadable):
        source(b"\n\na,b\n").scan()


cell = st.text(alphabet=st.sampled_from(list('ab,"\n\r 张')), max_size=6)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=2, max_size=2), min_size=1, max_size=12), cut=st.integers(0, 20))
def test_resuming_at_any_cursor_reads_what_one_pass_reads(rows: list[list[str]], cut: int) -> None:
    # Given any CSV the csv module writes (quotes, newlines, CJK)
    import csv

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["h1", "h2"], *rows])
    src = source(buf.getvalue().encode("utf-8"), chunk=5)
    scan = src.scan()
    whole = list(src.records(scan.cursor, scan.encoding, scan.delimiter))
    # When reading stops after some record and resumes from its cursor
    k = min(cut, len(whole))
    resume_at = whole[k - 1].cursor if k else scan.cursor
    resumed = whole[:k] + list(src.records(resume_at, scan.encoding, scan.delimiter))
    # Then nothing is lost or read twice, and the cells are what was written
    assert [(r.row, r.cells) for r in resumed] == [(r.row, r.cells) for r in whole]
    assert [list(r.cells) for r in whole if not r.blank] == [r for r in rows if any(c.strip(" \t\r\n") for c in r)]


# --- XLSX ----------------------------------------------------------------------------------


def xlsx(tmp_path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("results")
    for r in rows:
        ws.append(r)
    path = tmp_path / "results.xlsx"
    wb.save(path)
    return path


def test_xlsx_rows_stream_and_resume_by_row(tmp_path: Path) -> None:
    src = XlsxSource(xlsx(tmp_path, [["a", "b"], [1, "x"], [None, None], [2.5, datetime(2026, 1, 2, 3, 4)], [3, None]]))
    scan = src.scan()
    assert scan.header == ("a", "b") and scan.rows_total == 3 and scan.cursor == {"row": 2}
    records = list(src.records(scan.cursor))
    assert [(r.row, r.blank) for r in records] == [(2, False), (3, True), (4, False), (5, False)]
    assert records[2].cells == (2.5, datetime(2026, 1, 2, 3, 4))
    assert [r.row for r in src.records(records[1].cursor)] == [4, 5]


def test_not_an_xlsx_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"result_id,revision\n")
    with pytest.raises(FileUnreadable, match="XLSX"):
        XlsxSource(path).scan()


# --- header and rows -------------------------------------------------------------------------


def test_header_matches_loosely_and_maps_competency_labels() -> None:
    header = ["Result ID", "revision", "Candidate-External-ID", "job_external_id", "completed_at", "scale_min"]
    header += ["scale_max", "沟通能力", "Problem Solving", "Grit", ""]
    layout, errors = layout_from_header(header, TAX)
    assert errors == [] and layout is not None
    assert layout.fixed["result_id"] == 0 and layout.fixed["candidate_external_id"] == 2
    assert [(c.header, c.code) for c in layout.competencies] == [
        ("沟通能力", "communication"),
        ("Problem Solving", "problem_solving"),
        ("Grit", "unmapped:Grit"),
    ]


def test_header_problems_fail_the_file() -> None:
    layout, errors = layout_from_header(["result_id", "communication", "沟通能力", "job_title"], TAX)
    assert layout is None
    fields = {e.field for e in errors}
    assert {"revision", "job_external_id", "completed_at", "scale_min", "scale_max"} <= fields
    assert "沟通能力" in fields  # the same competency twice
    assert "candidate_external_id" in fields
    assert all(e.row == 1 for e in errors)


def convert(values: list[Any], tz: timezone = UTC) -> Any:
    layout, _ = layout_from_header(HEADER, TAX)
    assert layout is not None
    return to_result(7, tuple(values), layout, vendor="acme", taxonomy=TAX, tz=tz)


def test_a_good_row_is_a_completed_result() -> None:
    r = convert(row())
    assert (r.kind, r.vendor, r.vendor_result_id, r.revision) == (EventKind.COMPLETED, "acme", "R-1", 2)
    assert r.completed_at == datetime(2026, 11, 20, 0, 20, tzinfo=UTC)
    assert r.candidate.model_dump() == {
        "external_id": "C-9",
        "name": "张三",
        "email": "zs@example.com",
        "phone": None,
    }
    assert r.job.model_dump() == {"external_id": "JOB-7", "title": "风控分析师", "department": "risk"}
    assert r.overall.normalized == pytest.approx(80.0)
    (dim,) = r.dimensions  # the empty teamwork cell: not assessed
    assert (dim.code, dim.label, dim.normalized) == ("communication", "沟通能力", pytest.approx(87.5))


def test_spreadsheet_typed_cells_are_accepted() -> None:
    r = convert(row(result_id=1001.0, revision=3.0, completed_at=datetime(2026, 11, 20, 16, 20), scale_min=0))
    assert (r.vendor_result_id, r.revision) == ("1001", 3)
    assert r.completed_at == datetime(2026, 11, 20, 16, 20, tzinfo=UTC)


def test_times_without_offset_use_the_imports_offset() -> None:
    r = convert(row(completed_at="2026-11-20 16:20"), tz=timezone(timedelta(hours=8)))
    assert r.completed_at == datetime(2026, 11, 20, 8, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"result_id": ""}, "result_id"),
        ({"revision": "two"}, "revision"),
        ({"revision": "-1"}, "revision"),
        ({"candidate_external_id": "", "candidate_email": ""}, "candidate_external_id"),
        ({"candidate_email": "not-an-email"}, "candidate_email"),
        ({"job_external_id": ""}, "job_external_id"),
        ({"completed_at": "someday"}, "completed_at"),
        ({"scale_min": "low"}, "scale_min"),
        ({"scale_min": "5", "scale_max": "1"}, "scale_max"),
        ({"overall_score": "9"}, "overall_score"),
        ({"overall_score": "nan"}, "overall_score"),
        ({"communication": "high"}, "communication"),
        ({"communication": "inf"}, "communication"),
        ({"communication": "7"}, "communication"),
        ({"communication": ""}, "competencies"),
    ],
)
def test_a_bad_row_reports_each_field(over: dict[str, Any], field: str) -> None:
    errors = convert(row(**over))
    assert isinstance(errors, list) and errors
    assert {e.field for e in errors} == {field}
    assert all(isinstance(e, RowError) and e.row == 7 and e.message for e in errors)


def test_error_messages_do_not_repeat_personal_values() -> None:
    errors = convert(row(candidate_email="张三 at home", communication="张三"))
    assert all("张三" not in e.message for e in errors)


def test_short_rows_read_missing_cells_as_empty() -> None:
    errors = convert(row()[:5])
    assert {e.field for e in errors} == {"job_external_id", "completed_at", "scale_min", "scale_max", "competencies"}


def test_a_file_over_the_row_limit_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,2\n" * 11
    assert source(data).scan(max_rows=11).rows_total == 11
    with pytest.raises(FileUnreadable, match="more than 10 rows"):
        source(data).scan(max_rows=10)
    with pytest.raises(FileUnreadable, match="more than 2 rows"):
        XlsxSource(xlsx(tmp_path, [["a"], [1], [2], [3]])).scan(max_rows=2)


def test_a_header_too_wide_or_too_long_fails_the_file() -> None:
    layout, errors = layout_from_header([*HEADER, *(f"c{i}" for i in range(400))], TAX)
    assert layout is None and errors[0].message == "more than 300 columns"
    layout, errors = layout_from_header([*HEADER, "x" * 5000], TAX)
    assert layout is None and errors[0].message == "the column name is too long" and len(errors[0].field) == 100
