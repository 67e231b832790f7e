"""Import the coordinators' list files into the graph: all of them or nothing.

Every file is read and checked first (``validate_lists``); only when no record is bad is the
whole import written in one ``store.write`` (atomic in both stores), together with one audit
event. Bad data never raises: the report says ``applied=False`` and lists every bad record.

One exception to the single transaction: an import larger than the store's ``atomic_rows``
(Neo4j caps a transaction's memory) is written by ``store.bulk_load`` in transactions of the
store's batch size, and its audit event last, so the event exists only when every row does.
It is still checked whole before anything is written; only a store failure in the middle can
leave part of it, and the report then says so: importing the same files again completes it
(every row is an upsert).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audit import event
from ..errors import FourlinksError, ImportRejected
from ..store.base import Batch, GraphStore
from .headers import LISTS, ORDER
from .io import ReadLimits
from .validate import FileSpec, RowError, validate_lists

if TYPE_CHECKING:
    from ..access import Principal


@dataclass
class ImportReport:
    """The outcome of one import: counts per list, every error, and whether it was applied."""

    applied: bool = False
    dry_run: bool = False
    lang: str = "zh"
    files: list[tuple[str, str]] = field(default_factory=list)  # (list kind, path)
    counts: dict[str, int] = field(default_factory=dict)  # rows read per list
    created: dict[str, int] = field(default_factory=dict)  # nodes created per list (would be, in a dry run)
    updated: dict[str, int] = field(default_factory=dict)
    nodes: int = 0
    rels: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    event: str | None = None
    chunked: bool = False  # written by bulk_load in several transactions (larger than the store's atomic_rows)
    header_rows: dict[str, int] = field(default_factory=dict)  # path -> row taken as the header row

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "files": [{"list": k, "path": p, "header_row": self.header_rows.get(p)} for k, p in self.files],
            "counts": self.counts,
            "created": self.created,
            "updated": self.updated,
            "nodes": self.nodes,
            "rels": self.rels,
            "errors": [e.to_dict(self.lang) for e in self.errors],
            "warnings": [w.to_dict(self.lang) for w in self.warnings],
            "event": self.event,
            "chunked": self.chunked,
        }

    def summary(self, lang: str | None = None, warnings: bool = True) -> str:
        """A few lines for a terminal: what was read, what happened, the first errors (and
        the first warnings, unless the caller shows them its own way)."""
        lang = lang or self.lang
        zh = lang == "zh"
        lines = []
        for _, path in self.files:
            row = self.header_rows.get(path, 1)
            if row > 1:
                name = Path(path).name
                lines.append(f"{name}：表头在第 {row} 行（其上的标题、空行或说明已跳过）" if zh
                             else f"{name}: header row {row} (the title, blank or note rows above it were skipped)")
        for kind in ORDER:
            if kind not in self.counts:
                continue
            spec = LISTS[kind]
            c, n, u = self.counts[kind], self.created.get(kind, 0), self.updated.get(kind, 0)
            lines.append(
                f"{spec.zh}：{c} 行（新增 {n}，更新 {u}）" if zh else f"{kind}: {c} rows ({n} new, {u} updated)"
            )
        if self.errors:
            lines.append(
                f"发现 {len(self.errors)} 处错误，未导入任何数据：" if zh
                else f"{len(self.errors)} errors found; nothing was imported:"
            )
            lines.extend("  " + e.format(lang) for e in self.errors[:50])
            if len(self.errors) > 50:
                more = len(self.errors) - 50
                lines.append(f"  ……另有 {more} 处" if zh else f"  ... and {more} more")
        elif self.dry_run:
            lines.append("检查通过（试运行，未写入）" if zh else "all records are valid (dry run, nothing written)")
        elif self.applied:
            lines.append(
                f"已导入：{self.nodes} 个节点，{self.rels} 条关系" if zh
                else f"imported: {self.nodes} nodes, {self.rels} relationships"
            )
        for w in self.warnings[:20] if warnings else ():
            lines.append(("  警告：" if zh else "  warning: ") + w.format(lang))
        return "\n".join(lines)


def import_lists(
    store: GraphStore,
    paths: FileSpec,
    dry_run: bool = False,
    lang: str = "zh",
    *,
    year: int | None = None,
    actor: str | None = None,
    audit: bool = True,
    raise_on_error: bool = False,
    strict: bool = False,
    limits: ReadLimits | None = None,
    principal: Principal | None = None,
) -> ImportReport:
    """Validate ``paths`` (``{kind: path}``, a list of paths, one path or a folder) against the
    store and, when every record is good and ``dry_run`` is false, write them all in one batch.

    Never applies part of a rejected import (see the module docstring for one larger than the
    store's ``atomic_rows``). ``principal``, when given, must be allowed every row
    (``access.import_scope_errors``: a coordinator stays inside its scope) and is the actor.
    Returns the report; with ``raise_on_error`` a rejected import raises ``ImportRejected``
    carrying it instead. ``strict``: an unrecognised column rejects the file. Past one of
    ``limits`` it raises ``TooLarge`` (nothing is applied)."""
    res = validate_lists(paths, store, lang, year=year, strict=strict, limits=limits)
    if principal is not None:
        from ..access import import_scope_errors

        actor = actor or principal.label
        res.errors.extend(import_scope_errors(store, principal, res.records, lang))
        if res.errors:
            res.created, res.updated = {}, {}
    rep = ImportReport(
        dry_run=dry_run, lang=lang, files=res.files, counts=res.counts, created=res.created, updated=res.updated,
        nodes=len(res.batch.nodes), rels=len(res.batch.rels), errors=list(res.errors), warnings=list(res.warnings),
        header_rows=dict(res.header_rows),
    )
    if res.ok and not dry_run and len(res.batch):
        batch = res.batch
        limit = getattr(store, "atomic_rows", None)
        rep.chunked = limit is not None and len(batch) > limit
        audit_batch = batch if not rep.chunked else Batch()
        if audit:
            rep.event = event(
                audit_batch, actor, "lists.import", [], why="清单导入", id=f"evt-import-{uuid.uuid4().hex[:16]}",
                data={"files": [[k, Path(p).name] for k, p in res.files], "counts": res.counts,
                      "created": res.created, "updated": res.updated, "chunked": rep.chunked},
            )
        try:
            if rep.chunked:
                store.bulk_load(batch)
                if audit:
                    store.write(audit_batch)
            else:
                store.write(batch)
        except FourlinksError as e:
            if rep.chunked:
                rep.errors.append(RowError(
                    "", 0, "", f"写入中断，可能已写入部分数据：{e.message}；"
                    "请重新导入同一批文件以补全（重复导入不会重复创建）",
                    f"the write stopped part-way and may have written some rows: {e.message_en}; import the same "
                    "files again to complete it (rows are upserts, nothing is created twice)"))
            else:
                rep.errors.append(RowError("", 0, "", f"写入失败，未导入任何数据：{e.message}",
                                           f"write failed, nothing was imported: {e.message_en}"))
            rep.event = None
        else:
            rep.applied = True
    if rep.errors and raise_on_error:
        raise ImportRejected(
            f"清单有 {len(rep.errors)} 处错误，未导入任何数据", rep,
            message_en=f"{len(rep.errors)} bad records in the lists; nothing was imported",
        )
    return rep


__all__ = ["ImportReport", "import_lists"]
