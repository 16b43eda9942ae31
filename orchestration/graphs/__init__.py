"""The monitoring-agent insight step (LangGraph, no Dagster imports).

Entry point: `run_insights(con, config, provider=None, now=None)`.
"""

from achilles_core.insight_config import InsightConfig
from orchestration.graphs.graph import build_graph, run_insights
from orchestration.graphs.llm import (
    ChatProvider,
    LangChainChatProvider,
    OllamaProvider,
    OpenAICompatibleProvider,
    make_provider,
)

__all__ = [
    "ChatProvider",
    "InsightConfig",
    "LangChainChatProvider",
    "OllamaProvider",
    "OpenAICompatibleProvider",
    "build_graph",
    "make_provider",
    "run_insights",
]
