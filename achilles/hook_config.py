"""The Claude Code `settings.json` block that sends every hook payload to Achilles.

Each hook runs a small curl that posts the payload from stdin. It prints nothing
(a hook's stdout can reach the model), gives up after a few seconds and always
exits 0, so a server that is down never blocks or changes what the agent does.
"""

from __future__ import annotations

import shlex
from typing import Any

# Hook events Claude Code fires; tool events take a matcher, the others none.
TOOL_HOOKS = ("PreToolUse", "PostToolUse", "PostToolUseFailure")
OTHER_HOOKS = (
    "UserPromptSubmit",
    "Stop",
    "SubagentStart",
    "SubagentStop",
    "SessionStart",
    "SessionEnd",
    "Notification",
    "PreCompact",
)
HOOK_TIMEOUT_S = 5


def hook_command(url: str, api_key: str | None) -> str:
    endpoint = url.rstrip("/") + "/v1/hooks/claude-code"
    # Without a key on the command line, the hook reads ACHILLES_API_KEY when it runs.
    auth = (
        shlex.quote(f"Authorization: Bearer {api_key}")
        if api_key
        else '"Authorization: Bearer ${ACHILLES_API_KEY}"'
    )
    return (
        "curl -s -o /dev/null --connect-timeout 1 -m 3 -X POST "
        f"-H 'Content-Type: application/json' -H {auth} "
        f"--data-binary @- {shlex.quote(endpoint)} || true"
    )


def claude_code_settings(url: str, api_key: str | None) -> dict[str, Any]:
    handler = {"type": "command", "command": hook_command(url, api_key), "timeout": HOOK_TIMEOUT_S}
    hooks: dict[str, Any] = {name: [{"matcher": "*", "hooks": [handler]}] for name in TOOL_HOOKS}
    hooks.update({name: [{"hooks": [handler]}] for name in OTHER_HOOKS})
    return {"hooks": hooks}
