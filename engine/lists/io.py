"""Reading and writing list files: CSV, XLSX and JSON, each row keeping the row number the
coordinator sees (the header is row 1 of a CSV or XLSX sheet; a JSON row is its index + 1).

CSV is read as UTF-8 (with or without BOM) and, when that fails, as GB18030 (what Excel on a
Chinese Windows saves). CSV is written as UTF-8 with BOM so Excel opens it correctly.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from ..errors import InvalidInput
from .headers import LISTS, kind_from_name, norm_header

FORMATS = ("csv", "xlsx", "json")


@dataclass
class Table:
    """The raw content of one list file."""

    path: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, header -> value)
    header_row: int = 1
    kind: str | None = None  # from the file itself (a JSON {"kind": ...})


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


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "无法识别文件编码（请另存为 UTF-8 CSV）", message_en="cannot decode the file (save as UTF-8 CSV)"
    )


def read_csv(path: str | Path) -> Table:
    text = _decode(Path(path).read_bytes())
    sample = text[:4096]
    delim = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    table: Table | None = None
    for n, raw in enumerate(reader, start=1):
        if table is None:
            table = Table(str(path), [str(h).strip() for h in raw], header_row=n)
            continue
        if all(_blank(v) for v in raw):
            continue
        table.rows.append((n, _zip(table.headers, raw)))
    return table or Table(str(path), [])


def read_xlsx(path: str | Path) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several unrelated types for a bad file
        raise InvalidInput(f"无法读取 Excel 文件：{e}", message_en=f"cannot read the Excel file: {e}") from e
    try:
        ws = wb.worksheets[0]
        table: Table | None = None
        for n, raw in enumerate(ws.iter_rows(values_only=True), start=1):
            if table is None:
                table = Table(str(path), [("" if h is None else str(h).strip()) for h in raw], header_row=n)
                continue
            if all(_blank(v) for v in raw):
                continue
            table.rows.append((n, _zip(table.headers, list(raw))))
        return table or Table(str(path), [])
    finally:
        wb.close()


def read_json(path: str | Path) -> Table:
    try:
        data = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as e:
        raise InvalidInput(f"JSON 格式错误：{e}", message_en=f"malformed JSON: {e}") from e
    kind = None
    if isinstance(data, dict):
        kind = data.get("kind") or data.get("list")
        data = data.get("rows")
    if not isinstance(data, list):
        raise InvalidInput(
            "JSON 须为对象数组，或 {\"rows\": [...]}", message_en='JSON must be a list of objects or {"rows": [...]}'
        )
    headers: list[str] = []
    table = Table(str(path), headers, header_row=0, kind=kind if isinstance(kind, str) else None)
    for i, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            table.rows.append((i, {"__not_object__": obj}))
            continue
        for k in obj:
            if str(k) not in headers:
                headers.append(str(k))
        if all(_blank(v) for v in obj.values()):
            continue
        table.rows.append((i, {str(k): v for k, v in obj.items()}))
    return table


def _zip(headers: list[str], raw: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for i, h in enumerate(headers):
        if not h:
            continue
        row[h] = raw[i] if i < len(raw) else None
    return row


def read_table(path: str | Path) -> Table:
    """Read one list file of any supported format."""
    f = fmt_of(path)
    if f == "csv":
        return read_csv(path)
    if f == "xlsx":
        return read_xlsx(path)
    return read_json(path)


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
    heads = {norm_header(h) for h in table.headers}
    scores = []
    for spec in LISTS.values():
        hm = spec.header_map()
        keys = {hm[h] for h in heads if h in hm}
        required = {c.key for c in spec.columns if c.required}
        if required <= keys:
            scores.append((len(keys) / len(spec.columns), spec.kind))
    scores.sort(reverse=True)
    if scores and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None


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


__all__ = ["FORMATS", "Table", "cell_text", "detect_kind", "fmt_of", "read_table", "write_rows"]
