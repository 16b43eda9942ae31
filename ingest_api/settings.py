"""One settings object for every part of Achilles (API, pipeline, CLI).

Values come from `ACHILLES_*` environment variables or an optional `.env` file.
Nothing here touches the disk at import time: paths are computed, never created.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_API_KEY = "dev-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ACHILLES_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("./data"), description="Root of landing zone and warehouse.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Accepted bearer keys, comma separated. Empty: only the dev key `dev-key`.",
    )
    host: str = Field("127.0.0.1", description="Address `achilles serve` binds.")
    port: int = Field(8000, description="Port `achilles serve` binds.")

    dedupe_window_s: float = Field(
        2.0, ge=0, description="Same-content events of one session this close are one event."
    )
    correlation_window_s: float = Field(
        10.0, gt=0, description="An agent action this long before an error may have caused it."
    )
    max_future_skew_s: float = Field(
        600.0, ge=0, description="Reject event timestamps further than this in the future."
    )

    max_batch_events: int = Field(5000, gt=0, description="Most events in one batch request.")
    max_body_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="Largest accepted request body."
    )
    max_attributes_bytes: int = Field(
        16 * 1024, gt=0, description="Largest `attributes` object, as compact JSON."
    )
    max_message_chars: int = Field(64 * 1024, gt=0, description="Longest `message`.")

    compact_min_files: int = Field(
        8, ge=2, description="A session folder with this many landed files gets compacted."
    )
    session_cache_size: int = Field(
        1024, ge=1, description="Sessions whose dedupe state the API keeps in memory."
    )

    pipeline_cron: str = Field(
        "*/15 * * * *", description="When the schedule recomputes everything (cron)."
    )
    sensor_interval_s: int = Field(
        30, ge=5, description="How often the sensor looks for new landing files."
    )
    dbt_threads: int = Field(2, ge=1, description="dbt worker threads.")
    duckdb_memory_limit: str = Field(
        "3GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB memory cap for builds; beyond it DuckDB spills to disk "
        "(warehouse/build.duckdb.tmp) instead of growing.",
    )
    build_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="CPU niceness of the dbt build, so API reads keep their latency "
        "while a build runs (0 = same priority as the API).",
    )

    # Insight step (monitoring agent); see orchestration/graphs/config.py for all knobs.
    insight_error_density_threshold: float = Field(
        20.0, ge=0, description="high_error_density: errors per 100 events above this."
    )
    insight_repeated_error_threshold: int = Field(
        3, ge=2, description="repeated_error: the same cluster this many times in a row."
    )
    insight_crash_loop_min_events: int = Field(
        3, ge=2, description="crash_loop: this many crashed/restarted process events..."
    )
    insight_crash_loop_window_s: float = Field(300.0, gt=0, description="...within this span.")
    insight_no_progress_actions: int = Field(
        20, ge=2, description="no_progress: agent actions without a passing test or new file."
    )
    llm_provider: Literal["none", "openai", "ollama"] = Field(
        "none", description="Insight narration: none (default), openai or ollama."
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible or Ollama base URL.")
    llm_api_key: str | None = Field(None, description="Key for the LLM provider, if it needs one.")
    llm_model: str | None = Field(None, description="Model name for narration.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    # Derived paths: one place decides the data layout.
    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def events_dir(self) -> Path:
        return self.landing_dir / "events"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build_db(self) -> Path:
        """The pipeline's private read-write DuckDB file (dbt builds into it)."""
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_db(self) -> Path:
        """The read-only snapshot the API and people query; replaced atomically."""
        return self.warehouse_dir / "achilles.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def effective_api_keys(self) -> list[str]:
        return self.api_keys or [DEV_API_KEY]


@lru_cache
def get_settings() -> Settings:
    """Cached settings; tests override the FastAPI dependency or pass their own."""
    return Settings()
