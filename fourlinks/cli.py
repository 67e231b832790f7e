"""The ``fourlinks`` command line (Typer). Settings come from the environment
(``FOURLINKS_STORE``, ``FOURLINKS_DATA_DIR``, ``NEO4J_*``) with ``--store`` on top."""

from __future__ import annotations

import contextlib
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.access import Principal
from engine.config import Settings
from engine.errors import FourlinksError
from engine.matching.problem import DEFAULT_TIME_LIMIT
from engine.store import GraphStore, open_store

app = typer.Typer(no_args_is_help=True, add_completion=False, help="fourlinks: 四联四共 co-building matching engine")
schema_app = typer.Typer(no_args_is_help=True, help="graph schema / 图模式")
app.add_typer(schema_app, name="schema")
console = Console()
err = Console(stderr=True)

PRESETS = {"chizhou": "CZ"}
"""Preset name → the id of its root (city) node."""

StoreOpt = Annotated[str | None, typer.Option("--store", help="embedded|neo4j (overrides FOURLINKS_STORE)")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh|en")]


def _settings(store: str | None) -> Settings:
    if store not in (None, "embedded", "neo4j"):
        raise typer.BadParameter("--store must be embedded or neo4j")
    return Settings.load(store=store)


@contextmanager
def _store(store: str | None):  # type: ignore[no-untyped-def]
    s = open_store(_settings(store))
    try:
        s.apply_schema()
        yield s
    finally:
        s.close()


def _fail(e: FourlinksError, lang: str = "zh") -> None:
    err.print(f"[red]{escape(e.message if lang == 'zh' else e.message_en)}[/red]")
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


# -- schema -------------------------------------------------------------------------------------
@schema_app.command("apply")
def schema_apply(store: StoreOpt = None) -> None:
    """Apply constraints, indexes and migrations (idempotent) / 应用图模式。"""
    try:
        with _store(store) as s:
            v = s.apply_schema()
            console.print(f"schema version {v} ({s.kind})")
    except FourlinksError as e:
        _fail(e)


@schema_app.command("show")
def schema_show() -> None:
    """Print the Cypher the schema generates."""
    from graph_schema import SCHEMA, schema_statements

    for st in schema_statements(SCHEMA):
        console.print(st + ";")


# -- synthetic city and loading ----------------------------------------------------------------
def _synth(preset: str, seed: int, scale: int, year: int):  # type: ignore[no-untyped-def]
    from engine.synth import synthesize

    if preset not in PRESETS:
        raise typer.BadParameter(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return synthesize(preset, seed=seed, scale=scale, year=year)


@app.command()
def synth(
    preset: Annotated[str, typer.Option(help="city preset")] = "chizhou",
    seed: int = 1,
    scale: Annotated[int, typer.Option(min=1, help="K times larger region, same statistics")] = 1,
    year: int = 2026,
    out: Annotated[Path, typer.Option(help="folder for the list files")] = Path("out/lists"),
    fmt: Annotated[str, typer.Option("--format", help="csv|xlsx|json")] = "csv",
) -> None:
    """Build a synthetic city and write its lists as files / 生成合成城市并写出清单文件。"""
    from engine.lists import batch_to_lists

    batch = _synth(preset, seed, scale, year)
    paths = batch_to_lists(batch, out, fmt=fmt)
    console.print(f"{len(batch.nodes)} nodes, {len(batch.rels)} relationships → {out} ({len(paths)} files)")


def load_preset(s: GraphStore, preset: str, seed: int = 1, scale: int = 1, year: int = 2026) -> None:
    batch = _synth(preset, seed, scale, year)
    with _progress() as prog:
        task = prog.add_task("载入 / loading", total=len(batch))
        stats = s.bulk_load(batch, progress=lambda n: prog.advance(task, n))
    err.print(f"{stats.nodes} nodes, {stats.rels} relationships in {stats.seconds:.1f} s")


@app.command()
def load(
    preset: Annotated[str | None, typer.Option(help="city preset, e.g. chizhou")] = None,
    folder: Annotated[Path | None, typer.Option(help="a folder of list files")] = None,
    seed: int = 1,
    scale: Annotated[int, typer.Option(min=1)] = 1,
    year: int = 2026,
    replace: Annotated[bool, typer.Option(help="clear the store first")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Load a preset city or a folder of list files into the store / 载入数据。"""
    if (preset is None) == (folder is None):
        raise typer.BadParameter("give exactly one of --preset or --folder")
    try:
        with _store(store) as s:
            if replace:
                s.clear()
                s.apply_schema()
            if preset:
                load_preset(s, preset, seed, scale, year)
            else:
                if not _import_files(s, [folder], False, lang):  # type: ignore[list-item]
                    raise typer.Exit(1)
            print_summary(s, lang)
    except FourlinksError as e:
        _fail(e, lang)


def _import_files(s: GraphStore, files: list[Path], dry_run: bool, lang: str, strict: bool = False,
                  principal: Principal | None = None) -> bool:
    """Import and print the row-level error table; True when the batch was valid.

    Unrecognised columns are printed in the error colour even when the import succeeds: their
    data is not imported, and a coordinator must not miss that."""
    from engine.lists import import_lists

    zh = lang == "zh"
    report = import_lists(s, files, dry_run=dry_run, lang=lang, strict=strict, principal=principal)
    if report.warnings:
        err.print(f"[bold red]警告：{len(report.warnings)} 列未识别，其数据不会导入（--strict 时拒绝导入）：[/bold red]"
                  if zh else f"[bold red]warning: {len(report.warnings)} unknown columns; their data is not "
                  "imported (--strict rejects the file):[/bold red]")
        for w in report.warnings:
            err.print(f"[red]  {escape(w.format(lang))}[/red]")
    if report.errors:
        t = Table(title="导入错误 / import errors" if zh else "import errors")
        for col in (("文件", "file"), ("行", "row"), ("列", "column"), ("原因", "reason")):
            t.add_column(col[0] if zh else col[1])
        for e in report.errors:
            t.add_row(str(e.file), str(e.row), str(e.column), e.reason_zh if zh else e.reason_en)
        err.print(t)
        for path, row in report.header_rows.items():  # the summary says it when the import is good
            if row > 1:
                err.print(f"{Path(path).name}：表头在第 {row} 行" if zh else f"{Path(path).name}: header row {row}")
        err.print("[red]有错误，未写入任何记录。[/red]" if zh else "[red]errors found: nothing applied.[/red]")
        return False
    verb = ("校验通过（未写入）" if dry_run else "已导入") if zh else ("valid (dry run)" if dry_run else "imported")
    console.print(f"{verb}: {escape(report.summary(lang, warnings=False))}")
    return True


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="list files (CSV/XLSX/JSON)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="reject a file with an unrecognised column")] = False,
    as_token: Annotated[str | None, typer.Option(
        "--as-token", envvar="FOURLINKS_TOKEN",
        help="import as the token's holder: a coordinator's rows must all lie in its scope")] = None,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Import list files; any bad record rejects the whole batch / 导入清单。

    Without ``--as-token`` the command acts as the operator of the data folder (an admin)."""
    from engine.access import require
    from engine.tokens import secret_from, verify

    try:
        principal = verify(as_token, secret_from(_settings(store))) if as_token else None
        with _store(store) as s:
            if principal is not None:
                require(s, principal, "lists.import", what=("导入清单", "import lists"))
            ok = _import_files(s, files, dry_run, lang, strict, principal)
    except FourlinksError as e:
        _fail(e, lang)
    if not ok:
        raise typer.Exit(1)


@app.command()
def export(
    folder: Path,
    fmt: Annotated[str, typer.Option("--format", help="csv|xlsx|json")] = "csv",
    scope: Annotated[str | None, typer.Option(help="limit to a scope id")] = None,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Write the lists back to files / 导出清单。"""
    from engine.lists import export_lists

    try:
        with _store(store) as s:
            paths = export_lists(s, folder, fmt=fmt, lang=lang, scope=scope)
    except FourlinksError as e:
        _fail(e, lang)
    for p in paths.values():
        console.print(str(p))


@app.command()
def templates(folder: Path = Path("out/templates")) -> None:
    """Write the XLSX templates of the lists / 写出清单模板。"""
    from engine.lists import write_templates

    for p in write_templates(folder).values():
        console.print(str(p))


def print_summary(s: GraphStore, lang: str = "zh") -> None:
    from engine.summary import store_summary

    for line in store_summary(s, lang):
        console.print(line)


@app.command()
def summary(store: StoreOpt = None, lang: LangOpt = "zh") -> None:
    """Counts by type and level, lists by category / 数据概况。"""
    try:
        with _store(store) as s:
            print_summary(s, lang)
    except FourlinksError as e:
        _fail(e, lang)


@app.command("recover-journal")
def recover_journal_cmd(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="data folder (FOURLINKS_DATA_DIR)")] = None,
    lang: LangOpt = "zh",
) -> None:
    """Cut a damaged embedded journal back to its last good line; the original is kept aside
    / 修复损坏的嵌入式存储日志（保留损坏行之前的写入）。"""
    from engine.store.embedded import recover_journal

    d = data_dir or Settings.load().data_dir
    try:
        report = recover_journal(d)
    except FourlinksError as e:
        _fail(e, lang)
    except OSError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    console.print(report.summary(lang))


# -- matching ----------------------------------------------------------------------------------
@app.command("round")
def round_cmd(
    preset: Annotated[str | None, typer.Option(help="run on a preset city (loaded if missing)")] = None,
    scope: Annotated[str | None, typer.Option(help="a street, district or city id")] = None,
    year: int | None = None,
    time_limit: Annotated[float, typer.Option(help="solver seconds")] = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    seed: int = 0,
    executor: Annotated[str, typer.Option(envvar="FOURLINKS_EXECUTOR",
                                          help="where parts are solved: local (process pool) or ray")] = "local",
    address: Annotated[str | None, typer.Option(envvar="FOURLINKS_RAY_ADDRESS",
                                                help="Ray cluster address (host:port, auto); none = start one")] = None,
    parent: Annotated[str | None, typer.Option(help="re-round of this published round")] = None,
    out: Annotated[Path | None, typer.Option(help="folder for projects/unmet CSV and XLSX")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    no_write: Annotated[bool, typer.Option("--no-write", help="do not store the round")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Run the yearly matching round / 运行年度匹配。"""
    from engine.matching.executor import make_executor, using
    from engine.matching.params import RoundParams
    from engine.reports import summary_lines, write_round_files
    from engine.rounds import run_now

    if (preset is None) == (scope is None):
        raise typer.BadParameter("give exactly one of --preset or --scope")
    try:
        with _store(store) as s, using(make_executor(executor, address)):
            if preset is not None:
                if preset not in PRESETS:
                    raise typer.BadParameter(f"unknown preset {preset!r}")
                scope = PRESETS[preset]
                if s.label_of(scope) is None:
                    load_preset(s, preset)
            params = RoundParams(year=year, time_limit=time_limit, workers=workers, seed=seed)
            with _progress() as prog:
                task = prog.add_task("匹配 / matching", total=1.0)

                def step(stage: str, frac: float) -> None:
                    prog.update(task, completed=frac, description=f"匹配 / {stage}")

                result = run_now(
                    s,
                    scope,
                    params,
                    run_by="cli",
                    parent=parent,
                    write=not no_write,  # type: ignore[arg-type]
                    progress=step,
                )
    except FourlinksError as e:
        _fail(e, lang)
    folder = out or Path("out") / result.round_id
    files = write_round_files(result, folder, lang)
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
        return
    for line in summary_lines(result, lang):
        console.print(line, highlight=False)
    console.print(("清单已写出：" if lang == "zh" else "lists written: ") + ", ".join(str(f) for f in files))


@app.command()
def region(
    preset: Annotated[str | None, typer.Option(help="a synthetic region of this preset (with --scale), "
                                               "built city by city; none = the store's cities")] = None,
    scale: Annotated[int, typer.Option(min=1, help="cities in the synthetic region")] = 1,
    cities: Annotated[int, typer.Option(min=0, help="only the first N cities (0: all)")] = 0,
    seed: int = 1,
    year: int | None = None,
    time_limit: Annotated[float, typer.Option(help="solver seconds per city (shared by size)")] = DEFAULT_TIME_LIMIT,
    workers: int = 2,
    executor: Annotated[str, typer.Option(envvar="FOURLINKS_EXECUTOR",
                                          help="where parts are solved: local (process pool) or ray")] = "local",
    address: Annotated[str | None, typer.Option(envvar="FOURLINKS_RAY_ADDRESS",
                                                help="Ray cluster address (host:port, auto); none = start one")] = None,
    out: Annotated[Path, typer.Option(help="CSV of the region's project lines")] = Path("out/region/projects.csv"),
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """A region's round (a province, a nation) streamed city by city: the driver holds one city
    at a time; nothing is written to the store / 区域（省、全国）匹配，逐市流式求解。"""
    import itertools

    from engine.matching.executor import make_executor
    from engine.matching.params import RoundParams
    from engine.matching.stream import region_round, store_cities, synthetic_cities
    from engine.reports import region_summary_lines, write_region_allocations

    try:
        params = RoundParams(year=year, time_limit=time_limit, workers=workers, seed=seed)
        ex = make_executor(executor, address)
        with _progress() as prog, contextlib.ExitStack() as stack:
            if preset is not None:
                if preset not in PRESETS:
                    raise typer.BadParameter(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
                n = cities or scale
                source = itertools.islice(synthetic_cities(preset, seed, scale), n)
            else:
                s = stack.enter_context(_store(store))
                listed = store_cities(s)
                if cities:
                    listed = listed[:cities]
                n, source = len(listed), iter(listed)
                if n == 0:
                    raise typer.BadParameter("the store holds no city: load one, or give --preset")
            task = prog.add_task("区域匹配 / region", total=n)
            sol = region_round(source, n, params, executor=ex,
                               on_city=lambda k, p: prog.update(task, completed=k))
    except FourlinksError as e:
        _fail(e, lang)
    path = write_region_allocations(sol.allocations, out, lang)
    for line in region_summary_lines(sol, n, lang):
        console.print(line, highlight=False)
    console.print(("清单已写出：" if lang == "zh" else "lines written: ") + str(path))


@app.command()
def solve(
    problem: Annotated[Path, typer.Argument(help="explicit problem file (JSON, or gzip-compressed .json.gz)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    time_limit: Annotated[float, typer.Option(help="solver seconds")] = DEFAULT_TIME_LIMIT,
    workers: Annotated[int, typer.Option(help="processes the parts are solved in (0 = cores)")] = 0,
    seed: int = 0,
    relative_gap: float = 0.0,
    mip: Annotated[bool, typer.Option(help="also solve each part with HiGHS (MIP)")] = True,
    tight_bound: Annotated[bool, typer.Option(help="also bound big parts by decomposition (slower, tighter)")] = False,
    executor: Annotated[str, typer.Option(envvar="FOURLINKS_EXECUTOR",
                                          help="where parts are solved: local (process pool) or ray")] = "local",
    address: Annotated[str | None, typer.Option(envvar="FOURLINKS_RAY_ADDRESS",
                                                help="Ray cluster address (host:port, auto); none = start one")] = None,
) -> None:
    """Solve an explicit problem file (docs/PROBLEM_FORMAT.md) / 求解显式问题文件。"""
    from pydantic import ValidationError

    from engine.matching.executor import make_executor, using
    from engine.matching.problem import Problem, SolveParams
    from engine.matching.solver import solve as run_solve

    try:
        raw = problem.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            import gzip

            raw = gzip.decompress(raw)
        p = Problem.model_validate_json(raw)
    except (OSError, EOFError, ValidationError) as e:
        err.print(f"[red]bad problem file {problem}: {e}[/red]")
        raise typer.Exit(2) from e
    extra = {"workers": workers} if workers > 0 else {}
    params = SolveParams(time_limit=time_limit, seed=seed, relative_gap=relative_gap, mip=mip,
                         tight_bound=tight_bound, **extra)
    try:
        with using(make_executor(executor, address)):
            sol = run_solve(p, params)
    except FourlinksError as e:
        _fail(e)
    if as_json:
        sys.stdout.write(sol.model_dump_json() + "\n")
        return
    console.print(
        f"status {sol.status}  objective {sol.objective:g}  bound {sol.bound:g}  gap {100 * sol.gap:.3f}%  "
        f"{sol.wall_time:.2f} s  {len(sol.allocations)} allocations, {sol.components} components"
    )
    for c in sol.conflicts:
        console.print(f"  cannot cover {c.demand}: {c.reason} {c.detail}")


@app.command()
def recommend(
    demand: Annotated[str, typer.Argument(help="demand id")],
    k: Annotated[int, typer.Option(min=1)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Best units for one demand now (吹哨 item) / 为单项需求推荐共建单位。"""
    from engine.matching.recommend import recommend as rec

    try:
        with _store(store) as s:
            recs = rec(s, demand, k=k)
    except FourlinksError as e:
        _fail(e, lang)
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump() for r in recs], ensure_ascii=False) + "\n")
        return
    for r in recs:
        console.print(r.line(lang), highlight=False)


@app.command()
def whatif(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML), see scenarios/README.md")],
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help="folder for report.html, comparison.xlsx/json")] = None,
    time_limit: Annotated[float | None, typer.Option(help="solver seconds per run (overrides the file)")] = None,
    full: Annotated[bool, typer.Option("--full", help="every key figure in the terminal table")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Run a what-if scenario on a copy of the data and compare / 情景推演（不改动现有数据）。"""
    from engine.whatif import ScenarioError, load_spec_file, run_scenario, scenario_json
    from engine.whatif.report import terminal_tables, write_all

    try:
        spec = load_spec_file(file)
    except ScenarioError as e:
        for line in e.lines():
            err.print(f"[red]{line}[/red]", highlight=False)
        raise typer.Exit(2) from e

    def go(s: GraphStore | None):  # type: ignore[no-untyped-def]
        with _progress() as prog:
            task = prog.add_task("推演 / what-if", total=1.0)

            def step(stage: str, frac: float) -> None:
                prog.update(task, completed=frac, description=f"推演 / {stage}")

            return run_scenario(s, spec, step, time_limit=time_limit, base_dir=file.resolve().parent)

    try:
        if spec.base.round:
            with _store(store) as s:
                res = go(s)
        else:
            res = go(None)
    except FourlinksError as e:
        _fail(e, lang)
    folder = out or Path("out") / f"whatif-{spec.name}"
    files = write_all(res, folder, lang)
    if as_json:
        sys.stdout.write(json.dumps(scenario_json(res, lang), ensure_ascii=False, default=str) + "\n")
        return
    for tb in terminal_tables(res, lang, full=full):
        console.print(tb)
    console.print(("报告已写出：" if lang == "zh" else "written: ") + ", ".join(str(f) for f in files))


# -- service -----------------------------------------------------------------------------------
KEEP_ALIVE_SECONDS = 75.0
"""How long the server keeps an idle connection. uvicorn's default, 5 s, equals httpx's (and
many pools') ``keepalive_expiry``: a client reusing a connection just as the server closes it
gets a reset, ``httpx.ReadError`` (seen once under Neo4j load; bench/bench_keepalive.py
reproduces it). The server must outlast its clients' pools, so it closes idle connections last."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind (default FOURLINKS_HOST, else 127.0.0.1: "
                                             "loopback only)")] = None,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=4, help="round-job threads")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    keep_alive: Annotated[float, typer.Option(
        "--keep-alive", min=1, envvar="FOURLINKS_KEEP_ALIVE",
        help="seconds an idle keep-alive connection stays open")] = KEEP_ALIVE_SECONDS,
    store: StoreOpt = None,
    grace: Annotated[float, typer.Option(min=0, max=600, help="seconds SIGTERM waits for requests in flight")] = 5.0,
) -> None:
    """Serve the HTTP API (docs at /docs) / 启动 HTTP 接口服务。

    SIGTERM or Ctrl-C stops it within seconds: requests in flight get ``grace`` seconds, solving
    rounds are killed and marked failed, the store is closed."""
    import uvicorn

    from api import create_app
    from engine.tokens import secret_from

    settings = _settings(store)
    try:
        secret_from(settings)  # a token secret that is too short stops the server before it listens
    except FourlinksError as e:
        _fail(e)
    uvicorn.run(create_app(settings, workers=workers), host=host or settings.host, port=port, log_level=log_level,
                timeout_graceful_shutdown=grace, timeout_keep_alive=keep_alive)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="coordinator|unit|planner|admin|member")],
    scope: Annotated[str | None, typer.Option(
        help="community/street id (coordinator), unit id (unit) or member id (member)")] = None,
    sub: Annotated[str | None, typer.Option(help="who the token is for")] = None,
    ttl_days: Annotated[float, typer.Option(min=0.001, max=3650, help="days valid (every token expires)")] = 30.0,
) -> None:
    """Issue a bearer token (admin command) / 签发访问令牌。"""
    from engine.tokens import issue, secret_from

    try:
        settings = Settings.load()
        t = issue(role, scope, sub or f"{role}:{scope or 'cli'}", secret_from(settings), ttl=ttl_days * 86400)
    except FourlinksError as e:
        _fail(e)
    sys.stdout.write(t + "\n")


# -- micro-wishes --------------------------------------------------------------------------------
wishes_app = typer.Typer(no_args_is_help=True, help="micro-wishes and volunteer points / 微心愿与志愿积分")
app.add_typer(wishes_app, name="wishes")
WishWalkOpt = Annotated[float | None, typer.Option(help="walking minutes (default FOURLINKS_WISH_WALK_MINUTES)")]
WishCapOpt = Annotated[int | None, typer.Option(help="wishes per member a week (default FOURLINKS_WISH_CAP)")]
WishCandidatesOpt = Annotated[int, typer.Option(min=1, help="nearest newcomers and other members kept per wish")]


@wishes_app.command("match")
def wishes_match(
    scope: Annotated[str, typer.Option(help="a community, street, district or city id")],
    walk: WishWalkOpt = None,
    cap: WishCapOpt = None,
    candidates: WishCandidatesOpt = 20,
    seed: int = 1,
    time_limit: Annotated[float, typer.Option(help="solver seconds")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the proposals as JSON")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Propose members for the open micro-wishes of a scope (the weekly matching) / 微心愿每周匹配。"""
    import dataclasses
    import json

    from engine.wish_matching import match

    settings = _settings(store)
    try:
        with _store(store) as s:
            r = match(s, scope, reach_minutes=walk or settings.wish_walk_minutes, cap=cap or settings.wish_cap,
                      seed=seed, seconds=time_limit, candidates=candidates)
    except FourlinksError as e:
        _fail(e, lang)
    if as_json:
        sys.stdout.write(json.dumps(dataclasses.asdict(r), ensure_ascii=False) + "\n")
        return
    zh = lang == "zh"
    console.print(
        (f"求解 {r.status}：匹配 {len(r.pairs)} 个心愿（人工贪心基线 {r.greedy_pairs}），未匹配 {len(r.unmatched)}"
         if zh else f"solver {r.status}: {len(r.pairs)} wishes matched (greedy baseline {r.greedy_pairs}), "
         f"{len(r.unmatched)} unmatched"),
        highlight=False,
    )
    for p in r.pairs:
        console.print(f"  {p.wish} → {p.member}: {p.reason_zh if zh else p.reason_en}", highlight=False)
    for w, (why_zh, why_en) in r.unmatched.items():
        console.print(f"  {w} ✗ {why_zh if zh else why_en}", highlight=False)


@wishes_app.command("year")
def wishes_year(
    scope: Annotated[str, typer.Option(help="a community, street, district or city id")],
    year: Annotated[int, typer.Option(help="the year whose wishes are matched week by week")] = 2026,
    method: Annotated[str, typer.Option(help="solver|greedy")] = "solver",
    weeks: Annotated[int, typer.Option(help="weekly matchings to run (52: the whole year)")] = 52,
    walk: WishWalkOpt = None,
    cap: WishCapOpt = None,
    candidates: WishCandidatesOpt = 20,
    seed: int = 1,
    time_limit: Annotated[float, typer.Option(help="solver seconds a week")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the year as JSON")] = False,
    store: StoreOpt = None,
    lang: LangOpt = "zh",
) -> None:
    """Run a year of weekly wish matchings and carry them out (claims, confirmations and points
    are WRITTEN to the store: a simulation for a synthetic city) / 模拟一年的微心愿每周匹配（写入库）。"""
    import dataclasses
    import json

    from engine.wish_year import Week, run_year

    settings = _settings(store)
    zh = lang == "zh"

    def show(w: Week) -> None:
        if as_json:
            return
        if zh:
            line = (f"第 {w.week} 周：待认领 {w.open}（紧急 {w.urgent_open}），"
                    f"匹配 {w.matched}（紧急 {w.urgent_matched}），过期 {w.expired}")
        else:
            line = (f"week {w.week}: {w.open} open ({w.urgent_open} urgent), "
                    f"{w.matched} matched ({w.urgent_matched} urgent), {w.expired} expired")
        console.print(line, highlight=False)

    try:
        with _store(store) as s:
            y = run_year(s, scope, year, method=method, weeks=weeks, reach_minutes=walk or settings.wish_walk_minutes,
                         cap=cap or settings.wish_cap, seed=seed, seconds=time_limit, candidates=candidates,
                         settings=settings, progress=show)
    except FourlinksError as e:
        _fail(e, lang)
    if as_json:
        sys.stdout.write(json.dumps(dataclasses.asdict(y), ensure_ascii=False) + "\n")
        return
    console.print(
        (f"{year} 年 {len(y.weeks)} 周（{y.method}）：匹配并确认 {y.matched} 个心愿（紧急 {y.urgent_matched}），"
         f"过期 {y.expired}，年末待认领 {y.open_at_end}，积分 {y.points_earned}，用时 {y.seconds} 秒"
         if zh else f"{year}, {len(y.weeks)} weeks ({y.method}): {y.matched} wishes matched and confirmed "
         f"({y.urgent_matched} urgent), {y.expired} expired, {y.open_at_end} open at the end, "
         f"{y.points_earned} points, {y.seconds} s"),
        highlight=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
