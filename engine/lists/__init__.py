"""The coordinators' list files (区域/共建单位/党组织/党员/资源/需求清单): the header table,
reading CSV/XLSX/JSON, validation with per-row reasons in Chinese and English, all-or-nothing
import, export back to files (round-trip), XLSX templates and docs/LISTS.md."""

from __future__ import annotations

from .export import batch_to_lists, collect_rows, export_lists, render_docs, write_docs, write_template, write_templates
from .headers import LISTS, ORDER, Column, ListSpec, kind_from_name, spec_for
from .importer import ImportReport, import_lists
from .io import detect_kind, read_table
from .validate import ImportResult, RowError, validate_lists

__all__ = [
    "LISTS",
    "ORDER",
    "Column",
    "ImportReport",
    "ImportResult",
    "ListSpec",
    "RowError",
    "batch_to_lists",
    "collect_rows",
    "detect_kind",
    "export_lists",
    "import_lists",
    "kind_from_name",
    "read_table",
    "render_docs",
    "spec_for",
    "validate_lists",
    "write_docs",
    "write_template",
    "write_templates",
]
