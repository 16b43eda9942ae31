"""`achilles import`: read agents' own log folders into the landing zone (or a server).

Each agent's files are parsed by its pure parser in `ingest_api.sources`, and the
events go through the same validation, dedupe and durable landing as the API's
(`IngestService.ingest`), or to a running server with `--url`. Locally, the files
are landed in batches (one file per session per batch) by one worker process per
core; a transcript and its subagents' files go to the same worker.

Idempotent and incremental: a cursor per file (size, mtime, inode) skips files
that did not change without reading them. A file that changed is parsed whole
again; events already landed are duplicates by id, and an event that completed
since (a tool call's result, a response's final usage) lands as a higher revision
of the same id, which wins everywhere. So a file imported half-written and then
whole gives the events of one import of the whole file.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from achilles_core.collector import fewer_collections
from ingest_api.sources.base import ParseResult, with_session_starts
from ingest_api.sources.claude_code import parse_claude_code
from ingest_api.sources.codex import parse_codex
from ingest_api.sources.gemini import parse_gemini, parse_gemini_jsonl

if TYPE_CHECKING:
    from achilles_core.settings import Settings

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
REMOTE_BATCH = 2000  # events per HTTP batch (the server's default limit is 5000)


class ImportFailed(Exception):
    """A path the importer cannot take; the message says which and why."""


class NotThisFormat(ImportFailed):
    """A file that is not the agent's log."""


# -- the agents ---------------------------------------------------------------


def _jsonl_sniff(kinds: frozenset[str], key: str = "type") -> Callable[[bytes], bool]:
    """True when one of the first JSON lines is a record of this agent's kinds."""

    def sniff(head: bytes) -> bool:
        for line in head.splitlines()[:50]:
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(rec, dict) and rec.get(key) in kinds:
                return True
        return False

    return sniff


def _gemini_sniff(head: bytes) -> bool:
    """A Gemini CLI chat: a JSONL file whose first line is its metadata (sessionId,
    projectHash; a Claude Code line has a sessionId, no projectHash), or one JSON
    document that starts with them."""
    start = head.lstrip()[:4096]
    if not start.startswith(b"{"):
        return False
    try:
        first = orjson.loads(start.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:  # a pretty-printed (or long) legacy document
        return b'"sessionId"' in start and b'"projectHash"' in start
    return (
        isinstance(first, dict)
        and isinstance(first.get("sessionId"), str)
        and (isinstance(first.get("projectHash"), str) or isinstance(first.get("messages"), list))
    )


def _parse_claude(path: Path, data: bytes, include_prompts: bool) -> ParseResult:
    parent = None
    if path.parent.name == "subagents":  # <session>/subagents/agent-*.jsonl
        parent = path.parent.parent.name
    return parse_claude_code(
        data.splitlines(),
        source=str(path),
        include_prompts=include_prompts,
        parent_session_id=parent,
    )


def _parse_codex(path: Path, data: bytes, include_prompts: bool) -> ParseResult:
    return parse_codex(data.splitlines(), source=str(path), include_prompts=include_prompts)


def _parse_gemini(path: Path, data: bytes, include_prompts: bool) -> ParseResult:
    # a subagent's chat is chats/<parent session id>/<session id>.jsonl (kind "subagent")
    parent = path.parent.name if path.parent.name != "chats" else None
    parse = parse_gemini_jsonl if path.suffix == ".jsonl" else parse_gemini
    return parse(data, source=str(path), include_prompts=include_prompts, parent_session_id=parent)


@dataclass(frozen=True)
class AgentFormat:
    name: str
    suffixes: tuple[str, ...]  # the files to take when a folder is given
    parse: Callable[[Path, bytes, bool], ParseResult]
    sniff: Callable[[bytes], bool]
    default_roots: Callable[[], list[Path]]


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _claude_roots() -> list[Path]:
    base = os.environ.get("CLAUDE_CONFIG_DIR")
    return [Path(base) / "projects" if base else _home() / ".claude" / "projects"]


def _codex_roots() -> list[Path]:
    base = os.environ.get("CODEX_HOME")
    return [Path(base) / "sessions" if base else _home() / ".codex" / "sessions"]


def _gemini_roots() -> list[Path]:
    return sorted((_home() / ".gemini" / "tmp").glob("*/chats"))


AGENTS: dict[str, AgentFormat] = {
    "claude-code": AgentFormat(
        "claude-code",
        (".jsonl",),
        _parse_claude,
        _jsonl_sniff(
            frozenset(
                {"user", "assistant", "summary", "system", "progress", "file-history-snapshot"}
            )
        ),
        _claude_roots,
    ),
    "codex": AgentFormat(
        "codex",
        (".jsonl",),
        _parse_codex,
        _jsonl_sniff(frozenset({"session_meta", "response_item", "event_msg", "turn_context"})),
        _codex_roots,
    ),
    # legacy session-*.json and current session-*.jsonl (a resumed legacy chat is both)
    "gemini": AgentFormat(
        "gemini", (".json", ".jsonl"), _parse_gemini, _gemini_sniff, _gemini_roots
    ),
}


# -- where events go -------------------------------------------------------------


class Sink(Protocol):
    def send(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Land events; one result (status, event_id, field, reason) per event."""
        ...


class LocalSink:
    """The local landing zone, through the API's own write path."""

    def __init__(self, settings: Settings, project_id: str = "default") -> None:
        from ingest_api.service import IngestService

        self.settings = settings
        self.service = IngestService(settings)
        self.project_id = project_id

    def send(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = self.service.ingest(events, project_id=self.project_id)
        return [
            {"status": r.status, "event_id": r.event_id, "field": r.field, "reason": r.reason}
            for r in results
        ]


class RemoteSink:
    """A running Achilles server (`--url`, `--api-key`)."""

    def __init__(self, url: str, api_key: str) -> None:
        import httpx

        from achilles.client import AchillesClient

        self.client = AchillesClient(url, api_key)
        # Say now, not after reading every file, when the server or the key is wrong.
        try:
            r = self.client.http.get("/v1/insights/recent", params={"limit": 1})
        except httpx.HTTPError as exc:
            raise ImportFailed(f"cannot reach {url}: {exc}") from None
        if r.status_code == 401:
            raise ImportFailed(f"{url} refused the API key (401)")
        if r.status_code >= 400:
            raise ImportFailed(f"{url} answered {r.status_code}: {r.text[:200]}")

    def send(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(events), REMOTE_BATCH):
            body = self.client.send_batch(events[start : start + REMOTE_BATCH])
            out.extend(body["results"])
        return out


# -- cursors ---------------------------------------------------------------------


@dataclass
class Cursors:
    """Per-file (size, mtime_ns, inode) of the last complete import, in one JSON file."""

    path: Path
    files: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Cursors:
        try:
            return cls(path, orjson.loads(path.read_bytes()))
        except FileNotFoundError:
            return cls(path)
        except orjson.JSONDecodeError:
            return cls(path)  # a damaged cursor file costs one full re-read, nothing else

    @staticmethod
    def stamp(st: os.stat_result) -> list[int]:
        return [st.st_size, st.st_mtime_ns, st.st_ino]

    def unchanged(self, key: str, st: os.stat_result) -> bool:
        return self.files.get(key) == self.stamp(st)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_bytes(orjson.dumps(self.files, option=orjson.OPT_SORT_KEYS))
        os.replace(tmp, self.path)


# -- the import ------------------------------------------------------------------


@dataclass
class ImportSummary:
    files_read: int = 0
    files_unchanged: int = 0
    files_failed: list[tuple[str, str]] = field(default_factory=list)
    files_other: list[str] = field(default_factory=list)
    lines: int = 0
    sessions: set[str] = field(default_factory=set)
    accepted_by_type: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    bad_lines: list[tuple[str, int, str]] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def lines_with_events(self) -> int:
        return self.lines - sum(self.skipped.values()) - len(self.bad_lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files_read": self.files_read,
            "files_unchanged": self.files_unchanged,
            "files_failed": [{"file": f, "reason": r} for f, r in self.files_failed],
            "files_not_this_agent": self.files_other,
            "lines": self.lines,
            "lines_with_events": self.lines_with_events,
            "sessions": len(self.sessions),
            "events_accepted": dict(sorted(self.accepted_by_type.items())),
            "duplicates": self.duplicates,
            "lines_skipped": dict(sorted(self.skipped.items())),
            "bad_lines": [{"file": f, "line": n, "reason": r} for f, n, r in self.bad_lines],
            "events_rejected": [
                {"event_id": e, "field": f, "reason": r} for e, f, r in self.rejected
            ],
        }


def find_files(fmt: AgentFormat, paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named): each path as given (a file), or its agent files found
    recursively (a folder). A named file must be the agent's; a found one may not be."""
    for path in paths:
        if path.is_file():
            yield path, True
        elif path.is_dir():
            found = sorted(
                p for suffix in fmt.suffixes for p in path.rglob(f"*{suffix}") if p.is_file()
            )
            if not found:
                names = ", ".join(f"*{suffix}" for suffix in fmt.suffixes)
                raise ImportFailed(f"{path}: no {fmt.name} logs ({names}) in this folder")
            for p in found:
                yield p, False
        else:
            raise ImportFailed(f"{path}: no such file or folder")


def _without_partial_line(data: bytes, summary: ImportSummary) -> bytes:
    """Drop a last line the agent is still writing; it is read whole next time."""
    if data.endswith(b"\n"):
        return data
    head, _, last = data.rpartition(b"\n")
    try:
        orjson.loads(last)
    except orjson.JSONDecodeError:
        summary.skipped["partial last line"] += 1
        return head + b"\n" if head else b""
    return data  # complete, just no trailing newline (Codex writes such files)


def read_file(
    fmt: AgentFormat, path: Path, summary: ImportSummary, *, include_prompts: bool = False
) -> list[dict[str, Any]]:
    """Parse one file into events (with their session starts), accounting its lines."""
    data = path.read_bytes()
    if data.strip() and not fmt.sniff(data[:65536]):
        raise NotThisFormat(f"{path}: not a {fmt.name} log")
    # (a JSONL-only agent's file named by hand may have any suffix)
    if path.suffix == ".jsonl" or fmt.suffixes == (".jsonl",):
        data = _without_partial_line(data, summary)
    result = fmt.parse(path, data, include_prompts)
    summary.lines += result.lines
    summary.skipped.update(result.skipped)
    summary.bad_lines.extend((str(path), n, reason) for n, reason in result.bad_lines)
    return with_session_starts(result)


def send_events(events: list[dict[str, Any]], sink: Sink, summary: ImportSummary) -> None:
    """Land events through the sink and count what became of each."""
    if not events:
        return
    for event, res in zip(events, sink.send(events), strict=True):
        if res["status"] == ACCEPTED:
            summary.accepted_by_type[str(event["event_type"])] += 1
            summary.sessions.add(str(event["session_id"]))
        elif res["status"] == DUPLICATE:
            summary.duplicates += 1
            summary.sessions.add(str(event["session_id"]))
        else:
            summary.rejected.append(
                (str(event.get("event_id")), str(res.get("field")), str(res.get("reason")))
            )


def import_file(
    fmt: AgentFormat,
    path: Path,
    sink: Sink,
    summary: ImportSummary,
    *,
    include_prompts: bool = False,
) -> None:
    send_events(read_file(fmt, path, summary, include_prompts=include_prompts), sink, summary)


# Files whose events go to the sink together: one landing file per session per batch,
# and the cursors saved once per batch (a crash before that re-reads the batch, which
# lands nothing twice).
BATCH_FILES = 64
BATCH_EVENTS = 20_000
# Files per task handed to a worker process.
TASK_FILES = 24


@dataclass
class _ToRead:
    path: Path
    named: bool
    key: str
    stamp: list[int]


def _import_batchwise(
    fmt: AgentFormat,
    todo: list[_ToRead],
    sink: Sink,
    include_prompts: bool,
    on_file: Callable[[_ToRead, ImportSummary], None] | None = None,
) -> tuple[ImportSummary, list[_ToRead]]:
    """Import `todo` in order, in batches; the summary and the files read whole."""
    summary = ImportSummary()
    done: list[_ToRead] = []
    pending: list[_ToRead] = []
    events: list[dict[str, Any]] = []

    def flush() -> None:
        send_events(events, sink, summary)
        events.clear()
        done.extend(pending)
        pending.clear()

    for item in todo:
        if on_file:
            on_file(item, summary)
        try:
            events.extend(read_file(fmt, item.path, summary, include_prompts=include_prompts))
        except NotThisFormat as exc:
            if item.named:
                summary.files_failed.append((str(item.path), str(exc)))
            else:  # another tool's file in the agent's folder
                summary.files_other.append(str(item.path))
            continue
        except OSError as exc:
            summary.files_failed.append((str(item.path), f"cannot read: {exc}"))
            continue
        summary.files_read += 1
        pending.append(item)
        if len(pending) >= BATCH_FILES or len(events) >= BATCH_EVENTS:
            flush()
    flush()
    return summary, done


def _merge(into: ImportSummary, part: ImportSummary) -> None:
    into.files_read += part.files_read
    into.files_failed.extend(part.files_failed)
    into.files_other.extend(part.files_other)
    into.lines += part.lines
    into.sessions |= part.sessions
    into.accepted_by_type.update(part.accepted_by_type)
    into.duplicates += part.duplicates
    into.skipped.update(part.skipped)
    into.bad_lines.extend(part.bad_lines)
    into.rejected.extend(part.rejected)


def _group_key(path: Path) -> Path:
    """Files landing the same sessions: a transcript and its subagents' files."""
    if path.parent.name == "subagents":  # <dir>/<session>/subagents/agent-*.jsonl
        return path.parent.parent
    return path.with_suffix("")  # <dir>/<session>.jsonl


def _tasks(todo: list[_ToRead]) -> list[list[_ToRead]]:
    """`todo` cut into tasks of about TASK_FILES files, never splitting a group."""
    groups: dict[Path, list[_ToRead]] = {}
    for item in todo:
        groups.setdefault(_group_key(item.path), []).append(item)
    tasks: list[list[_ToRead]] = [[]]
    for group in groups.values():
        if len(tasks[-1]) >= TASK_FILES:
            tasks.append([])
        tasks[-1].extend(group)
    return [t for t in tasks if t]


_worker_sink: LocalSink | None = None


def _worker_init(settings: Settings, project_id: str) -> None:
    global _worker_sink
    _worker_sink = LocalSink(settings, project_id)


def _worker_task(
    agent: str, task: list[_ToRead], include_prompts: bool
) -> tuple[ImportSummary, list[_ToRead]]:
    assert _worker_sink is not None
    return _import_batchwise(AGENTS[agent], task, _worker_sink, include_prompts)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# Parsing allocates millions of short-lived objects: collect them less often.
@fewer_collections(50_000)
def run_import(
    agent: str,
    paths: list[Path],
    sink: Sink,
    cursors: Cursors,
    *,
    include_prompts: bool = False,
    progress: Callable[[int, int, Path], None] | None = None,
    jobs: int | None = None,
) -> ImportSummary:
    """Import every changed file under `paths` (the agent's default folders when empty).

    Into the local landing zone, files are read by `jobs` worker processes (default:
    one per core), a transcript and its subagents' files by the same one, so each
    session is landed by one process; the summary is the same as one process's.
    """
    fmt = AGENTS[agent]
    roots = paths or fmt.default_roots()
    if not paths and not any(r.is_dir() for r in roots):
        raise ImportFailed(
            f"no {agent} logs found at the default location "
            f"({', '.join(str(r) for r in roots) or '~/.gemini/tmp/*/chats'}); pass a PATH"
        )
    files = list(find_files(fmt, [r for r in roots if paths or r.is_dir()]))
    summary = ImportSummary()
    todo: list[_ToRead] = []
    for path, named in files:
        key = f"{agent}:{path.resolve()}"
        if isinstance(sink, LocalSink) and sink.project_id != "default":
            key = f"{sink.project_id}/{key}"  # a file imported into two projects lands twice
        try:
            st = path.stat()
        except FileNotFoundError:
            summary.files_failed.append((str(path), "vanished while importing"))
            continue
        if cursors.unchanged(key, st):
            summary.files_unchanged += 1
            continue
        todo.append(_ToRead(path, named, key, Cursors.stamp(st)))
    total = len(files)
    seen = summary.files_unchanged + len(summary.files_failed)

    def commit(done: list[_ToRead]) -> None:
        for item in done:
            cursors.files[item.key] = item.stamp
        if done:
            cursors.save()

    jobs = default_jobs() if jobs is None else jobs
    tasks = _tasks(todo)
    if isinstance(sink, LocalSink) and jobs > 1 and len(tasks) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_init,
            initargs=(sink.settings, sink.project_id),
        ) as pool:
            futures = [pool.submit(_worker_task, agent, t, include_prompts) for t in tasks]
            for task, future in zip(tasks, futures, strict=True):
                part, done = future.result()  # in task order: the summary is deterministic
                _merge(summary, part)
                commit(done)
                seen += len(task)
                if progress:
                    progress(seen, total, task[-1].path)
        return summary

    def on_file(item: _ToRead, _: ImportSummary) -> None:
        nonlocal seen
        seen += 1
        if progress:
            progress(seen, total, item.path)

    for task in tasks:
        part, done = _import_batchwise(fmt, task, sink, include_prompts, on_file)
        _merge(summary, part)
        commit(done)
    return summary


def watch_files(
    agent: str,
    paths: list[Path],
    sink: Sink,
    cursors: Cursors,
    *,
    interval_s: float,
    include_prompts: bool,
    on_round: Callable[[ImportSummary], None],
    rounds: int | None = None,
) -> None:
    """Import again every `interval_s` seconds (Ctrl-C stops it); `rounds` bounds it in tests."""
    done = 0
    while rounds is None or done < rounds:
        on_round(run_import(agent, paths, sink, cursors, include_prompts=include_prompts))
        done += 1
        if rounds is None or done < rounds:
            time.sleep(interval_s)
