"""The session timeline's figure: which lane each event goes to, and the arrows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest_api.ui import charts

T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def event(i: int, event_type: str, **fields) -> dict:
    base = {
        "event_id": f"e{i}",
        "event_type": event_type,
        "action_kind": None,
        "tool_name": None,
        "attr_tool": None,
        "timestamp": T0 + timedelta(seconds=i),
        "file_path": None,
        "status": None,
        "error_type": None,
        "message": None,
        "model": None,
        "runner": None,
    }
    return {**base, **fields}


EVENTS = [
    event(0, "human_action", message="fix the cache"),
    event(1, "llm_call", model="m"),
    event(2, "agent_action", action_kind="edit", file_path="a.py"),
    event(3, "agent_action", attr_tool="Edit", file_path="b.py"),  # API-sent: tool only
    event(4, "agent_action", attr_tool="Read", file_path="a.py"),  # a read is no edit
    event(5, "agent_action", file_path="c.go"),  # kind unknown, on a file: a change
    event(6, "test_run", status="failed"),
    event(7, "error", message="boom </script>"),
    event(8, "check_run", status="passed"),
    event(9, "test_run", status="unknown"),
]


def test_lanes_and_counts():
    fig, counts = charts.timeline(EVENTS, [])
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["edit"]["ids"] == ["e2", "e3", "e5"]
    assert traces["other tool call"]["ids"] == ["e4"]
    assert traces["run failed"]["ids"] == ["e6"]
    assert traces["run passed"]["ids"] == ["e8"]
    assert traces["run, outcome unknown"]["ids"] == ["e9"]
    assert traces["prompt"]["ids"] == ["e0"]
    assert counts == {
        "edits": 3,
        "runs_failed": 1,
        "runs_passed": 1,
        "errors": 1,
        "prompts": 1,
        "llm_calls": 1,
        "arrows": 0,
    }
    lanes = fig["layout"]["yaxis"]["ticktext"]
    assert {"edit a.py", "edit b.py", "edit c.go"} <= set(lanes)
    assert lanes[0] == "prompts" and lanes[-1] == "errors"


def test_an_arrow_runs_from_each_attributed_edit_to_its_failure():
    links = [
        {
            "action_event_id": "e2",
            "error_event_id": "e7",
            "method": "time_window",
            "confidence": 0.7,
        },
        {
            "action_event_id": "e5",
            "error_event_id": "e6",
            "method": "change_set",
            "confidence": 0.9,
        },
        {
            "action_event_id": "gone",
            "error_event_id": "e6",
            "method": "change_set",
            "confidence": 0.4,
        },  # an action beyond the drawn events: no arrow
    ]
    fig, counts = charts.timeline(EVENTS, links)
    arrows = fig["layout"]["annotations"]
    assert counts["arrows"] == len(arrows) == 2
    by_id = {i: (t["x"][k], t["y"][k]) for t in fig["data"] for k, i in enumerate(t["ids"])}
    assert (arrows[0]["ax"], arrows[0]["ay"]) == by_id["e2"]
    assert (arrows[0]["x"], arrows[0]["y"]) == by_id["e7"]
    assert (arrows[1]["ax"], arrows[1]["ay"]) == by_id["e5"]
    assert (arrows[1]["x"], arrows[1]["y"]) == by_id["e6"]


def test_many_files_share_one_lane_past_the_busiest():
    many = [event(i, "agent_action", action_kind="edit", file_path=f"f{i}.py") for i in range(30)]
    fig, counts = charts.timeline(many, [])
    lanes = fig["layout"]["yaxis"]["ticktext"]
    assert sum(1 for lane in lanes if lane.startswith("edit ")) == charts.TIMELINE_MAX_FILES + 1
    assert "edit (other files)" in lanes
    assert counts["edits"] == 30


def test_figure_json_cannot_close_the_script_tag():
    from ingest_api.ui.routes import _figure_json

    fig, _ = charts.timeline(EVENTS, [])
    assert "</script>" not in _figure_json(fig)
    assert "<" not in _figure_json(fig)
