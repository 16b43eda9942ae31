"""Optional narration: a small chat-provider interface and the prompt.

Narration is off unless a provider is passed in or configured. Providers talk
plain HTTP through httpx (no SDK dependency); any LangChain chat model (tests
use a fake one) fits through `LangChainChatProvider`. The narrative is stored
beside the insight and never feeds its id, text or evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import httpx
import orjson
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from achilles_core.insight_config import InsightConfig
from orchestration.graphs.state import RecentEvent, StoredInsight

NARRATIVE_MAX_CHARS = 1200
SYSTEM_PROMPT = (
    "You are the monitoring agent of an analytics system for AI coding-agent sessions. "
    "Given one insight (a deterministic finding with its evidence) and the session's most "
    "recent events, write two or three plain sentences for an engineering lead: what "
    "happened and what to look at next. Use only the facts given; do not invent file "
    "names, causes or numbers."
)


@runtime_checkable
class ChatProvider(Protocol):
    """Anything that turns chat messages into one reply text."""

    model_name: str

    def complete(self, messages: Sequence[BaseMessage]) -> str: ...


_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]


class OpenAICompatibleProvider:
    """POST {base_url}/chat/completions (OpenAI, vLLM, LM Studio, llama.cpp server…)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        max_tokens: int = 300,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        self.max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout_s)
        self._headers = headers

    def complete(self, messages: Sequence[BaseMessage]) -> str:
        response = self._client.post(
            f"{self.base_url}/chat/completions",
            headers=self._headers,
            json={
                "model": self.model_name,
                "messages": _to_wire(messages),
                "temperature": 0,
                "max_tokens": self.max_tokens,
            },
        )
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"] or "")


class OllamaProvider:
    """POST {base_url}/api/chat on an Ollama server, non-streaming."""

    def __init__(
        self,
        model: str,
        base_url: str = "http://localhost:11434",
        timeout_s: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        self._client = client or httpx.Client(timeout=timeout_s)

    def complete(self, messages: Sequence[BaseMessage]) -> str:
        response = self._client.post(
            f"{self.base_url}/api/chat",
            json={
                "model": self.model_name,
                "messages": _to_wire(messages),
                "stream": False,
                "options": {"temperature": 0},
            },
        )
        response.raise_for_status()
        return str(response.json()["message"]["content"] or "")


class LangChainChatProvider:
    """Adapter for any LangChain chat model (a fake one in tests)."""

    def __init__(self, model: BaseChatModel, model_name: str | None = None) -> None:
        self._model = model
        self.model_name = model_name or getattr(model, "model_name", None) or type(model).__name__

    def complete(self, messages: Sequence[BaseMessage]) -> str:
        reply = self._model.invoke(list(messages))
        return reply.text if isinstance(reply, AIMessage) else str(reply.content)


def make_provider(config: InsightConfig) -> ChatProvider | None:
    """The configured provider, or None when narration is off."""
    if config.llm_provider == "none":
        return None
    if not config.llm_model:
        raise ValueError(f"llm_provider={config.llm_provider!r} needs llm_model")
    if config.llm_provider == "ollama":
        return OllamaProvider(
            model=config.llm_model,
            base_url=config.llm_base_url or "http://localhost:11434",
            timeout_s=config.llm_timeout_s,
        )
    return OpenAICompatibleProvider(
        base_url=config.llm_base_url or "https://api.openai.com/v1",
        model=config.llm_model,
        api_key=config.llm_api_key.get_secret_value() if config.llm_api_key else None,
        timeout_s=config.llm_timeout_s,
    )


def narration_messages(
    insight: StoredInsight, recent: Sequence[RecentEvent], max_events: int
) -> list[BaseMessage]:
    """The prompt for one insight: its fields plus the last few session events."""
    payload: dict[str, Any] = {
        "kind": insight.kind,
        "severity": insight.severity,
        "title": insight.title,
        "detail": insight.detail,
        "evidence": orjson.loads(insight.evidence),
        "detected_at": insight.detected_at.isoformat() if insight.detected_at else None,
    }
    events = [
        {
            "event_id": e.event_id,
            "timestamp": e.timestamp.isoformat(),
            "type": e.event_type,
            "source": e.source_type,
            "actor": e.actor,
            "file": e.file_path,
            "status": e.status,
            "error_type": e.error_type,
            "message": e.message,
        }
        for e in (list(recent)[-max_events:] if max_events else [])
    ]
    body = orjson.dumps(
        {"insight": payload, "recent_events": events}, option=orjson.OPT_INDENT_2
    ).decode()
    return [SystemMessage(SYSTEM_PROMPT), HumanMessage(body)]


def clean_narrative(text: str) -> str:
    text = " ".join(text.split())
    return text[:NARRATIVE_MAX_CHARS]
