"""One settings object for every part of Achilles (API, pipeline, CLI).

Values come from `ACHILLES_*` environment variables or an optional `.env` file.
Nothing here touches the disk at import time: paths are computed, never created.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

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
from achilles_core.projects import (
    DEFAULT_PROJECT,
    KeyTable,
    check_project_id,
    parse_key_entry,
    read_keys_file,
)

DEV_API_KEY = "dev-key"
ENV_PREFIX = "ACHILLES_"
# The variable of each insight knob: narration under ACHILLES_LLM_*, the rest under
# ACHILLES_INSIGHT_* (e.g. ACHILLES_INSIGHT_ERROR_DENSITY_THRESHOLD).
INSIGHT_ENV = {
    name: ENV_PREFIX + ("" if name.startswith("llm_") else "INSIGHT_") + name.upper()
    for name in InsightConfig.model_fields
}


# What marks a folder as Achilles' data dir (any one of these inside it), and what
# marks a checkout or project of Achilles (its pyproject names the package).
DATA_DIR_MARKERS = ("landing", "warehouse", "dagster_home")
PROJECT_MARKER = 'name = "achilles"'


def find_data_dir(cwd: Path | None = None) -> tuple[Path, str]:
    """Where the data is when neither --data-dir nor ACHILLES_DATA_DIR says, like git
    finds its repository: walk up from `cwd` to the first folder whose `data/` has
    Achilles' layout, else to the first whose pyproject.toml is Achilles', else
    `./data`. Returns the folder and how it was found. Only stats files."""
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        data = folder / "data"
        if any((data / m).is_dir() for m in DATA_DIR_MARKERS):
            return data, f"found in {folder}"
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        try:
            if PROJECT_MARKER in pyproject.read_text(errors="replace"):
                return folder / "data", f"project at {folder}"
        except OSError:
            continue
    return start / "data", "default"


def _default_data_dir() -> Path:
    return find_data_dir()[0]


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

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Root of landing zone and warehouse; default: found from the current "
        "folder (see find_data_dir).",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Accepted bearer keys, comma separated, each `project:key` (a bare `key` "
        "belongs to project `default`). With no key configured at all, only the dev key "
        "`dev-key`, and only on a loopback address.",
    )
    api_keys_file: Path | None = Field(
        None,
        description="A file of more keys: one `project:key` per line, `#` comments allowed.",
    )
    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Admin keys, comma separated (`project:key` or `key`): they read every "
        "project, and may act in another with the `X-Achilles-Project` header.",
    )
    host: str = Field("127.0.0.1", description="Address `achilles serve` binds.")
    read_only: bool = Field(
        False,
        description="Serve reads only (writes get a 405): a second server beside the ingest "
        "one, so reads do not wait on the ingest path's CPU.",
    )
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
    # Dagster's sensor daemon looks at most every 5 s; each look skips at once while a
    # run is in progress, so the shortest interval costs nothing during builds.
    sensor_interval_s: int = Field(
        5, ge=5, description="How often the sensor looks for new landing files."
    )
    engine: Literal["duckdb", "spark_session", "spark_thrift"] = Field(
        "duckdb",
        description="Where dbt builds: duckdb (embedded, the default); spark_session "
        "(Spark in the build's process, `achilles[spark]` and Java 17); spark_thrift (a "
        "Spark Thrift Server or Kyuubi, ACHILLES_SPARK_HOST/PORT). Serving stays DuckDB.",
    )
    spark_host: str = Field(
        "localhost", description="The Spark Thrift Server (or Kyuubi) of engine spark_thrift."
    )
    spark_port: int = Field(10000, ge=1, le=65535, description="Its port.")
    spark_driver_memory: str = Field(
        "4g", description="Heap of the in-process Spark driver (engine spark_session)."
    )
    spark_shuffle_partitions: int = Field(
        4,
        ge=1,
        description="Partitions of a shuffle in the in-process Spark (spark_session); "
        "Spark's own default, 200, makes each of a small build's joins 200 tasks. A Thrift "
        "Server sets its own (`thrift_server_command`'s local one: 4).",
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

    @field_validator("api_keys", "admin_keys", mode="before")
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

    def project_events_dir(self, project_id: str) -> Path:
        """A project's session folders: `landing/events/` for the default project (so
        files landed before projects existed are its own, unmoved), `landing/events.<p>/`
        for project p. One glob, `landing/events*/*/*.parquet`, finds them all."""
        if project_id == DEFAULT_PROJECT:
            return self.events_dir
        return self.landing_dir / f"events.{check_project_id(project_id)}"

    def project_ids(self) -> list[str]:
        """The default project and every project that has landed something."""
        found = {DEFAULT_PROJECT}
        if self.landing_dir.is_dir():
            found |= {
                p.name.removeprefix("events.")
                for p in self.landing_dir.iterdir()
                if p.name.startswith("events.") and p.is_dir()
            }
        return sorted(found)

    @property
    def metrics_dir(self) -> Path:
        """The default project's OTLP metric points (one flat folder;
        docs/warehouse-contract.md)."""
        return self.landing_dir / "metrics"

    def project_metrics_dir(self, project_id: str) -> Path:
        """A project's metric points: `landing/metrics/` for the default project,
        `landing/metrics.<p>/` for project p (one glob, `landing/metrics*/`)."""
        if project_id == DEFAULT_PROJECT:
            return self.metrics_dir
        return self.landing_dir / f"metrics.{check_project_id(project_id)}"

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
    def keys_configured(self) -> bool:
        """Whether any key is configured (otherwise only the loopback dev key works)."""
        return bool(self.api_keys or self.admin_keys or self.api_keys_file)

    def key_table(self) -> KeyTable:
        """Every accepted key and its project; the dev key alone when none is configured.
        Raises KeyConfigError (naming the entry) for an entry that cannot be used."""
        keys = [parse_key_entry(k, "ACHILLES_API_KEYS") for k in self.api_keys]
        if self.api_keys_file is not None:
            keys += read_keys_file(self.api_keys_file)
        admins = [parse_key_entry(k, "ACHILLES_ADMIN_KEYS") for k in self.admin_keys]
        if not keys and not admins:
            keys = [(DEFAULT_PROJECT, DEV_API_KEY)]
        return KeyTable(keys, admins)

    def open_server_problem(self, host: str | None = None) -> str | None:
        """Why the API must not start on `host` (default `self.host`): a non-loopback
        address with no key configured would serve every project to anyone with the
        well-known dev key."""
        host = host or self.host
        if self.keys_configured or is_loopback(host):
            return None
        return (
            f"refusing to serve on {host}, a non-loopback address, with no API key configured: "
            f"set ACHILLES_API_KEYS (project:key,...) or ACHILLES_API_KEYS_FILE, or bind "
            f"127.0.0.1 (the dev key {DEV_API_KEY!r} is for loopback only)"
        )

    @property
    def client_api_key(self) -> str:
        """A key this machine's own CLI uses against its own server (demo, import --url)."""
        if self.api_keys:
            return parse_key_entry(self.api_keys[0], "ACHILLES_API_KEYS")[1]
        return DEV_API_KEY


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


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
