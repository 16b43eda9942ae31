"""Settings: one definition of each knob, documented names, a lossless trip through env."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from achilles_core.insight_config import InsightConfig
from achilles_core.settings import ENV_PREFIX, INSIGHT_ENV, Settings, settings_env

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def clean_env(monkeypatch):
    """No ACHILLES_* variable from the caller's shell leaks into a test."""
    import os

    for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_insight_knobs_come_from_their_flat_variables(clean_env):
    clean_env.setenv("ACHILLES_INSIGHT_ERROR_DENSITY_THRESHOLD", "7.5")
    clean_env.setenv("ACHILLES_INSIGHT_CRASH_LOOP_WINDOW_S", "60")
    clean_env.setenv("ACHILLES_LLM_PROVIDER", "ollama")
    clean_env.setenv("ACHILLES_LLM_API_KEY", "secret")
    insight = Settings(_env_file=None).insight
    assert insight.error_density_threshold == 7.5
    assert insight.crash_loop_window_s == 60
    assert insight.llm_provider == "ollama"
    assert insight.llm_api_key is not None and insight.llm_api_key.get_secret_value() == "secret"
    assert insight.repeated_error_threshold == InsightConfig().repeated_error_threshold


def test_insight_knobs_come_from_a_dotenv_file_too(clean_env, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ACHILLES_INSIGHT_NO_PROGRESS_ACTIONS=42\nACHILLES_LLM_MODEL=m\n")
    clean_env.setenv("ACHILLES_LLM_MODEL", "from-env")  # the environment wins, as elsewhere
    insight = Settings(_env_file=env_file).insight
    assert insight.no_progress_actions == 42
    assert insight.llm_model == "from-env"


def test_a_bad_knob_is_rejected(clean_env):
    clean_env.setenv("ACHILLES_INSIGHT_REPEATED_ERROR_THRESHOLD", "1")
    with pytest.raises(ValueError, match="repeated_error_threshold"):
        Settings(_env_file=None)


def test_settings_survive_the_trip_through_environment_variables(clean_env, tmp_path):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        api_keys=["a", "b"],
        dbt_threads=3,
        insight=InsightConfig(
            error_density_threshold=5, llm_provider="openai", llm_api_key="k", llm_model="m"
        ),
    )
    for name, value in settings_env(settings).items():
        clean_env.setenv(name, value)
    assert Settings(_env_file=None) == settings


def test_readme_names_only_real_variables():
    known = {ENV_PREFIX + n.upper() for n in Settings.model_fields if n != "insight"}
    known |= set(INSIGHT_ENV.values())
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(ACHILLES_[A-Z_]+)`", table))
    assert documented and documented <= known, documented - known
