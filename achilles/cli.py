"""The `achilles` command: serve the API, run the demo and the pipeline, query the warehouse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ingest_api.settings import DEV_API_KEY, Settings

app = typer.Typer(
    help="Achilles: analytics for AI coding-agent sessions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ACHILLES_DATA_DIR or ./data)."),
]


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    # Child processes (server, dbt, Dagster) read the same directory.
    os.environ["ACHILLES_DATA_DIR"] = str(settings.data_dir.resolve())
    return settings.model_copy(update={"data_dir": settings.data_dir.resolve()})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000].")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    data_dir: DataDir = None,
) -> None:
    """Run the ingest and read API."""
    import uvicorn

    settings = _settings(data_dir)
    uvicorn.run(
        "ingest_api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
    )


@app.command()
def demo(
    url: Annotated[
        str | None, typer.Option(help="A running server; default: start one for the demo.")
    ] = None,
    api_key: Annotated[str, typer.Option(help="API key for --url.")] = DEV_API_KEY,
    data_dir: DataDir = None,
) -> None:
    """Send a realistic session over HTTP, read it back and check the round trip."""
    from achilles.client import AchillesClient
    from achilles.demo import RoundTripError, round_trip
    from achilles.server import ServerProcess

    settings = _settings(data_dir)
    server = None
    if url is None:
        server = ServerProcess(settings.data_dir).start()
        url = server.url
        typer.echo(f"Started a server at {url} (data dir {settings.data_dir})")
        api_key = (settings.api_keys or [DEV_API_KEY])[0]
    try:
        with AchillesClient(url, api_key) as client:
            round_trip(client, echo=typer.echo)
    except RoundTripError as exc:
        typer.echo(f"Round trip FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        if server:
            server.stop()


def main() -> None:
    app()
