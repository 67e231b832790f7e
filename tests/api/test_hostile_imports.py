"""Hostile uploads (issue 16): each gets a 413 with a Chinese message, in bounded memory and
time, and applies nothing. The hostile files are built small here, by the builders that
bench/bench_hostile_import.py uses to build them large; the limits are checked before the
expensive part (declared sizes before parsing, Content-Length before reading the body), so
the tests stay fast. Run on both stores through ``client``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelp import ADMIN, V1, upload
from fastapi.testclient import TestClient

from api.routes.files import MAX_FILES, MAX_REQUEST_BYTES
from bench.bench_hostile_import import bomb_xlsx, dimension_xlsx, lying_xlsx, wide_row_xlsx
from engine.errors import TooLarge
from engine.lists import validate_lists
from engine.lists.io import DEFAULT_LIMITS, ReadLimits, read_table
from engine.store import EmbeddedStore

DEMAND_HEADS = ["编号", "社区编号", "需求名称", "需求类别", "需求数量"]


def _is_413_in_chinese(r) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    assert body["message_en"]
    return body


# --- through the API ---------------------------------------------------------------------------


def test_a_cell_at_xfd1048576_is_refused_before_any_row_is_read(client: TestClient, tmp_path: Path) -> None:
    path = dimension_xlsx(tmp_path / "需求清单.xlsx")
    assert path.stat().st_size < 20_000
    body = _is_413_in_chinese(upload(client, [path], dry_run="true"))
    assert "XFD1048576" in body["message"]


def test_a_shared_strings_bomb_is_refused_by_its_declared_size(client: TestClient, tmp_path: Path) -> None:
    path = bomb_xlsx(tmp_path / "需求清单.xlsx", DEFAULT_LIMITS.max_xlsx_strings_bytes + 1024 * 1024)
    assert path.stat().st_size < DEFAULT_LIMITS.max_xlsx_strings_bytes // 50  # it is small on the wire
    body = _is_413_in_chinese(upload(client, [path], dry_run="true"))
    assert "共享字符串" in body["message"]


def test_too_many_files_in_one_request(client: TestClient, tmp_path: Path) -> None:
    files = []
    for i in range(MAX_FILES + 1):
        p = tmp_path / f"{i}_需求清单.csv"
        p.write_text(",".join(DEMAND_HEADS) + "\n", encoding="utf-8")
        files.append(p)
    body = _is_413_in_chinese(upload(client, files, dry_run="true"))
    assert str(MAX_FILES) in body["message"]


def test_a_request_past_the_total_size_is_refused_while_it_arrives(client: TestClient) -> None:
    """Sent without Content-Length (chunked): the server counts and stops at the limit."""
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"需求清单.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    block = b"D1,C1,x,health_clinic,1\n" * 40_000  # about 1 MB

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(MAX_REQUEST_BYTES // len(block) + 2):
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(f"{V1}/imports", content=body(), params={"dry_run": "true"},
                    headers={**ADMIN, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413, r.text[:300]
    assert r.json()["message"].startswith("请求体过大")


def test_a_declared_content_length_past_the_limit_is_refused_unread(client: TestClient) -> None:
    r = client.post(f"{V1}/imports", content=b"x", params={"dry_run": "true"},
                    headers={**ADMIN, "Content-Type": "multipart/form-data; boundary=x",
                             "Content-Length": str(MAX_REQUEST_BYTES + 1)})
    body = _is_413_in_chinese(r)
    assert body["error"] == "too_large" and "上限" in body["message"]


# --- the reading limits, through the engine with small limits ----------------------------------


def _demands_csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(DEMAND_HEADS) + "\n")
        for i in range(rows):
            f.write(f"D{i},C1,义诊,健康义诊,1\n")
    return path


def test_rows_past_the_import_limit_stop_the_import(tmp_path: Path) -> None:
    small = ReadLimits(max_rows=500)
    a = _demands_csv(tmp_path / "需求清单.csv", 300)
    b = _demands_csv(tmp_path / "二社区需求清单.csv", 300)
    assert validate_lists([a], EmbeddedStore(None), limits=small).counts["demands"] == 300
    with pytest.raises(TooLarge) as e:  # the limit counts the rows of every file of the import
        validate_lists([a, b], EmbeddedStore(None), limits=small)
    assert "500" in e.value.message and "二社区需求清单.csv" in e.value.message


def test_reading_stops_at_the_wall_clock_limit(tmp_path: Path) -> None:
    path = _demands_csv(tmp_path / "需求清单.csv", 3000)
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands", limits_budget(ReadLimits(max_seconds=0)))
    assert "秒" in e.value.message


def limits_budget(limits: ReadLimits):  # type: ignore[no-untyped-def]
    from engine.lists.io import ReadBudget

    return ReadBudget(limits)


def test_a_lying_dimension_is_not_trusted(tmp_path: Path) -> None:
    """Rows below the declared range are read (not silently dropped), and a cell a million
    rows down stops at the row limit instead of walking every empty row."""
    path = lying_xlsx(tmp_path / "需求清单.xlsx", 5000)
    with pytest.raises(TooLarge):
        read_table(path, "demands", limits_budget(ReadLimits(max_rows=1000)))
    table = read_table(path, "demands", limits_budget(ReadLimits(max_rows=10_000)))
    assert [n for n, _ in table.rows] == [2, 5000]


def test_an_overlong_csv_line_and_cell(tmp_path: Path) -> None:
    line = tmp_path / "需求清单.csv"
    line.write_text(",".join(DEMAND_HEADS) + "\n" + "D1,C1," + "x" * 5000 + ",健康义诊,1\n", encoding="utf-8")
    with pytest.raises(TooLarge):
        read_table(line, "demands", limits_budget(ReadLimits(max_line_chars=1000)))
    with pytest.raises(TooLarge):
        read_table(line, "demands", limits_budget(ReadLimits(max_cell_chars=1000)))


def test_a_file_past_the_size_limit(tmp_path: Path) -> None:
    path = _demands_csv(tmp_path / "需求清单.csv", 100)
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands", limits_budget(ReadLimits(max_file_bytes=1000)))
    assert "上限" in e.value.message


def test_a_row_of_too_many_cells_is_refused_before_openpyxl_builds_it(tmp_path: Path) -> None:
    """openpyxl holds a whole row in memory: 22 MB of XML in one row took 750 MB."""
    path = wide_row_xlsx(tmp_path / "需求清单.xlsx", 4 * DEFAULT_LIMITS.max_columns + 1, prefix="x:")
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands")
    assert "单元格" in e.value.message


def test_a_json_file_past_its_size_limit(tmp_path: Path) -> None:
    """JSON is parsed whole (no streaming parser), so its own, lower size limit applies."""
    path = tmp_path / "需求清单.json"
    path.write_bytes(b"[" + b"1," * 600 + b"1]")
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands", limits_budget(ReadLimits(max_json_bytes=1000)))
    assert "CSV" in e.value.message


def test_json_objects_past_the_row_limit_are_counted_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "需求清单.json"
    path.write_bytes(b"[" + b'{"id":"D1"},' * 300 + b'{"id":"D1"}]')
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands", limits_budget(ReadLimits(max_rows=100)))
    assert "301" in e.value.message


def test_any_other_xlsx_part_past_its_declared_size(tmp_path: Path) -> None:
    """openpyxl parses the styles whole too: 8 MB of cell formats held about 110 MB."""
    path = dimension_xlsx(tmp_path / "需求清单.xlsx")
    with pytest.raises(TooLarge) as e:
        read_table(path, "demands", limits_budget(ReadLimits(max_xlsx_part_bytes=500)))
    assert "解压后" in e.value.message
