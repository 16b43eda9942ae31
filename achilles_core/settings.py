"""One settings object for every part of Achilles (API, pipeline, CLI).

Values come from `ACHILLES_*` environment variables or an optional `.env` file.
Nothing here touches the disk at import time: paths are computed, never created.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from achilles_core.insight_config import InsightConfig

DEV_API_KEY = "dev-key"
ENV_PREFIX = "ACHILLES_"
# The variable of each insight knob: narration under ACHILLES_LLM_*, the rest under
# ACHILLES_INSIGHT_* (e.g. ACHILLES_INSIGHT_ERROR_DENSITY_THRESHOLD).
INSIGHT_ENV = {
    name: ENV_PREFIX + ("" if name.startswith("llm_") else "INSIGHT_") + name.upper()
    for name in InsightConfig.model_fields
}


class _InsightKnobs(PydanticBaseSettingsSource):
    """Collects the flat insight variables of one env or .env source under `insight`."""

    def __init__(self, settings_cls: type[BaseSettings], source: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the variables directly

    def __call__(self) -> dict[str, Any]:
        if not isinstance(self.source, EnvSettingsSource):  # also covers the .env source
            return {}
        found = {knob: self.source.env_vars.get(var.lower()) for knob, var in INSIGHT_ENV.items()}
        knobs = {k: v for k, v in found.items() if v is not None}
        return {"insight": knobs} if knobs else {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
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
    hooks_include_prompts: bool = Field(
        False,
        description="Store prompt text from Claude Code hooks; by default only its length.",
    )

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

    # Every knob of the insight step, each read from its flat variable: thresholds as
    # ACHILLES_INSIGHT_<KNOB>, narration as ACHILLES_LLM_<...> (see INSIGHT_ENV).
    insight: InsightConfig = Field(
        default_factory=InsightConfig, description="Insight detectors and narration."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _InsightKnobs(settings_cls, env_settings),
            dotenv_settings,
            _InsightKnobs(settings_cls, dotenv_settings),
            file_secret_settings,
        )

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
    def metrics_dir(self) -> Path:
        """OTLP metric points (one flat folder; docs/warehouse-contract.md)."""
        return self.landing_dir / "metrics"

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


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as ACHILLES_* variables, for a child process (Dagster, dbt) that must
    build the same Settings from its environment alone, without reading any .env file."""
    env: dict[str, str] = {}
    values = [
        (ENV_PREFIX + name.upper(), getattr(settings, name), field)
        for name, field in Settings.model_fields.items()
        if name != "insight"
    ]
    values += [
        (INSIGHT_ENV[name], getattr(settings.insight, name), field)
        for name, field in InsightConfig.model_fields.items()
    ]
    for var, value, field in values:
        if value is None:
            if field.get_default(call_default_factory=True) is not None:
                raise ValueError(f"{var}=None cannot be passed as an environment variable")
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list):
            value = ",".join(value)
        env[var] = str(value)
    return env
