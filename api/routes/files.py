"""Bulk import by upload (CSV/XLSX/JSON, ``dry_run``, all-or-nothing, row-level errors) and
downloads: the XLSX templates and any list as CSV/XLSX."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from engine.access import require
from engine.errors import InvalidInput, TooLarge
from engine.lists import export_lists, import_lists, write_template
from engine.lists.io import DEFAULT_LIMITS

from ..deps import PrincipalDep, StoreDep
from ..errors import ErrorBody, error_json
from ..schemas import IdStr, Lang, ListKind
from ..util import AREAS, known


class _SizedRoute(APIRoute):
    """Refuses a request whose Content-Length is past the route's ``max_body_size`` with the
    API's JSON error in Chinese, before reading any of it. (FastAPI's own limit, which also
    counts bodies sent without Content-Length, answers such a request in plain text.)"""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = getattr(self, "max_body_size", None)
        length = Headers(scope=scope).get("content-length", "")
        if limit is not None and length.isdigit() and int(length) > limit:
            mb, cap = int(length) / 1024 / 1024, limit // 1024 // 1024
            await error_json(413, "too_large", f"上传内容共 {mb:.0f} MB，超过一次请求 {cap} MB 的上限，请分批导入",
                             f"the upload is {mb:.0f} MB, more than the {cap} MB a request; import in batches"
                             )(scope, receive, send)
            return
        await super().handle(scope, receive, send)


router = APIRouter(tags=["files"], route_class=_SizedRoute)

MAX_BYTES = DEFAULT_LIMITS.max_file_bytes
"""One uploaded file."""
MAX_REQUEST_BYTES = 100 * 1024 * 1024
"""One request, all files and multipart overhead: past it the server answers 413 before
parsing the body (by Content-Length, else by counting what arrives)."""
MAX_FILES = 50
"""Files in one request (a street's lists, or one demand list per community)."""
SUFFIXES = (".csv", ".xlsx", ".json")
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Kind = ListKind


def _safe_name(name: str | None, i: int) -> str:
    """The upload's name as a plain file name. A name with a folder part (``../``, ``/``, ``\\``)
    or a control character is refused: it is either a mistake or an attempt to write elsewhere."""
    if name and (any(ch in name for ch in "/\\") or name.strip(".") == ""
                 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name)):
        raise InvalidInput(f"文件名 {name!r} 不能含路径或控制字符",
                           message_en=f"file name {name!r} may not hold a path or control characters")
    base = Path(name or f"upload{i}").name
    base = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base)[:120] or f"upload{i}"
    if not base.lower().endswith(SUFFIXES):
        raise InvalidInput(f"文件 {name} 不是 CSV/XLSX/JSON", message_en=f"{name} is not a CSV, XLSX or JSON file")
    return base


@router.post("/imports", summary="批量导入清单（全部或全不）/ import list files, all or nothing",
             responses={422: {"model": ErrorBody, "description": "bad records; nothing imported / 有错误，未导入"},
                        413: {"model": ErrorBody, "description": "past a size, file-count, row or time limit; "
                              "nothing imported / 超出导入上限，未导入"}},
             response_model=dict[str, Any], max_body_size=MAX_REQUEST_BYTES)
async def import_files(
    store: StoreDep, principal: PrincipalDep,
    files: Annotated[list[UploadFile], File(description="清单文件 CSV/XLSX/JSON / list files",
                                            json_schema_extra={"minItems": 1})],
    dry_run: Annotated[bool, Query(description="只校验不写入 / validate only")] = False,
    lang: Annotated[Lang, Query(description="报告语言 / report language")] = "zh",
    year: Annotated[int | None, Query(ge=2000, le=2100, description="缺省年度 / default year")] = None,
    strict: Annotated[bool, Query(description="有未识别的列时拒绝导入 / reject a file with an unrecognised "
                                              "column")] = False,
) -> Any:
    require(store, principal, "lists.import", what=("导入清单", "import lists"))
    if not files:
        raise InvalidInput("请上传至少一个文件", message_en="upload at least one file")
    if len(files) > MAX_FILES:
        raise TooLarge(f"一次最多上传 {MAX_FILES} 个文件（本次 {len(files)} 个），请分批导入",
                       message_en=f"at most {MAX_FILES} files per request ({len(files)} sent); import in batches")
    with tempfile.TemporaryDirectory(prefix="fourlinks-import-") as tmp:
        paths = []
        seen: set[str] = set()
        for i, f in enumerate(files):
            name = _safe_name(f.filename, i)
            if name in seen:
                name = f"{i}_{name}"
            seen.add(name)
            p = Path(tmp) / name
            with open(p, "wb") as out:  # the upload is spooled to disk already: copy in chunks
                await run_in_threadpool(shutil.copyfileobj, f.file, out, 1024 * 1024)
            if p.stat().st_size > MAX_BYTES:
                raise TooLarge(f"文件 {name} 超过 {MAX_BYTES // 1024 // 1024} MB",
                               message_en=f"{name} is larger than {MAX_BYTES // 1024 // 1024} MB")
            paths.append(p)
        report = await run_in_threadpool(import_lists, store, paths, dry_run, lang, year=year, strict=strict,
                                         principal=principal)
    body = report.to_dict()
    for fdesc in body.get("files", []):
        fdesc["path"] = Path(str(fdesc.get("path", ""))).name
    for row in (*body.get("errors", []), *body.get("warnings", [])):  # the uploaded name, not the server's path
        row["file"] = Path(str(row.get("file", ""))).name
    if report.errors:
        n = len(report.errors)
        return JSONResponse({"error": "import_rejected", "message": f"清单有 {n} 处错误，未导入任何数据",
                             "message_en": f"{n} bad records; nothing was imported", "report": body},
                            status_code=422)
    return body


@router.get("/templates/{kind}", summary="下载 XLSX 清单模板 / download an XLSX template",
            response_class=Response, responses={200: {"content": {MEDIA["xlsx"]: {}}}})
def template(kind: Kind, store: StoreDep, principal: PrincipalDep,
             lang: Annotated[Lang, Query(description="表头语言 / header language")] = "zh") -> Response:
    require(store, principal, "read")
    with tempfile.TemporaryDirectory() as tmp:
        p = write_template(kind, Path(tmp) / f"{kind}.xlsx", lang=lang)
        data = p.read_bytes()
    fname = f"{kind}-template.xlsx"
    return Response(data, media_type=MEDIA["xlsx"], headers={"Content-Disposition": f'attachment; filename="{fname}"'})


@router.get("/lists/{kind}", summary="下载清单（CSV/XLSX）/ download a list",
            response_class=Response, responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def download_list(
    kind: Kind, store: StoreDep, principal: PrincipalDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="文件格式 / file format")] = "csv",
    scope: Annotated[IdStr | None, Query(description="区域编号 / limit to an area")] = None,
    lang: Annotated[Lang, Query(description="表头语言 / header language")] = "zh",
) -> Response:
    require(store, principal, "read")
    known(store, scope, *AREAS)
    with tempfile.TemporaryDirectory() as tmp:
        out = export_lists(store, tmp, fmt=format, lang=lang, scope=scope, lists=[kind])
        data = out[kind].read_bytes()
    fname = f"{kind}.{format}"
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{fname}"'})

