"""What `achilles run` shows while the pipeline runs: the stage, and dbt's node n of m.

On a terminal, one line that updates in place; elsewhere (CI, a pipe), a line per
stage and per dbt model as it starts.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.status import Status

from orchestration.pipeline import Progress


def describe(p: Progress) -> str:
    text = f"[{p.stage_n}/{p.stage_m}] {p.stage}"
    if p.node_n is not None:
        text += f": {p.node_n} of {p.node_m}"
        if p.model:
            text += f" {p.model}"
    return text


class RunProgress:
    """A callback for `run_pipeline(progress=...)`, used as a context manager."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console()
        self.status: Status | None = None
        self.stage: str | None = None

    def __enter__(self) -> RunProgress:
        if self.console.is_terminal:
            self.status = self.console.status("starting Dagster", spinner="dots")
            self.status.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.status is not None:
            self.status.stop()

    def __call__(self, p: Progress) -> None:
        if self.status is not None:
            self.status.update(describe(p))
            return
        # Not a terminal: no line rewriting, so only stages and models, not each test.
        if p.stage != self.stage or p.is_model:
            self.console.print(describe(p), highlight=False)
        self.stage = p.stage
