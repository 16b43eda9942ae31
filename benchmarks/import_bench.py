"""Import speed: `achilles import` against orjson parsing the same lines, in one run.

The corpus replicates the real Claude Code transcripts in tests/fixtures under new
session ids (each copy is a session of its own, as a heavy user's folder holds
hundreds). Figures:
- import.lines_per_s: the whole import (parse, validate, dedupe, durable landing)
  into a fresh landing zone, with the default worker processes, from the moment the
  landing zone is open (Python's start-up and module imports are not a rate);
- import.parse_ceiling_lines_per_s: orjson parsing every line and nothing else;
- import.ratio: the first over the second;
- import.reimport_unchanged_s: importing the same, unchanged folder again.

`python -m benchmarks.import_bench [--copies N]`.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "claude-code"


def _transcripts() -> list[tuple[str, bytes, list[bytes]]]:
    """(file name, contents, session ids in it) of each real transcript fixture."""
    out = []
    for src in sorted(FIXTURES.iterdir()):
        if src.name == "PROVENANCE.md":
            continue
        data = gzip.decompress(src.read_bytes()) if src.suffix == ".gz" else src.read_bytes()
        ids = set()
        for line in data.splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("sessionId"), str):
                ids.add(rec["sessionId"].encode())
        out.append((src.name.removesuffix(".gz"), data, sorted(ids)))
    return out


def make_corpus(dest: Path, copies: int) -> tuple[int, int]:
    """`copies` copies of every transcript under new session ids; (files, lines)."""
    files = lines = 0
    sources = _transcripts()
    for n in range(copies):
        folder = dest / f"-home-dev-project-{n % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data, ids in sources:
            for sid in ids:
                data = data.replace(
                    sid, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{n}/{sid!r}")).encode()
                )
            (folder / f"{n:05d}-{name}").write_bytes(data)
            files += 1
            lines += data.count(b"\n")
    return files, lines


def parse_ceiling(corpus: Path) -> float:
    """Lines per second of orjson alone over every line of the corpus."""
    paths = sorted(corpus.rglob("*.jsonl"))
    datas = [p.read_bytes() for p in paths]  # read first: the ceiling is parsing
    started = time.perf_counter()
    n = 0
    for data in datas:
        for line in data.splitlines():
            orjson.loads(line)
            n += 1
    return n / (time.perf_counter() - started)


def run_import_bench(
    work: Path, copies: int = 200, echo: Callable[[str], Any] = print
) -> dict[str, Any]:
    from achilles.importer import Cursors, LocalSink, run_import
    from achilles_core.settings import Settings

    corpus = work / "import-corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    files, lines = make_corpus(corpus, copies)
    echo(f"[import] corpus: {files:,} files, {lines:,} lines")
    ceiling = parse_ceiling(corpus)

    settings = Settings(data_dir=work / "import-data", _env_file=None)
    cursors = Cursors.load(work / "import-cursors.json")
    sink = LocalSink(settings)  # opened (its modules imported) before the clock starts
    started = time.perf_counter()
    summary = run_import("claude-code", [corpus], sink, cursors)
    seconds = time.perf_counter() - started
    rate = summary.lines / seconds

    started = time.perf_counter()
    again = run_import("claude-code", [corpus], sink, Cursors.load(work / "import-cursors.json"))
    reimport_s = time.perf_counter() - started
    assert again.files_unchanged == files and again.files_read == 0
    echo(
        f"[import] {rate:,.0f} lines/s (orjson alone {ceiling:,.0f}); "
        f"re-import of {files:,} unchanged files {reimport_s:.2f} s"
    )
    return {
        "files": files,
        "lines": summary.lines,
        "events": sum(summary.accepted_by_type.values()),
        "seconds": round(seconds, 2),
        "lines_per_s": round(rate),
        "parse_ceiling_lines_per_s": round(ceiling),
        "ratio": round(rate / ceiling, 3),
        "reimport_unchanged_files": files,
        "reimport_unchanged_s": round(reimport_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    import tempfile

    p = argparse.ArgumentParser(prog="python -m benchmarks.import_bench", description=__doc__)
    p.add_argument("--copies", type=int, default=200, help="copies of each real transcript")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="achilles-import-bench-") as tmp:
        report = run_import_bench(Path(tmp), args.copies)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
