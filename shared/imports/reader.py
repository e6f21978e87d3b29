"""Streaming readers for import files: a CSV from any byte offset, an XLSX from any row.

Neither ever holds the whole file in memory, and both can stop after any row and resume
later from a cursor (CSV: the byte offset after the last row read; XLSX: the next row
number), which is what lets an import run in chunks across Lambda invocations.

CSV records are split on raw bytes, outside quoted fields, before decoding: newline and
quote bytes never occur inside a multi-byte character in UTF-8 or GB18030, so the same
split holds for both.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOM = codecs.BOM_UTF8
QUOTE = ord('"')
NEWLINE = b"\n"
DELIMITERS = (b",", b";", b"\t")
# One record (row) may hold at most this many bytes: an unterminated quote must not swallow the file.
MAX_RECORD_BYTES = 256 * 1024
WHITESPACE = " \t\r\n"
MAX_ROWS = 500_000  # a file longer than this is refused whole, before any row is stored


class FileUnreadable(Exception):
    """The file as a whole cannot be read (not XLSX, neither UTF-8 nor GB18030, no header)."""


@dataclass(frozen=True)
class Record:
    """One row of the file: its cells, or why they could not be read, and the cursor after it."""

    row: int  # as a spreadsheet shows it: the header is row 1
    cells: tuple[Any, ...] | None
    error: str | None
    cursor: dict[str, int]

    @property
    def blank(self) -> bool:
        return self.cells is not None and all(_blank_cell(c) for c in self.cells)


def _blank_cell(value: Any) -> bool:
    # ASCII whitespace only, so that a row counts the same whether judged from bytes or from text
    return value is None or (isinstance(value, str) and not value.strip(WHITESPACE))


@dataclass(frozen=True)
class Scan:
    """What one pass over the whole file learned: the header, how to read it, and its row count."""

    header: tuple[str, ...]
    rows_total: int  # non-blank rows after the header
    cursor: dict[str, int]  # where the first data row starts
    encoding: str = ""
    delimiter: str = ""


def _count(counted: Iterable[bool], max_rows: int) -> int:
    """How many are true; stops reading (and refuses the file) past `max_rows`."""
    total = 0
    for yes in counted:
        total += yes
        if total > max_rows:
            raise FileUnreadable(f"the file has more than {max_rows} rows")
    return total


# -- CSV ------------------------------------------------------------------------------------


def _quote_state(line: bytes, in_quotes: bool, delim: int) -> bool:
    """Whether a quoted field is still open at the end of `line` (csv's rules: a quote opens a
    field only at its start, `""` inside a quoted field is one quote)."""
    if QUOTE not in line:
        return in_quotes
    field_start = not in_quotes
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if in_quotes:
            if c == QUOTE:
                if i + 1 < n and line[i + 1] == QUOTE:
                    i += 2
                    continue
                in_quotes = False
        elif c == QUOTE and field_start:
            in_quotes = True
        field_start = not in_quotes and c == delim
        i += 1
    return in_quotes


def split_records(
    chunks: Iterable[bytes], offset: int, delim: bytes = b",", max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[tuple[bytes | None, int, str | None]]:
    """(record bytes, byte offset after it, error) for each CSV record from `offset` on.

    A record longer than `max_bytes` (most likely an unterminated quote) is reported with
    `None` bytes and ends at the next newline, so one broken row costs one row.
    """
    d = delim[0]
    pending = bytearray()  # the current, unfinished line
    record = bytearray()  # the lines of the current record so far
    in_quotes = skipping = False
    pos = offset
    for chunk in chunks:
        start = 0
        while True:
            nl = chunk.find(NEWLINE, start)
            piece = chunk[start:] if nl < 0 else chunk[start : nl + 1]
            pos += len(piece)
            if skipping:
                if nl >= 0:
                    skipping = in_quotes = False
                    yield None, pos, "the row is too long (an unterminated quoted field?)"
            else:
                pending += piece
                if len(record) + len(pending) > max_bytes:
                    pending.clear()
                    record.clear()
                    skipping = True
                    if nl >= 0:
                        skipping = in_quotes = False
                        yield None, pos, "the row is too long (an unterminated quoted field?)"
                elif nl >= 0:
                    line = bytes(pending)
                    pending.clear()
                    in_quotes = _quote_state(line, in_quotes, d)
                    record += line
                    if not in_quotes:
                        yield bytes(record), pos, None
                        record.clear()
            if nl < 0:
                break
            start = nl + 1
    if skipping:
        yield None, pos, "the row is too long (an unterminated quoted field?)"
    elif pending or record:
        record += pending
        in_quotes = _quote_state(bytes(pending), in_quotes, d) if pending else in_quotes
        yield bytes(record), pos, "unterminated quoted field at the end of the file" if in_quotes else None


def detect_delimiter(header: bytes) -> bytes:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else b","


def parse_record(raw: bytes, encoding: str, delim: str) -> tuple[str, ...]:
    """One record's cells; raises ValueError when it is not text in `encoding` or not one CSV row."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError(f"the row is not valid {encoding} text") from None
    try:
        rows = list(csv.reader(io.StringIO(text.rstrip("\r\n"), newline=""), delimiter=delim, strict=True))
    except csv.Error as exc:
        raise ValueError(f"the row is not valid CSV: {exc}") from None
    if len(rows) > 1:
        raise ValueError("the row is not valid CSV: it spans several records")
    return tuple(rows[0]) if rows else ()


def _blank_bytes(raw: bytes, delim: bytes) -> bool:
    """Whether every cell of the record is empty or ASCII whitespace, judged without decoding:
    the structure bytes are ASCII in UTF-8 and GB18030 alike, so Latin-1 text has the same cells."""
    if QUOTE not in raw:
        return not raw.strip(WHITESPACE.encode() + delim)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("latin-1").rstrip("\r\n"), newline=""), delimiter=delim.decode()))
    except csv.Error:
        return False
    return all(_blank_cell(c) for r in rows for c in r)


class _EncodingCheck:
    """Feeds every byte through UTF-8 and GB18030 decoders, remembering which still accept it."""

    def __init__(self) -> None:
        self._decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8", "gb18030")}
        self.valid = {name: True for name in self._decoders}

    def feed(self, data: bytes, final: bool = False) -> None:
        for name, decoder in self._decoders.items():
            if self.valid[name]:
                try:
                    decoder.decode(data, final)
                except UnicodeDecodeError:
                    self.valid[name] = False

    @property
    def encoding(self) -> str:
        """UTF-8 when every byte is UTF-8 (ASCII included), else GB18030, else ""."""
        return next((name for name, ok in self.valid.items() if ok), "")


class CsvSource:
    """A CSV file read through `open_at(offset) -> Iterable[bytes]` (an S3 ranged GET)."""

    def __init__(self, open_at: Any) -> None:
        self._open_at = open_at

    def scan(self, max_rows: int = MAX_ROWS) -> Scan:
        """One streamed pass: BOM, encoding (UTF-8, else GB18030), delimiter, header and row count."""
        chunks = iter(self._open_at(0))
        head = bytearray()
        for c in chunks:  # the first line, to choose the delimiter
            head += c
            if NEWLINE in head or len(head) > MAX_RECORD_BYTES:
                break
        start = len(BOM) if head.startswith(BOM) else 0
        delim = detect_delimiter(bytes(head[start:]).split(NEWLINE, 1)[0])
        check = _EncodingCheck()

        def stream() -> Iterator[bytes]:
            first = bytes(head[start:])
            check.feed(first)
            yield first
            for c in chunks:
                check.feed(c)
                yield c
            check.feed(b"", final=True)

        records = split_records(stream(), start, delim)
        header_record = next(records, None)
        if header_record is None or header_record[0] is None or _blank_bytes(header_record[0], delim):
            raise FileUnreadable("the file is empty or its first row is not a header")
        header_raw, cursor, _ = header_record
        assert header_raw is not None  # checked above
        total = _count(
            (error is not None or not _blank_bytes(raw or b"", delim) for raw, _, error in records), max_rows
        )
        if not check.encoding:
            raise FileUnreadable("the file is neither UTF-8 nor GB18030 text")
        try:
            header = parse_record(header_raw, check.encoding, delim.decode())
        except ValueError as exc:
            raise FileUnreadable(f"the header row cannot be read: {exc}") from None
        return Scan(
            header=header,
            rows_total=total,
            cursor={"offset": cursor, "row": 2},
            encoding=check.encoding,
            delimiter=delim.decode(),
        )

    def records(self, cursor: dict[str, int], encoding: str, delimiter: str) -> Iterator[Record]:
        offset, row = int(cursor["offset"]), int(cursor["row"])
        delim = delimiter.encode()
        for raw, end, error in split_records(self._open_at(offset), offset, delim):
            next_cursor = {"offset": end, "row": row + 1}
            if raw is None or error is not None:
                yield Record(row, None, error, next_cursor)
            elif _blank_bytes(raw, delim):
                yield Record(row, (), None, next_cursor)
            else:
                try:
                    yield Record(row, parse_record(raw, encoding, delimiter), None, next_cursor)
                except ValueError as exc:
                    yield Record(row, None, str(exc), next_cursor)
            row += 1


# -- XLSX -----------------------------------------------------------------------------------


class XlsxSource:
    """The first worksheet of an XLSX file on local disk, read with openpyxl in read-only mode
    (rows stream from the sheet's XML; memory stays flat however long the sheet)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _rows(self, min_row: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
        from openpyxl import load_workbook  # imported on use: only the importer needs it

        try:
            wb = load_workbook(self._path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException...
            raise FileUnreadable("the file is not a readable XLSX workbook") from exc
        try:
            if not wb.worksheets:
                raise FileUnreadable("the workbook has no worksheet")
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # exporters often write a wrong <dimension>: read what is there
            for n, values in enumerate(ws.iter_rows(min_row=min_row, values_only=True), start=min_row):
                yield n, tuple(values)
        finally:
            wb.close()

    def scan(self, max_rows: int = MAX_ROWS) -> Scan:
        rows = self._rows(1)
        first = next(rows, None)
        if first is None or all(v is None or str(v).strip() == "" for v in first[1]):
            raise FileUnreadable("the file is empty or its first row is not a header")
        header = tuple("" if v is None else str(v) for v in first[1])
        total = _count((not Record(0, values, None, {}).blank for _, values in rows), max_rows)
        return Scan(header=header, rows_total=total, cursor={"row": 2})

    def records(self, cursor: dict[str, int]) -> Iterator[Record]:
        for n, values in self._rows(int(cursor["row"])):
            yield Record(n, values, None, {"row": n + 1})
