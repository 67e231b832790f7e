"""Reading and writing list files: CSV, XLSX and JSON, each row keeping the row number the
coordinator sees (a JSON row is its index + 1).

The header row is found among the first rows (``ReadLimits.header_scan``): sheets as offices
keep them carry a merged title (某某社区2026年需求清单), a blank row or a note above the
headers. The first row that holds every required column of the list (of the list named by the
file, else of any list) is taken; when none does, the row with the most recognised headers is
taken, so the report names the missing columns at the row the coordinator meant.

Reading is streamed and bounded (``ReadLimits``, one ``ReadBudget`` shared by the files of an
import): CSV is decoded incrementally, XLSX is read in openpyxl's read-only mode after the
zip's declared uncompressed sizes are checked (shared strings are loaded whole by openpyxl, so
their size is capped before parsing) and its declared dimensions are checked, and rows, cells,
text and seconds are counted while reading. Past a limit the import stops with ``TooLarge``.
Only the columns of the list are kept per row, so memory follows the rows, not the file.

CSV is read as UTF-8 (with or without BOM) and, when that fails, as GB18030 (what Excel on a
Chinese Windows saves). CSV is written as UTF-8 with BOM so Excel opens it correctly.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from ..errors import InvalidInput, TooLarge
from .headers import LISTS, ListSpec, kind_from_name

FORMATS = ("csv", "xlsx", "json")
MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What one import may read. The defaults hold a city ×4 (about 120,000 rows) and keep
    one import under about 1 GiB (docs/BENCHMARKS.md, "Issue 16 — hostile imports")."""

    max_file_bytes: int = 50 * MB  # one file as uploaded
    max_json_bytes: int = 20 * MB  # one JSON file: parsed whole, so held whole (200,000 rows of 100 bytes)
    max_rows: int = 200_000  # data rows of all files of one import
    max_columns: int = 256  # columns read per row (a list has at most 20)
    max_line_chars: int = 1_000_000  # one physical CSV line
    max_cell_chars: int = 32_767  # one cell (Excel's own limit)
    max_text_chars: int = 200_000_000  # text kept of all cells of one import
    max_xlsx_strings_bytes: int = 64 * MB  # declared uncompressed shared strings, loaded whole by openpyxl
    max_xlsx_part_bytes: int = 8 * MB  # any other part parsed whole (styles: 8 MB of them hold about 110 MB)
    max_xlsx_sheet_bytes: int = 256 * MB  # declared uncompressed size of the first sheet (streamed)
    max_xlsx_parts: int = 2_000
    max_seconds: float = 300.0  # reading and checking the rows of all files of one import
    header_scan: int = 20  # rows searched for the header row


DEFAULT_LIMITS = ReadLimits()


def _mb(n: float) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} KB"


class ReadBudget:
    """The limits of one import, counted across its files."""

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits or DEFAULT_LIMITS
        self.rows = 0
        self.text = 0
        self.started = time.monotonic()
        self.deadline = self.started + self.limits.max_seconds

    def row(self, name: str, n: int) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise TooLarge(
                f"{name} 第{n}行：一次导入最多 {self.limits.max_rows:,} 行数据，请分批导入",
                message_en=f"{name} row {n}: one import takes at most {self.limits.max_rows:,} data rows; "
                           "import in batches",
            )

    def chars(self, name: str, n: int, k: int) -> None:
        self.text += k
        if self.text > self.limits.max_text_chars:
            raise TooLarge(
                f"{name} 第{n}行：一次导入的文字总量超过 {self.limits.max_text_chars:,} 字符，请分批导入",
                message_en=f"{name} row {n}: one import holds more than {self.limits.max_text_chars:,} "
                           "characters of text; import in batches",
            )

    def clock(self, name: str, n: int) -> None:
        if time.monotonic() > self.deadline:
            raise TooLarge(
                f"{name} 读到第{n}行时超过 {self.limits.max_seconds:.0f} 秒的读取时限，请分批导入",
                message_en=f"{name}: reading passed the {self.limits.max_seconds:.0f} s limit at row {n}; "
                           "import in batches",
            )


@dataclass
class Table:
    """The raw content of one list file."""

    path: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, header -> value)
    header_row: int = 1
    kind: str | None = None  # from the file itself (a JSON {"kind": ...}) or from its header row


def fmt_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix == "json":
        return "json"
    raise InvalidInput(
        f"不支持的文件类型：{Path(path).name}（支持 .csv / .xlsx / .json）",
        message_en=f"unsupported file type: {Path(path).name} (use .csv, .xlsx or .json)",
    )


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


# --- the header row --------------------------------------------------------------------------


def _row_keys(spec: ListSpec, cells: list[Any]) -> set[str]:
    keys = set()
    for c in cells:
        if not _blank(c):
            key = spec.match(c).key
            if key is not None:
                keys.add(key)
    return keys


def find_header(rows: list[list[Any]], kind: str | None) -> tuple[int, str | None]:
    """Which of ``rows`` (the first rows of a sheet) is the header row, and the list it is a
    header of (``kind`` when given). Returns (index into ``rows``, kind or None)."""
    specs = [LISTS[kind]] if kind in LISTS else list(LISTS.values())
    best, most = -1, 0  # the row with the most recognised columns
    for i, cells in enumerate(rows):
        if all(_blank(v) for v in cells):
            continue
        for spec in specs:
            keys = _row_keys(spec, cells)
            if {c.key for c in spec.columns if c.required} <= keys:
                return i, (spec.kind if kind in LISTS else kind_of_headers(cells))
            if len(keys) > most:
                best, most = i, len(keys)
    if best < 0:
        best = next((i for i, r in enumerate(rows) if not all(_blank(v) for v in r)), 0)
    return best, (kind if kind in LISTS else None)


def kind_of_headers(headers: list[Any]) -> str | None:
    """The list a header row belongs to: of the lists whose required columns it holds, the
    one it covers best, when one is a clear best (an areas header also holds the required
    columns of the party organisation list)."""
    scores = []
    for spec in LISTS.values():
        keys = _row_keys(spec, headers)
        if {c.key for c in spec.columns if c.required} <= keys:
            scores.append((len(keys) / len(spec.columns), spec.kind))
    scores.sort(reverse=True)
    if scores and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None


def _read_rows(name: str, path: str, it: Iterable[list[Any]], kind: str | None, budget: ReadBudget) -> Table:
    """Find the header row in the first rows of ``it``, then keep the data rows below it,
    only the cells under a header of the list, counting them against ``budget``."""
    lim = budget.limits
    it = iter(it)
    head: list[list[Any]] = []
    for raw in it:
        head.append(list(raw[: lim.max_columns]))
        if len(head) >= lim.header_scan:
            break
    if not head:
        return Table(path, [], kind=None)
    i, found = find_header(head, kind)
    headers = [("" if h is None else str(h).strip()) for h in head[i]]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(path, headers, header_row=i + 1, kind=found)
    spec = LISTS.get(found or "")
    # keep a cell only under a header of the list (all of them while the list is unknown)
    keep = [(j, h) for j, h in enumerate(headers) if h and (spec is None or spec.match(h).key is not None)]
    width = len(headers)

    def rows() -> Iterator[list[Any]]:
        yield from head[i + 1:]
        yield from it

    for n, raw in enumerate(rows(), start=i + 2):
        if n % 1024 == 0:
            budget.clock(name, n)
        if n > 2 * lim.max_rows + lim.header_scan:
            raise TooLarge(f"{name} 超过 {2 * lim.max_rows:,} 行", message_en=f"{name} has more than "
                           f"{2 * lim.max_rows:,} rows")
        cells = raw[:width]
        if all(_blank(v) for v in cells):
            continue
        budget.row(name, n)
        row: dict[str, Any] = {}
        text = 0
        for j, h in keep:
            v = cells[j] if j < len(cells) else None
            if isinstance(v, str):
                if len(v) > lim.max_cell_chars:
                    raise TooLarge(f"{name} 第{n}行【{h}】超过 {lim.max_cell_chars:,} 个字符",
                                   message_en=f"{name} row {n} [{h}] is longer than {lim.max_cell_chars:,} "
                                              "characters")
                text += len(v)
            row[h] = v
        if text:
            budget.chars(name, n, text)
        table.rows.append((n, row))
    return table


# --- CSV ---------------------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """UTF-8 (BOM or not) when the whole file decodes as UTF-8, else GB18030; decoded in
    chunks, so a large file is never held whole."""
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(MB):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "无法识别文件编码（请另存为 UTF-8 CSV）", message_en="cannot decode the file (save as UTF-8 CSV)"
    )


def _lines(text: io.TextIOBase, name: str, limit: int) -> Iterator[str]:
    n = 0
    while True:
        line = text.readline(limit + 1)
        if not line:
            return
        n += 1
        if len(line) > limit:
            raise TooLarge(f"{name} 第{n}行超过 {limit:,} 个字符", message_en=f"{name} line {n} is longer than "
                           f"{limit:,} characters")
        yield line


def read_csv(path: str | Path, kind: str | None = None, budget: ReadBudget | None = None) -> Table:
    path = Path(path)
    budget = budget or ReadBudget()
    enc = _encoding(path)
    with open(path, encoding=enc, newline="") as text:
        sample = text.read(4096)
        text.seek(0)
        delim = "\t" if sample.count("\t") > sample.count(",") else ","
        reader = csv.reader(_lines(text, path.name, budget.limits.max_line_chars), delimiter=delim)
        try:
            return _read_rows(path.name, str(path), reader, kind, budget)
        except csv.Error as e:
            raise InvalidInput(f"CSV 格式错误（第{reader.line_num}行）：{e}",
                               message_en=f"malformed CSV (line {reader.line_num}): {e}") from e


# --- XLSX --------------------------------------------------------------------------------------


def check_xlsx(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse an XLSX whose parts declare more than the limits before anything is parsed:
    openpyxl loads the shared strings whole, so a 1 MB file expanding to 1 GiB must stop here.
    The declared sizes bind: Python's zipfile never inflates a member past its declared size."""
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise InvalidInput(f"{name} 不是有效的 Excel 文件（.xlsx）：{e}",
                           message_en=f"{name} is not a valid Excel (.xlsx) file: {e}") from e
    if len(infos) > limits.max_xlsx_parts:
        raise TooLarge(f"{name} 含 {len(infos):,} 个部件，超过上限 {limits.max_xlsx_parts:,}",
                       message_en=f"{name} holds {len(infos):,} parts, more than {limits.max_xlsx_parts:,}")
    for info in infos:
        part = info.filename
        if not part.endswith((".xml", ".rels", ".vml")):
            continue  # images and embedded objects are never read
        sheet, strings = part.startswith("xl/worksheets/"), part.endswith("sharedStrings.xml")
        cap = (limits.max_xlsx_sheet_bytes if sheet else limits.max_xlsx_strings_bytes if strings
               else limits.max_xlsx_part_bytes)
        if info.file_size > cap:
            what = "工作表" if sheet else ("共享字符串" if strings else "部件")
            raise TooLarge(
                f"{name} 的{what} {part} 解压后为 {_mb(info.file_size)}，超过上限 {_mb(cap)}",
                message_en=f"{name}: {part} expands to {_mb(info.file_size)}, more than the {_mb(cap)} limit",
            )


_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)[\s>/]")


def check_sheet_rows(path: str | Path, member: str, max_cells: int) -> None:
    """Refuse a sheet with a row of more than ``max_cells`` cells before openpyxl parses it:
    openpyxl builds a whole row in memory (about 750 MB for a row of a million cells, 22 MB
    of XML). A scan of the XML bytes, chunk by chunk, counting cell tags per row."""
    name = Path(path).name
    with zipfile.ZipFile(path) as zf, zf.open(member) as f:
        tail, cells, row = b"", 0, 0
        while True:
            chunk = f.read(MB)
            buf = tail + chunk
            cut = len(buf) - 64 if chunk else len(buf)  # a tag starting before cut lies whole in buf
            for m in _ROW_OR_CELL.finditer(buf):
                if m.start() >= cut:
                    break
                if m.group(1) == b"row":
                    cells, row = 0, row + 1
                    continue
                cells += 1
                if cells > max_cells:
                    raise TooLarge(f"{name} 工作表中第 {row} 行（按文件顺序）有超过 {max_cells:,} 个单元格",
                                   message_en=f"{name}: row {row} of the sheet (in file order) holds more than "
                                              f"{max_cells:,} cells")
            if not chunk:
                return
            tail = buf[cut:]


def read_xlsx(path: str | Path, kind: str | None = None, budget: ReadBudget | None = None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    budget = budget or ReadBudget()
    lim = budget.limits
    check_xlsx(path, lim)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several unrelated types for a bad file
        raise InvalidInput(f"无法读取 Excel 文件：{e}", message_en=f"cannot read the Excel file: {e}") from e
    try:
        ws = wb.worksheets[0]
        rows_declared, cols_declared = ws.max_row or 0, ws.max_column or 0
        if rows_declared > 2 * lim.max_rows + lim.header_scan or cols_declared > lim.max_columns:
            dim = f"A1:{get_column_letter(min(max(cols_declared, 1), 18278))}{rows_declared}"
            raise TooLarge(
                f"{path.name} 声明的表格范围 {dim} 过大（最多 {2 * lim.max_rows:,} 行、{lim.max_columns} 列），"
                "请删除多余的空行空列后另存",
                message_en=f"{path.name} declares the range {dim}, larger than {2 * lim.max_rows:,} rows × "
                           f"{lim.max_columns} columns; delete the empty rows and columns and save again",
            )
        # the declared range is checked, not trusted: read what the sheet holds, at most max_columns wide
        check_sheet_rows(path, ws._worksheet_path, 4 * lim.max_columns)
        ws.reset_dimensions()
        it = ws.iter_rows(max_col=lim.max_columns, values_only=True)
        try:
            return _read_rows(path.name, str(path), it, kind, budget)
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError) as e:
            raise InvalidInput(f"无法读取 Excel 文件：{e}", message_en=f"cannot read the Excel file: {e}") from e
    finally:
        wb.close()


# --- JSON --------------------------------------------------------------------------------------


def read_json(path: str | Path, kind: str | None = None, budget: ReadBudget | None = None) -> Table:
    path = Path(path)
    budget = budget or ReadBudget()
    size = path.stat().st_size
    if size > budget.limits.max_json_bytes:  # orjson cannot stream: the parsed file is held whole
        raise TooLarge(f"JSON 文件 {path.name} 为 {_mb(size)}，超过 {_mb(budget.limits.max_json_bytes)} 的上限"
                       "（大清单请用 CSV 或 XLSX）",
                       message_en=f"the JSON file {path.name} is {_mb(size)}, larger than the "
                                  f"{_mb(budget.limits.max_json_bytes)} limit (use CSV or XLSX for large lists)")
    raw = path.read_bytes()
    objects = raw.count(b"{")  # at least one per row (more if text holds braces): counted before parsing
    if objects > 2 * budget.limits.max_rows + 1:
        raise TooLarge(f"JSON 文件 {path.name} 含约 {objects:,} 个对象，超过一次导入 "
                       f"{budget.limits.max_rows:,} 行的上限",
                       message_en=f"the JSON file {path.name} holds about {objects:,} objects, more than the "
                                  f"{budget.limits.max_rows:,} rows of one import")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InvalidInput(f"JSON 格式错误：{e}", message_en=f"malformed JSON: {e}") from e
    named = None
    if isinstance(data, dict):
        named = data.get("kind") or data.get("list")
        data = data.get("rows")
    if not isinstance(data, list):
        raise InvalidInput(
            "JSON 须为对象数组，或 {\"rows\": [...]}", message_en='JSON must be a list of objects or {"rows": [...]}'
        )
    headers: list[str] = []
    seen: set[str] = set()
    table = Table(str(path), headers, header_row=0, kind=named if isinstance(named, str) else None)
    for i, obj in enumerate(data, start=1):
        if i % 1024 == 0:
            budget.clock(path.name, i)
        if not isinstance(obj, dict):
            table.rows.append((i, {"__not_object__": obj}))
            continue
        if len(obj) > budget.limits.max_columns:
            raise TooLarge(f"{path.name} 第{i}项有 {len(obj):,} 个字段，超过上限 {budget.limits.max_columns}",
                           message_en=f"{path.name} item {i} has {len(obj):,} fields, more than "
                                      f"{budget.limits.max_columns}")
        for k in obj:
            if str(k) not in seen:
                seen.add(str(k))
                headers.append(str(k))
        if all(_blank(v) for v in obj.values()):
            continue
        budget.row(path.name, i)
        table.rows.append((i, {str(k): v for k, v in obj.items()}))
    return table


def read_table(path: str | Path, kind: str | None = None, budget: ReadBudget | None = None) -> Table:
    """Read one list file of any supported format. ``kind`` (else the list the file name
    names) tells which list's header row to look for; ``budget`` counts the limits of the
    whole import (a fresh one with the default limits when not given)."""
    f = fmt_of(path)
    budget = budget or ReadBudget()
    size = Path(path).stat().st_size
    if size > budget.limits.max_file_bytes:
        raise TooLarge(f"文件 {Path(path).name} 为 {_mb(size)}，超过 {_mb(budget.limits.max_file_bytes)} 的上限",
                       message_en=f"{Path(path).name} is {_mb(size)}, larger than the "
                                  f"{_mb(budget.limits.max_file_bytes)} limit")
    kind = kind or kind_from_name(Path(path).name)
    if f == "csv":
        return read_csv(path, kind, budget)
    if f == "xlsx":
        return read_xlsx(path, kind, budget)
    return read_json(path, kind, budget)


def detect_kind(path: str | Path, table: Table | None = None) -> str | None:
    """The list a file holds: from its name, else from a JSON ``kind``, else from its headers
    (the list whose headers it matches best, when one list is a clear best)."""
    kind = kind_from_name(Path(path).name)
    if kind is not None:
        return kind
    if table is None:
        return None
    if table.kind in LISTS:
        return table.kind
    return kind_of_headers(table.headers)


# --- writing ------------------------------------------------------------------------------------


def write_rows(path: str | Path, headers: list[str], rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    """Write a header row and data rows as CSV (UTF-8 with BOM), XLSX or JSON (by suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    f = fmt_of(path)
    if f == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            for r in rows:
                w.writerow(["" if v is None else v for v in r])
    elif f == "json":
        objs = [{h: v for h, v in zip(headers, r, strict=False) if v is not None and v != ""} for r in rows]
        path.write_bytes(orjson.dumps(objs, option=orjson.OPT_INDENT_2))
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet[:31])
        ws.append(headers)
        for r in rows:
            ws.append([None if v == "" else v for v in r])
        wb.save(path)
    return path


def cell_text(v: Any) -> str:
    """A cell value as the text a coordinator would read."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


__all__ = ["DEFAULT_LIMITS", "FORMATS", "ReadBudget", "ReadLimits", "Table", "cell_text", "check_xlsx", "detect_kind",
           "find_header", "fmt_of", "read_table", "write_rows"]
