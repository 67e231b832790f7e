"""Hostile imports (issue 16): peak memory and CPU seconds of the server for each hostile
upload, and the limit that stopped it.

Each case starts a fresh ``fourlinks serve`` (embedded store, empty) on a free loopback port,
reads its idle resident size, sends one ``POST /api/v1/imports?dry_run=true`` and reads the
server's peak resident size (``VmHWM``) and CPU seconds (user + system, from /proc) after the
answer. The hostile files are written to a temporary folder first (the bomb is compressed
from a stream, never held whole) and streamed by httpx from disk.

    python bench/bench_hostile_import.py            # every case
    python bench/bench_hostile_import.py --cases bomb dimension

Cases: ``csv48`` a 48 MB demand CSV (about 400,000 rows); ``files40`` 40 files × 10 MB in one
request; ``files40small`` 40 files × 2.4 MB (under the request size: the row limit across
files); ``bomb`` a 1 MB xlsx whose shared strings expand to 1 GiB; ``dimension`` a 4.7 KB xlsx
holding a cell at XFD1048576; ``lying`` an xlsx that declares A1:E2 but holds a cell at row
1,048,576; ``widerow`` an xlsx whose second row holds 10 million cells (220 MB of XML);
``json20`` a 48 MB JSON array of ones; ``json19`` 19 MB of small JSON objects (1.6 million);
``city4`` for reference, the accepted lists of a city ×4 (121,000 rows).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_api import SECRET, V1, Server, hdr  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from engine.lists import LISTS  # noqa: E402

DEMAND_ROW = ("D{i},C1,G1,老年人健康义诊,健康义诊,16,4,120,否,是,2,3-5,老年人,2026,敲门行动,待匹配,30.66,117.49,"
              "重点关注独居老人\n")
CASES = ("csv48", "files40", "files40small", "bomb", "dimension", "lying", "widerow", "json20", "json19", "city4")


def _proc(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"rss": kb["VmRSS"] * 1024, "hwm": kb["VmHWM"] * 1024, "cpu": (int(fields[11]) + int(fields[12])) / tick}


def demand_csv(path: Path, size: int) -> Path:
    head = ",".join(LISTS["demands"].headers("zh")) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(head)
        written, i = len(head.encode()), 0
        while written < size:
            line = DEMAND_ROW.format(i=i)
            f.write(line)
            written += len(line.encode())
            i += 1
    return path


def _workbook(fill: Callable[[Any], None] | None = None) -> bytes:
    """A demand list with its header row (and whatever ``fill`` writes), as XLSX bytes."""
    wb = Workbook()
    ws = wb.active
    ws.append(LISTS["demands"].headers("zh"))
    if fill is not None:
        fill(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(path: Path, base: bytes, sheet: Callable[[bytes], bytes] | None = None, drop: tuple[str, ...] = (),
             add: Callable[[zipfile.ZipFile], None] | None = None) -> Path:
    """``base`` with its first sheet's XML edited by ``sheet``, the parts ``drop`` left out and
    ``add`` writing more parts: what a hostile generator can do that openpyxl would not."""
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            data = src.read(info.filename)
            if sheet is not None and info.filename == "xl/worksheets/sheet1.xml":
                data = sheet(data)
            dst.writestr(info, data)
        if add is not None:
            add(dst)
    return path


def bomb_xlsx(path: Path, expanded: int) -> Path:
    """Shared strings expanding to ``expanded`` bytes (one string, repeated: about 1,000:1),
    compressed from a stream, never held whole."""
    chunk = ("<si><t>" + "四" * 1000 + "</t></si>").encode() * 64

    def strings(dst: zipfile.ZipFile) -> None:
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?>'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            done = 0
            while done < expanded:
                f.write(chunk)
                done += len(chunk)
            f.write(b"</sst>")

    def manifest(dst: zipfile.ZipFile) -> None:  # so that openpyxl finds the table and loads it
        strings(dst)
        with zipfile.ZipFile(io.BytesIO(base)) as src:
            types = src.read("[Content_Types].xml")
            rels = src.read("xl/_rels/workbook.xml.rels")
        if b"sharedStrings" not in types:
            types = types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                  b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            rels = rels.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats'
                                b'.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                b"</Relationships>")
        dst.writestr("[Content_Types].xml", types)
        dst.writestr("xl/_rels/workbook.xml.rels", rels)

    base = _workbook()
    return _rewrite(path, base, drop=("xl/sharedStrings.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"),
                    add=manifest)


def dimension_xlsx(path: Path) -> Path:
    """A few KB holding (and so declaring) a cell at XFD1048576, the last cell of a sheet."""
    path.write_bytes(_workbook(lambda ws: ws.__setitem__("XFD1048576", "x")))
    return path


def lying_xlsx(path: Path, last_row: int = 1_048_576) -> Path:
    """A data row, a cell at row ``last_row``, and a dimension that declares only A1:E2."""
    def fill(ws: Any) -> None:
        ws.append(["D1", "C1", "义诊", "健康义诊", 1])
        ws.cell(row=last_row, column=1, value="x")

    return _rewrite(path, _workbook(fill),
                    sheet=lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E2"', xml))


def wide_row_xlsx(path: Path, cells: int, prefix: str = "") -> Path:
    """A second row of ``cells`` cells (about 22 bytes of XML each), its tags with ``prefix``."""
    p = prefix.encode()
    row = b"<" + p + b'row r="2">' + (b"<" + p + b'c t="n"><' + p + b"v>1</" + p + b"v></" + p + b"c>") * cells
    row += b"</" + p + b"row>"

    def sheet(xml: bytes) -> bytes:
        head, tail = xml.split(b"</sheetData>")
        return head + row + b"</sheetData>" + tail

    return _rewrite(path, _workbook(), sheet=sheet)


def json_numbers(path: Path, size: int) -> Path:
    """A JSON array of ones just under the upload size: 25 million Python objects if parsed."""
    with open(path, "wb") as f:
        f.write(b"[")
        f.write(b"1," * (size // 2 - 2))
        f.write(b"1]")
    return path


def json_objects(path: Path, size: int) -> Path:
    """A JSON array of small objects just under the JSON size limit: parsed whole, then the
    row limit stops it."""
    item = b'{"id":"D1"},'
    with open(path, "wb") as f:
        f.write(b"[")
        f.write(item * (size // len(item) - 1))
        f.write(b'{"id":"D1"}]')
    return path


def build(case: str, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if case == "csv48":
        return [demand_csv(folder / "需求清单.csv", 48 * 1024 * 1024)]
    if case in ("files40", "files40small"):
        size = 10 * 1024 * 1024 if case == "files40" else 2_400_000
        one = demand_csv(folder / "0_需求清单.csv", size)
        out = [one]
        for i in range(1, 40):
            p = folder / f"{i}_需求清单.csv"
            shutil.copyfile(one, p)
            out.append(p)
        return out
    if case == "bomb":
        return [bomb_xlsx(folder / "需求清单.xlsx", 1024 * 1024 * 1024)]
    if case == "dimension":
        return [dimension_xlsx(folder / "需求清单.xlsx")]
    if case == "lying":
        return [lying_xlsx(folder / "需求清单.xlsx")]
    if case == "widerow":
        return [wide_row_xlsx(folder / "需求清单.xlsx", 10_000_000)]
    if case == "json20":
        return [json_numbers(folder / "需求清单.json", 48 * 1024 * 1024)]
    if case == "json19":
        return [json_objects(folder / "需求清单.json", 19 * 1024 * 1024)]
    if case == "city4":
        subprocess.run([sys.executable, "-m", "fourlinks", "synth", "--scale", "4", "--out", str(folder)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return sorted(folder.glob("*.csv"))
    raise ValueError(case)


def run_case(case: str, work: Path) -> dict[str, Any]:
    files = build(case, work / case)
    sent = sum(p.stat().st_size for p in files)
    env = {**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(work / f"data-{case}"),
           "FOURLINKS_TOKEN_SECRET": SECRET}
    server = Server(env)
    try:
        server.wait_ready()
        time.sleep(0.5)
        idle = _proc(server.proc.pid)
        handles = [open(p, "rb") for p in files]  # noqa: SIM115 (closed below)
        t0 = time.monotonic()
        try:
            with httpx.Client(base_url=server.url, timeout=900, trust_env=False) as c:
                r = c.post(f"{V1}/imports", params={"dry_run": "true"}, headers=hdr("admin", None, "bench"),
                           files=[("files", (p.name, h, "application/octet-stream")) for p, h in
                                  zip(files, handles, strict=True)])
        except httpx.HTTPError as e:  # the server may close the connection after a 413 mid-upload
            r = None
            err = repr(e)
        finally:
            for h in handles:
                h.close()
        wall = time.monotonic() - t0
        time.sleep(0.2)
        after = _proc(server.proc.pid)
    finally:
        server.stop()
    body: dict[str, Any] = {}
    if r is not None:
        try:
            body = r.json()
        except ValueError:
            body = {"text": r.text[:200]}
    return {
        "case": case, "files": len(files), "sent_mb": round(sent / 1024 / 1024, 1),
        "status": r.status_code if r is not None else err,
        "error": body.get("error"), "message": body.get("message", "")[:140],
        "idle_rss_mb": round(idle["rss"] / 1024 / 1024), "peak_rss_mb": round(after["hwm"] / 1024 / 1024),
        "over_idle_mb": round((after["hwm"] - idle["rss"]) / 1024 / 1024),
        "cpu_s": round(after["cpu"] - idle["cpu"], 2), "wall_s": round(wall, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--keep", help="folder for the hostile files (default: a temporary one, removed)")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"# {datetime.now(UTC).date()} {platform.node()} cpus={os.cpu_count()} "
          f"load={load[0]:.2f},{load[1]:.2f},{load[2]:.2f}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fourlinks-hostile-"))
    try:
        for case in args.cases:
            print(json.dumps(run_case(case, work), ensure_ascii=False), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"# load after: {load[0]:.2f},{load[1]:.2f},{load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
