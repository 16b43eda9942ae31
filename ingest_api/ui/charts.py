"""Plotly figures (data + layout, as the plotly.js API takes them) for the dashboard.

The server builds each figure from the list reads; the page hands it to
`Plotly.newPlot` (static/ui.js). Times go out as UTC wall-clock text, the format
plotly.js reads as a date.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from ingest_api.list_reads import TIMELINE_MAX_FILES, Records
from ingest_api.sources.claude_code import action_kind as tool_kind

Figure = dict[str, Any]

GREEN = "#2e9e5b"
RED = "#d6453d"
GREY = "#9aa0a6"
BLUE = "#3b6fd8"
ORANGE = "#e08a1e"
PURPLE = "#8b5cc7"
# Attribution arrows drawn per session page at most.
MAX_ARROWS = 200

_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 36, "b": 40},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "hovermode": "closest",
}
CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def ts(value: datetime | date | None) -> str | None:
    """A time as plotly.js reads it (UTC, no offset)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # isoformat is several times faster than strftime (a timeline formats thousands)
        return value.replace(tzinfo=None).isoformat(" ")
    return value.isoformat()


def _figure(data: list[dict[str, Any]], title: str, height: int, **layout: Any) -> Figure:
    return {
        "data": data,
        "layout": {**_BASE_LAYOUT, "title": {"text": title, "x": 0}, "height": height, **layout},
        "config": CONFIG,
    }


def daily_figures(days: Records) -> dict[str, Figure]:
    """The overview's four charts: sessions, failed runs, error rate and cost per day."""
    x = [ts(d["day"]) for d in days]

    def bars(name: str, key: str, color: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "name": name,
            "x": x,
            "y": [d[key] for d in days],
            "marker": {"color": color},
        }

    legend = {"orientation": "h", "y": -0.25}
    return {
        "sessions": _figure(
            [bars("sessions", "sessions", BLUE), bars("with failures", "failing_sessions", RED)],
            "Sessions per day",
            260,
            barmode="group",
            legend=legend,
        ),
        "failed_runs": _figure(
            [bars("failed test runs", "failed_runs", RED)], "Failed test runs per day", 260
        ),
        "error_rate": _figure(
            [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "errors per 100 events",
                    "x": x,
                    "y": [d["error_rate"] for d in days],
                    "line": {"color": ORANGE},
                    "connectgaps": False,
                }
            ],
            "Errors per 100 events",
            260,
        ),
        "cost": _figure(
            [bars("LLM cost (USD)", "cost_usd", PURPLE)], "LLM cost per day (USD)", 260
        ),
    }


def spark(trend: Records) -> Figure:
    """A cluster's errors per day, as a small line with no axes."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [ts(p["day"]) for p in trend],
                "y": [p["errors"] for p in trend],
                "line": {"color": RED, "width": 1.5},
                "fill": "tozeroy",
                "fillcolor": "rgba(214,69,61,0.15)",
                "hoverinfo": "x+y",
            }
        ],
        "layout": {
            "height": 36,
            "width": 160,
            "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False, "rangemode": "tozero"},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
        "config": {"staticPlot": True, "displayModeBar": False},
    }


def agents_figure(agents: Records) -> Figure:
    names = [a["agent"] for a in agents]
    return _figure(
        [
            {
                "type": "bar",
                "name": "induced-error rate",
                "x": names,
                "y": [a["induced_error_rate"] for a in agents],
                "marker": {"color": RED},
                "yaxis": "y",
                "offsetgroup": 1,
            },
            {
                "type": "bar",
                "name": "cost per session (USD)",
                "x": names,
                "y": [a["cost_per_session"] for a in agents],
                "marker": {"color": PURPLE},
                "yaxis": "y2",
                "offsetgroup": 2,
            },
        ],
        "Induced-error rate and cost per session",
        300,
        barmode="group",
        yaxis={"title": {"text": "induced errors / action"}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": "USD / session"},
            "overlaying": "y",
            "automargin": True,
            "side": "right",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.25},
    )


# --- The session timeline ------------------------------------------------------------


def _action(e: dict[str, Any]) -> str | None:
    """The action's kind: as sent or imported, else from its tool's name (events sent
    to the API often carry only attributes.tool), else None."""
    if e["action_kind"] is not None:
        return str(e["action_kind"])
    tool = e["tool_name"] or e.get("attr_tool")
    return tool_kind(tool) if tool else None


def _event_lane(e: dict[str, Any]) -> str:
    """Which kind of mark an event is on the timeline. An agent action of unknown kind
    on a file is drawn as an edit: the correlator also counts it as a possible change."""
    kind, action = e["event_type"], _action(e)
    if action == "prompt" or (kind == "human_action" and action is None):
        return "prompt"
    if kind == "llm_call":
        return "llm"
    if kind == "error":
        return "error"
    if kind in ("test_run", "check_run"):
        return "run"
    if kind == "agent_action" and (action == "edit" or (action is None and e["file_path"])):
        return "edit"
    return "other"


def _hover(e: dict[str, Any]) -> str:
    parts = [e["event_type"]]
    for key in ("action_kind", "tool_name", "runner", "status", "error_type", "model"):
        if e.get(key):
            parts.append(f"{key}: {e[key]}")
    if e.get("file_path"):
        parts.append(f"file: {e['file_path']}")
    if e.get("message"):
        parts.append(str(e["message"])[:160])
    return "<br>".join(p.replace("<", "&lt;") for p in parts)


def timeline(events: Records, links: Records) -> tuple[Figure, dict[str, int]]:
    """Lanes top to bottom: prompts, LLM calls, one lane per edited file (the busiest
    TIMELINE_MAX_FILES, then "other files"), other tool calls, test and check runs
    (green passed, red failed), errors; an arrow from each attributed edit to the
    failure it caused. Also the counts the page shows beside it."""
    lanes_of = [(e, _event_lane(e)) for e in events]
    files = Counter(e["file_path"] or "(no file)" for e, lane in lanes_of if lane == "edit")
    top = [f for f, _ in files.most_common(TIMELINE_MAX_FILES)]
    labels = ["prompts", "LLM calls"]
    labels += [f"edit {_short(f)}" for f in top]
    if len(files) > len(top):
        labels.append("edit (other files)")
    labels += ["other tool calls", "test & check runs", "errors"]
    y_of = {label: len(labels) - 1 - i for i, label in enumerate(labels)}

    def lane_y(e: dict[str, Any], lane: str) -> int:
        if lane == "prompt":
            return y_of["prompts"]
        if lane == "llm":
            return y_of["LLM calls"]
        if lane == "edit":
            f = e["file_path"] or "(no file)"
            return y_of[f"edit {_short(f)}" if f in top else "edit (other files)"]
        if lane == "run":
            return y_of["test & check runs"]
        if lane == "error":
            return y_of["errors"]
        return y_of["other tool calls"]

    series: dict[str, dict[str, list[Any]]] = {}
    where: dict[str, tuple[str | None, int]] = {}
    for e, lane in lanes_of:
        name = lane
        if lane == "run":
            status = e["status"]
            name = (
                "run passed"
                if status == "passed"
                else "run failed"
                if status in ("failed", "error")
                else "run other"
            )
        y = lane_y(e, lane)
        s = series.setdefault(name, {"x": [], "y": [], "text": [], "ids": []})
        s["x"].append(ts(e["timestamp"]))
        s["y"].append(y)
        s["text"].append(_hover(e))
        s["ids"].append(e["event_id"])
        where[e["event_id"]] = (ts(e["timestamp"]), y)

    style = {
        "prompt": ("prompt", "diamond", BLUE, 10),
        "llm": ("LLM call", "circle", PURPLE, 6),
        "edit": ("edit", "square", ORANGE, 9),
        "other": ("other tool call", "circle-open", GREY, 6),
        "run passed": ("run passed", "circle", GREEN, 11),
        "run failed": ("run failed", "x", RED, 12),
        "run other": ("run, outcome unknown", "circle-open", GREY, 9),
        "error": ("error", "triangle-up", RED, 10),
    }
    data = []
    for key, (name, symbol, color, size) in style.items():
        if key not in series:
            continue
        s = series[key]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": s["x"],
                "y": s["y"],
                "text": s["text"],
                "ids": s["ids"],
                "hovertemplate": "%{x}<br>%{text}<extra></extra>",
                "marker": {
                    "symbol": symbol,
                    "color": color,
                    "size": size,
                    "line": {"width": 1, "color": color},
                },
            }
        )
    arrows: list[dict[str, Any]] = []
    for link in links:
        start, end = where.get(link["action_event_id"]), where.get(link["error_event_id"])
        if start is None or end is None or len(arrows) >= MAX_ARROWS:
            continue
        arrows.append(
            {
                "x": end[0],
                "y": end[1],
                "ax": start[0],
                "ay": start[1],
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1.2,
                "arrowwidth": 1.3,
                "arrowcolor": "rgba(214,69,61,0.7)",
                "text": "",
                "hovertext": f"{link['method']} · confidence {link['confidence']}",
            }
        )
    fig = _figure(
        data,
        "Timeline",
        max(320, 40 + 30 * len(labels)),
        yaxis={
            "tickmode": "array",
            "tickvals": [y_of[label] for label in labels],
            "ticktext": labels,
            "range": [-0.7, len(labels) - 0.3],
            "automargin": True,
            "fixedrange": True,
        },
        xaxis={"type": "date", "title": {"text": "time (UTC)"}},
        annotations=arrows,
        legend={"orientation": "h", "y": -0.32},
    )
    counts = {
        "edits": sum(1 for _, lane in lanes_of if lane == "edit"),
        "runs_failed": len(series.get("run failed", {}).get("x", [])),
        "runs_passed": len(series.get("run passed", {}).get("x", [])),
        "errors": len(series.get("error", {}).get("x", [])),
        "prompts": len(series.get("prompt", {}).get("x", [])),
        "llm_calls": len(series.get("llm", {}).get("x", [])),
        "arrows": len(arrows),
    }
    return fig, counts


def _short(path: str, keep: int = 40) -> str:
    return path if len(path) <= keep else "…" + path[-(keep - 1) :]


def usage_figure(usage: Records) -> Figure:
    """Tokens and cost along the session, cumulative."""
    x, tokens, cost = [], [], []
    t_sum, c_sum = 0, 0.0
    for u in usage:
        t_sum += u["total_tokens"] or 0
        c_sum += u["cost_usd"] or 0.0
        x.append(ts(u["timestamp"]))
        tokens.append(t_sum)
        cost.append(round(c_sum, 6))
    return _figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "tokens (cumulative)",
                "x": x,
                "y": tokens,
                "line": {"color": BLUE, "shape": "hv"},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "cost USD (cumulative)",
                "x": x,
                "y": cost,
                "yaxis": "y2",
                "line": {"color": PURPLE, "shape": "hv"},
            },
        ],
        "Tokens and cost along time",
        260,
        xaxis={"type": "date"},
        yaxis={"title": {"text": "tokens"}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": "USD"},
            "overlaying": "y",
            "automargin": True,
            "side": "right",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.3},
    )
