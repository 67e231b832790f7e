"""Issue 14 through the API: the import report carries the header row taken and the
unrecognised columns as ``warnings``; ``strict=true`` rejects such a file (both stores)."""

from __future__ import annotations

import csv
from pathlib import Path

from apihelp import ADMIN, upload
from fastapi.testclient import TestClient
from openpyxl import load_workbook


def _with_extra_column(src: Path, dst: Path) -> Path:
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[0].append("联系人电话")
    for r in rows[1:]:
        r.append("0566-1234567")
    with open(dst, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return dst


def test_unknown_columns_are_warnings_and_strict_rejects(client: TestClient, city_files: list[Path],
                                                         tmp_path: Path) -> None:
    areas = next(p for p in city_files if p.name.startswith("区域"))
    odd = _with_extra_column(areas, tmp_path / areas.name)
    others = [p for p in city_files if p != areas]
    r = upload(client, [odd, *others], dry_run="true", strict="true")
    assert r.status_code == 422, r.text
    errors = r.json()["report"]["errors"]  # the areas file is refused, so what refers to its areas fails too
    assert errors[0]["column"] == "联系人电话" and errors[0]["row"] == 1 and not r.json()["report"]["applied"]
    r = upload(client, [odd, *others])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["applied"] and [w["column"] for w in body["warnings"]] == ["联系人电话"]
    assert "不会导入" in body["warnings"][0]["reason"]


def test_the_report_says_which_row_was_the_header(client: TestClient, city_files: list[Path],
                                                  tmp_path: Path) -> None:
    r = client.get("/api/v1/templates/areas", headers=ADMIN)
    assert r.status_code == 200
    template = tmp_path / "template.xlsx"
    template.write_bytes(r.content)
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    with open(next(p for p in city_files if p.name.startswith("区域")), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [c.value for c in ws[1]][: len(rows[0])] == rows[0]
    for i, row in enumerate(rows[1:], start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=v or None)
    ws.insert_rows(1, 2)
    ws["A1"] = "贵池区2026年区域清单"
    ws.merge_cells("A1:L1")
    path = tmp_path / "区域清单.xlsx"
    wb.save(path)
    r = upload(client, [path], dry_run="true")
    assert r.status_code == 200, r.text
    assert r.json()["files"][0]["header_row"] == 3 and r.json()["ok"]
