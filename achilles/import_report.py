"""What `achilles import` shows: a progress bar while it reads, then a summary."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from achilles.importer import Cursors, ImportSummary, Sink, run_import

BAD_LINES_SHOWN = 20


def import_with_progress(
    agent: str, paths: list[Path], sink: Sink, cursors: Cursors, *, include_prompts: bool
) -> ImportSummary:
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[file]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"import {agent}", total=None, file="")

        def tick(n: int, total: int, path: Path) -> None:
            bar.update(task, completed=n - 1, total=total, file=path.name[-50:])

        summary = run_import(
            agent, paths, sink, cursors, include_prompts=include_prompts, progress=tick
        )
        bar.update(task, completed=bar.tasks[0].total or 0)
    return summary


def print_summary(
    summary: ImportSummary, *, as_json: bool = False, quiet_when_idle: bool = False
) -> None:
    if as_json:
        typer.echo(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    if quiet_when_idle and not summary.files_read and not summary.files_failed:
        return
    accepted = sum(summary.accepted_by_type.values())
    other = f", {len(summary.files_other)} not this agent's" if summary.files_other else ""
    typer.echo(
        f"Files: {summary.files_read} read, {summary.files_unchanged} unchanged, "
        f"{len(summary.files_failed)} failed{other}; {len(summary.sessions)} sessions"
    )
    typer.echo(
        f"Lines: {summary.lines} read: {summary.lines_with_events} gave events, "
        f"{sum(summary.skipped.values())} skipped, {len(summary.bad_lines)} could not be parsed"
    )
    by_type = ", ".join(f"{k} {v}" for k, v in sorted(summary.accepted_by_type.items()))
    typer.echo(f"Events: {accepted} new ({by_type or 'none'}); {summary.duplicates} already landed")
    if summary.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items()))
        typer.echo(
            f"Lines skipped (no analytic meaning): {sum(summary.skipped.values())} ({skipped})"
        )
    if summary.bad_lines:
        typer.echo(f"Lines that could not be parsed: {len(summary.bad_lines)}")
        for file, line, reason in summary.bad_lines[:BAD_LINES_SHOWN]:
            typer.echo(f"  {file}:{line}: {reason}")
        if len(summary.bad_lines) > BAD_LINES_SHOWN:
            typer.echo(f"  ... {len(summary.bad_lines) - BAD_LINES_SHOWN} more (--json lists all)")
    for event_id, field, reason in summary.rejected[:BAD_LINES_SHOWN]:
        typer.echo(f"  rejected event {event_id}: {field}: {reason}", err=True)
    for file, reason in summary.files_failed:
        typer.echo(
            f"  failed: {reason}" if reason.startswith(file) else f"  {file}: {reason}", err=True
        )
