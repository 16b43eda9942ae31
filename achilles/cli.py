"""The `achilles` command: serve the API, run the demo and the pipeline, query the warehouse."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from achilles.sql_output import Format as SqlFormat
from achilles_core.settings import DEV_API_KEY, Settings, find_data_dir

app = typer.Typer(
    help="Achilles: analytics for AI coding-agent sessions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory (default: $ACHILLES_DATA_DIR, else the project's data/ found "
        "from the current folder upwards, else ./data).",
    ),
]


def _settings(data_dir: Path | None) -> Settings:
    """The settings, with the data dir made absolute and named on stderr unless it is
    ./data of the current folder (so output meant for a pipe stays clean)."""
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    resolved = settings.data_dir.resolve()
    # Absolute, so child processes (server, dbt, Dagster), given it explicitly, agree.
    settings = settings.model_copy(update={"data_dir": resolved})
    if resolved != (Path.cwd() / "data").resolve():
        if data_dir is not None:
            how = "--data-dir"
        else:
            found, how = find_data_dir()
            how = how if found.resolve() == resolved else "ACHILLES_DATA_DIR"
        typer.echo(f"Data dir: {resolved} ({how})", err=True)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: 8000).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Serve reads only, beside an ingest server on another port: reads then "
            "do not share the ingest path's processes.",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Run the ingest and read API."""
    import uvicorn

    settings = _settings(data_dir)
    host = host or settings.host
    problem = settings.open_server_problem(host)
    if problem is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    # The workers build their settings from the environment: hand them the data dir
    # this command resolved (an explicit --data-dir included) and the bind address.
    os.environ["ACHILLES_DATA_DIR"] = str(settings.data_dir)
    os.environ["ACHILLES_HOST"] = host  # the workers' create_app checks the same address
    if read_only:
        os.environ["ACHILLES_READ_ONLY"] = "true"
    uvicorn.run(
        "ingest_api.app:create_app",
        factory=True,
        host=host,
        port=port or settings.port,
        workers=workers,
    )


SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "sessions.json"


@app.command()
def demo(
    url: Annotated[
        str | None, typer.Option(help="A running server; default: start one for the demo.")
    ] = None,
    api_key: Annotated[str, typer.Option(help="API key for --url.")] = DEV_API_KEY,
    pipeline: Annotated[
        bool | None,
        typer.Option(
            "--pipeline/--no-pipeline",
            help="Materialize and report afterwards (default: on unless --url is given).",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """The main job: send sessions over HTTP, check the round trip, build, report."""
    import json

    from achilles.client import AchillesClient
    from achilles.demo import RoundTripError, round_trip, send_samples
    from achilles.server import ServerProcess

    settings = _settings(data_dir)
    run_pipeline_after = pipeline if pipeline is not None else url is None
    server = None
    if url is None:
        server = ServerProcess(settings.data_dir).start()
        url = server.url
        typer.echo(f"Started a server at {url} (data dir {settings.data_dir})")
        api_key = settings.client_api_key
    try:
        with AchillesClient(url, api_key) as client:
            round_trip(client, echo=typer.echo)
            if run_pipeline_after:
                send_samples(client, json.loads(SAMPLES.read_text()), echo=typer.echo)
    except RoundTripError as exc:
        typer.echo(f"Round trip FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        if server:
            server.stop()
    if run_pipeline_after:
        _run_and_report(settings)
        serve = "achilles serve"
        if settings.data_dir != (Path.cwd() / "data").resolve():
            serve += f" --data-dir {settings.data_dir}"
        typer.echo(
            f"\nDashboard: {_dashboard_url(settings)} (start it with `{serve}`; "
            "the demo's own server has stopped)."
        )


def _nothing_to_build(settings: Settings) -> bool:
    """True (and says so) when nothing changed since the published snapshot was built."""
    from orchestration.fingerprint import unchanged_since_publish

    last = unchanged_since_publish(settings)
    if last is None:
        return False
    typer.echo(
        f"Nothing changed since the snapshot built at {last.get('recorded_at', '?')} "
        f"({last['landing']['files']:,} landing files, same dbt project and settings): "
        f"nothing built, nothing published; {settings.published_db} is current.\n"
        "`achilles report` prints it; `achilles run --force` builds anyway."
    )
    return True


def _run_and_report(
    settings: Settings, full_refresh: bool = False, wait: bool = False, force: bool = False
) -> None:
    import time

    if not (force or full_refresh) and _nothing_to_build(settings):
        return

    from achilles.report import print_report
    from achilles.run_progress import RunProgress
    from ingest_api.warehouse import WarehouseReader
    from orchestration.pipeline import RunInProgress, pipeline_log_path, run_pipeline

    log = pipeline_log_path(settings)
    typer.echo("Running the pipeline (landing → dbt build → insights → publish)...")
    typer.echo(f"Log: {log}")
    started = time.monotonic()
    try:
        with RunProgress() as progress:
            ok = run_pipeline(
                settings, quiet=True, full_refresh=full_refresh, wait=wait, progress=progress
            )
    except RunInProgress as exc:
        typer.echo(f"{exc}; wait for it, or pass --wait to queue behind it.", err=True)
        raise typer.Exit(1) from None
    if not ok:
        typer.echo(
            f"Pipeline run FAILED; see {log} or the Dagster UI (achilles ui) for the run log.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Pipeline finished in {time.monotonic() - started:.0f} s")
    print_report(WarehouseReader(settings.published_db))
    _print_quarantine(settings)
    typer.echo(
        "\nNext:\n"
        f"  achilles serve     the dashboard at {_dashboard_url(settings)} and the API "
        "(docs at /docs)\n"
        '  achilles sql "select * from sessions"   ad-hoc SQL on the published warehouse\n'
        "  achilles daemon    keep it fresh: build when new events land (no UI needed)\n"
        "  achilles ui        the Dagster UI (asset graph, runs, checks)"
    )


def _dashboard_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/ui"


@app.command()
def run(
    data_dir: DataDir = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Re-derive every session, not only those with new landing files "
            "(needed after changing the dedupe or correlation window).",
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another run holds this data dir, wait for it to end."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Build even when nothing changed since the published snapshot."
        ),
    ] = False,
) -> None:
    """Materialize every asset once (the batch job), then print the report.

    When nothing landed and nothing else changed since the published snapshot was
    built, it says so and builds nothing (--force builds anyway)."""
    _run_and_report(_settings(data_dir), full_refresh=full_refresh, wait=wait, force=force)


@app.command()
def report(
    project: Annotated[
        str | None,
        typer.Option(help="Report this project's rows only (default: every project's)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Print the report from the published warehouse."""
    from achilles.report import print_report, published_projects
    from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader

    settings = _settings(data_dir)
    if project is not None:
        _check_project(project)
    reader = WarehouseReader(settings.published_db)
    try:
        if project is not None:
            known = published_projects(reader)
            if project not in known:
                typer.echo(
                    f"No project {project!r} in the published snapshot "
                    f"(it holds: {', '.join(known) or 'none'}).",
                    err=True,
                )
                raise typer.Exit(1)
        print_report(reader, project=project)
    except WarehouseNotPublished:
        _print_quarantine(settings)
        _not_published(settings)
    finally:
        reader.close()
    _print_quarantine(settings)


def _print_quarantine(settings: Settings) -> None:
    """Name the landing files set aside as unreadable (issue 13: poison pills)."""
    from achilles_core.landing import REASON_SUFFIX, project_zones

    bad = [f for _, zone in project_zones(settings) for f in zone.quarantined()]
    typer.echo(f"\nQuarantined landing files: {len(bad)}")
    for f in bad:
        note = f.with_name(f.name + REASON_SUFFIX)
        reason = ""
        if note.exists():
            lines = [ln for ln in note.read_text().splitlines() if ln.startswith("reason: ")]
            reason = lines[0].removeprefix("reason: ")[:200] if lines else ""
        typer.echo(f"  {f.relative_to(settings.landing_dir)}  {reason}")


def _check_project(project: str) -> str:
    """`project` when it is a valid project id; otherwise a usage error (exit 2)."""
    from achilles_core.projects import check_project_id

    try:
        return check_project_id(project)
    except ValueError as exc:
        typer.echo(f"--project: {exc}", err=True)
        raise typer.Exit(2) from None


def _not_published(settings: Settings) -> NoReturn:
    typer.echo(
        f"Nothing published yet in {settings.published_db}: run `achilles run` first "
        "(or point --data-dir / ACHILLES_DATA_DIR at the data dir that has it).",
        err=True,
    )
    raise typer.Exit(1)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run on the published warehouse.")],
    project: Annotated[
        str | None,
        typer.Option(help="See only this project's rows (each table filtered on project_id)."),
    ] = None,
    fmt: Annotated[
        SqlFormat, typer.Option("--format", "-f", help="table, csv, json or markdown.")
    ] = SqlFormat.table,
    vertical: Annotated[
        bool | None,
        typer.Option(
            "--vertical/--horizontal",
            help="Table layout: one block per row, or columns side by side. Default: "
            "vertical when a row does not fit the terminal width.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Run ad-hoc SQL (read-only) on the published warehouse and print the result."""
    import shutil

    import duckdb

    from achilles.project_sql import connect
    from achilles.sql_output import render

    settings = _settings(data_dir)
    if not settings.published_db.exists():
        _not_published(settings)
    con = connect(settings.published_db, None if project is None else _check_project(project))
    try:
        cur = con.execute(query)
        if cur.description is None:
            return
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        typer.echo(f"SQL error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        con.close()
    width = shutil.get_terminal_size((80, 24)).columns
    text = render(names, rows, fmt, width=width, force_vertical=vertical) + "\n"
    count = f"{len(rows)} row(s)"
    if output is not None:
        output.write_text(text)
        typer.echo(f"{count} written to {output}", err=True)
        return
    sys.stdout.write(text)
    sys.stdout.flush()
    # The count is not part of a CSV, JSON or Markdown result: stderr, so pipes stay clean.
    typer.echo(count, err=fmt is not SqlFormat.table)


def _exec_dagster(settings: Settings, program: str, args: list[str]) -> NoReturn:
    """Replace this process by a Dagster program loading our definitions, with the
    settings and DAGSTER_HOME in its environment (exec: signals reach it directly)."""
    from orchestration.pipeline import dagster_env
    from orchestration.project import prepare_manifest

    prepare_manifest(settings)
    # Dagster and the dbt it starts read every setting from this environment.
    env = dagster_env(settings)
    cmd = [str(Path(sys.executable).parent / program), *args, "-m", "orchestration.definitions"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 3000,
    data_dir: DataDir = None,
) -> None:
    """Start the Dagster UI (schedule and sensor on) with DAGSTER_HOME under the data dir."""
    settings = _settings(data_dir)
    typer.echo(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={settings.dagster_home})")
    # `dagster dev` runs the UI and a daemon. Its successor, `dg dev`, is in another
    # package (dagster-dg-cli) and calls the same implementation: no reason to switch.
    _exec_dagster(
        settings,
        "dagster",
        ["dev", "-h", host, "-p", str(port), "--log-level", "info"],
    )


@app.command()
def daemon(data_dir: DataDir = None) -> None:
    """Run the schedule and the sensor headless (the Dagster daemon, no UI).

    The production way to keep the warehouse fresh: the sensor starts a build when
    new files land, the schedule recomputes on ACHILLES_PIPELINE_CRON, and both skip
    when nothing changed since the published snapshot. Run this or `achilles ui`
    (which runs a daemon of its own), not both. Ctrl-C stops it."""
    settings = _settings(data_dir)
    typer.echo(
        f"Dagster daemon: sensor every {settings.sensor_interval_s} s, schedule "
        f"'{settings.pipeline_cron}' (DAGSTER_HOME={settings.dagster_home}); Ctrl-C stops it"
    )
    _exec_dagster(settings, "dagster-daemon", ["run", "--log-level", "info"])


@app.command()
def compact(data_dir: DataDir = None) -> None:
    """Merge each session's small landing files into one (the pipeline does this too)."""
    from achilles_core.landing import project_zones

    settings = _settings(data_dir)
    sessions = files = 0
    for _, zone in project_zones(settings):
        s, f = zone.compact(settings.compact_min_files)
        sessions, files = sessions + s, files + f
    typer.echo(f"Compacted {files} files in {sessions} sessions")


@app.command()
def generate(
    sessions: Annotated[int, typer.Option(help="How many sessions.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    events: Annotated[
        int | None, typer.Option(help="Scale session lengths to about this many events in all.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes to generate with.")] = 1,
    data_dir: DataDir = None,
) -> None:
    """Write realistic sessions straight into the landing zone (for trying volume)."""
    from achilles.generate import generate as run_generate

    settings = _settings(data_dir)
    stats = run_generate(settings.events_dir, sessions, seed, target_events=events, workers=workers)
    typer.echo(
        f"Wrote {stats.events:,} events in {stats.sessions:,} sessions ({stats.files:,} files, "
        f"{stats.bytes_written / 1e6:,.1f} MB) in {stats.elapsed_s:.1f} s "
        f"({stats.events_per_s:,.0f} events/s) to {settings.events_dir}"
    )


@app.command()
def bench(
    events: Annotated[int, typer.Option(help="Events to generate and build.")] = 1_000_000,
    out: Annotated[
        Path | None, typer.Option(help="Report path (default: <data dir>/bench/report.json).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    dagster: Annotated[
        bool, typer.Option("--dagster/--no-dagster", help="Also time the whole Dagster job.")
    ] = True,
    freshness_s: Annotated[
        float,
        typer.Option(help="Seconds of live ingest with markers, for freshness (0: skip)."),
    ] = 180.0,
    data_dir: DataDir = None,
) -> None:
    """Run the benchmarks (ingest, build, incremental, reads, scale, freshness) and write a
    JSON report.

    A developer command: the harness is the repository's benchmarks/ folder, which
    is not part of the installed package.
    """
    run_bench = _bench_harness()
    settings = _settings(data_dir)
    run_bench(
        settings, events, out, seed, echo=typer.echo, dagster=dagster, freshness_s=freshness_s
    )


def _bench_harness() -> Callable[..., dict[str, Any]]:
    """`benchmarks.bench.run_bench`, imported only when asked for.

    benchmarks/ imports achilles, never the reverse at import time. It is not in
    the wheel; with an editable install it is found in the checkout beside this
    package, whatever the current folder.
    """
    try:
        from benchmarks.bench import run_bench
    except ModuleNotFoundError as exc:
        if exc.name not in ("benchmarks", "benchmarks.bench"):
            raise  # the harness is there, something it needs is not
        checkout = Path(__file__).resolve().parent.parent
        if not (checkout / "benchmarks" / "bench.py").is_file():
            typer.echo(
                "achilles bench needs a checkout of the repository: the benchmark harness "
                "(benchmarks/) is not part of the installed package. From a clone, run "
                "`make bench` or `.venv/bin/achilles bench`.",
                err=True,
            )
            raise typer.Exit(1) from None
        sys.path.append(str(checkout))
        from benchmarks.bench import run_bench
    return run_bench


# --- Usage and cost (issue #11) -------------------------------------------------------


@app.command()
def usage(
    by: Annotated[str, typer.Option("--by", help="day, session, model, agent or project.")] = "day",
    since: Annotated[
        str | None, typer.Option("--since", help="Calls on or after this UTC day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of objects.")] = False,
    project_id: Annotated[
        str | None,
        typer.Option(
            "--project-id", help="One Achilles project's calls only (default: every project)."
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """What did my agents cost? Tokens and cost per day, session, model, agent or project."""
    from datetime import date

    from achilles.usage_report import print_table, to_json
    from ingest_api.usage_reads import UsageBy, usage_report
    from ingest_api.warehouse import WarehouseReader

    try:
        grouping = UsageBy(by)
        day = date.fromisoformat(since) if since else None
    except ValueError as exc:
        typer.echo(f"Bad option: {exc} (--by: {', '.join(UsageBy)}; --since: YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    settings = _settings(data_dir)
    if not settings.published_db.exists():
        _not_published(settings)
    reader = WarehouseReader(settings.published_db)
    try:
        rows, _ = usage_report(reader, grouping, day, project_id)
    finally:
        reader.close()
    if as_json:
        sys.stdout.buffer.write(to_json(rows) + b"\n")
    else:
        print_table(rows, grouping)


def main() -> None:
    app()


@app.command("import")
def import_(
    agent: Annotated[str, typer.Argument(help="claude-code, codex or gemini.")],
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders (recursive). Default: the agent's own folder "
            "($CLAUDE_CONFIG_DIR/projects or ~/.claude/projects; $CODEX_HOME/sessions or "
            "~/.codex/sessions; ~/.gemini/tmp/*/chats)."
        ),
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Send to this running server instead of ./data.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Key for --url (default: $ACHILLES_API_KEY).")
    ] = None,
    include_prompts: Annotated[
        bool, typer.Option("--include-prompts", help="Store prompt text, not only its length.")
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep following the files as the agent writes them.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between --watch rounds.")] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    project: Annotated[
        str,
        typer.Option(help="The project the sessions land in (local import; with --url the key's)."),
    ] = "default",
    data_dir: DataDir = None,
) -> None:
    """Import an agent's own session logs (idempotent; only new events land)."""
    from achilles.import_report import import_with_progress, print_summary
    from achilles.importer import AGENTS, Cursors, ImportFailed, LocalSink, RemoteSink, watch_files

    if agent not in AGENTS:
        typer.echo(f"Unknown agent {agent!r}: choose one of {', '.join(AGENTS)}.", err=True)
        raise typer.Exit(2)
    from achilles_core.projects import DEFAULT_PROJECT

    settings = _settings(data_dir)
    _check_project(project)
    if url and project != DEFAULT_PROJECT:
        typer.echo(
            "--project is for a local import; with --url the key's project is used.", err=True
        )
        raise typer.Exit(2)
    if url:
        key = api_key or os.environ.get("ACHILLES_API_KEY")
        if not key:
            typer.echo("--url needs --api-key (or $ACHILLES_API_KEY).", err=True)
            raise typer.Exit(2)
        try:
            sink: RemoteSink | LocalSink = RemoteSink(url, key)
        except ImportFailed as exc:
            typer.echo(f"Import failed: {exc}", err=True)
            raise typer.Exit(2) from None
        cursor_name = "cursors-" + hashlib.sha256(url.encode()).hexdigest()[:12] + ".json"
    else:
        sink = LocalSink(settings, project)
        # Per project: files imported into one project are new to another.
        cursor_name = "cursors.json" if project == DEFAULT_PROJECT else f"cursors.{project}.json"
    cursors = Cursors.load(settings.data_dir / "import" / cursor_name)
    try:
        if watch:
            typer.echo(f"Watching {agent} logs every {interval:g} s; Ctrl-C stops.")
            watch_files(
                agent,
                list(paths or []),
                sink,
                cursors,
                interval_s=interval,
                include_prompts=include_prompts,
                on_round=lambda s: print_summary(s, as_json=as_json, quiet_when_idle=True),
            )
            return
        summary = import_with_progress(
            agent, list(paths or []), sink, cursors, include_prompts=include_prompts
        )
    except ImportFailed as exc:
        typer.echo(f"Import failed: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    print_summary(summary, as_json=as_json)
    if summary.files_failed:
        raise typer.Exit(1)


@app.command()
def hooks(
    agent: Annotated[str, typer.Argument(help="claude-code")],
    url: Annotated[str, typer.Option(help="The Achilles server the hooks post to.")] = (
        "http://127.0.0.1:8000"
    ),
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Key written into the hook; default: read $ACHILLES_API_KEY at run time."
        ),
    ] = None,
) -> None:
    """Print the settings.json block that installs live capture for an agent."""
    import orjson

    from achilles.hook_config import claude_code_settings

    if agent != "claude-code":
        typer.echo("Live capture through hooks exists for claude-code only.", err=True)
        raise typer.Exit(2)
    typer.echo(
        orjson.dumps(claude_code_settings(url, api_key), option=orjson.OPT_INDENT_2).decode()
    )
    typer.echo(
        "\n# Merge this into ~/.claude/settings.json (all projects) or .claude/settings.json"
        " (one project).",
        err=True,
    )
