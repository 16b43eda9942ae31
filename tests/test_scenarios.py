"""The bundled sample file is what `scenarios.sample_sessions` produces."""

from __future__ import annotations

from pathlib import Path

from achilles.scenarios import sample_sessions_json

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "sessions.json"


def test_committed_sample_equals_the_function():
    # On a failure, regenerate: python -m achilles.scenarios > data/samples/sessions.json
    assert SAMPLES.read_text() == sample_sessions_json()
