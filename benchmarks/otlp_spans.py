"""Spans per second through the OTLP/HTTP receiver, sent -> landed, with the real
OTel SDK exporter (`opentelemetry-exporter-otlp-proto-http`).

Method: GenAI spans (one `invoke_agent` root and `chat` children per conversation)
are made by the real SDK TracerProvider beforehand, so span creation, which is
the instrumented application's cost, is not timed. The timed part: the SDK's
OTLPSpanExporter serialises batches of 512 spans (the BatchSpanProcessor's
default) and posts them, gzip, from `clients` threads to `achilles serve`
(`workers` uvicorn processes); the clock stops when every export returned
SUCCESS. Landed = rows in the landing zone afterwards; lost = sent - landed.

The same exporters then send the same batches to a receiver that reads each request
and answers 200 without looking at it: `client_ceiling_spans_per_s` is what the
sending side alone does on this machine, a bound on any receiver measured this way.

    .venv/bin/python -m benchmarks.otlp_spans --spans 200000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BATCH = 512


def make_spans(n: int, conversations: int) -> list[list[Any]]:
    """`n` finished GenAI spans from the real SDK, in export batches of one conversation."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    per_conv = max(2, n // conversations)
    made = 0
    c = 0
    while made < n:
        with tracer.start_as_current_span("invoke_agent coder") as root:
            root.set_attribute("gen_ai.operation.name", "invoke_agent")
            root.set_attribute("gen_ai.conversation.id", f"bench-conv-{c}")
            made += 1
            for i in range(min(per_conv - 1, n - made)):
                with tracer.start_as_current_span("chat gpt-4o") as span:
                    span.set_attribute("gen_ai.operation.name", "chat")
                    span.set_attribute("gen_ai.request.model", "gpt-4o")
                    span.set_attribute("gen_ai.usage.input_tokens", 1000 + i)
                    span.set_attribute("gen_ai.usage.output_tokens", 50 + i % 7)
                    made += 1
        c += 1
    spans = list(memory.get_finished_spans())
    provider.shutdown()
    by_trace: dict[int, list[Any]] = {}
    for finished in spans:
        ctx = finished.get_span_context()
        by_trace.setdefault(ctx.trace_id if ctx else 0, []).append(finished)
    batches = []
    for group in by_trace.values():
        batches += [group[i : i + BATCH] for i in range(0, len(group), BATCH)]
    return batches


def landed_rows(data_dir: Path) -> int:
    import pyarrow.parquet as pq

    return sum(
        pq.ParquetFile(f).metadata.num_rows for f in (data_dir / "landing").rglob("*.parquet")
    )


async def _discard(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read each HTTP request whole and answer 200, doing nothing with it."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def serve_discard() -> None:
    """The receiver that does nothing: binds a free port, prints it, serves until killed."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # an ignored SIGTERM is inherited

    async def serve() -> None:
        server = await asyncio.start_server(_discard, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def send_all(
    make_exporter: Callable[[], Any], batches: list[list[Any]], clients: int
) -> tuple[float, int]:
    """(seconds, spans whose export failed) for `clients` exporter threads sending every batch."""
    from opentelemetry.sdk.trace.export import SpanExportResult

    exporters = [make_exporter() for _ in range(clients)]
    chunks = [batches[i::clients] for i in range(clients)]

    def run(k: int) -> int:
        failed = 0
        for batch in chunks[k]:
            if exporters[k].export(batch) != SpanExportResult.SUCCESS:
                failed += len(batch)
        return failed

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        failed = sum(pool.map(run, range(clients)))
    elapsed = time.perf_counter() - t0
    for e in exporters:
        e.shutdown()
    return elapsed, failed


def _exporter(url: str, headers: dict[str, str] | None = None) -> Any:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=url, headers=headers, compression=Compression.Gzip, timeout=60)


def client_ceiling(batches: list[list[Any]], clients: int) -> float:
    """Spans per second of the exporters alone, against a receiver that does nothing.

    The receiver is a process of its own, started fresh (not a fork of this threaded
    process), and killed with SIGKILL when done."""
    root = str(Path(__file__).resolve().parent.parent)
    code = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "from benchmarks.otlp_spans import serve_discard; serve_discard()"
    )
    receiver = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        url = f"http://127.0.0.1:{int(receiver.stdout.readline())}/v1/traces"
        elapsed, failed = send_all(lambda: _exporter(url), batches, clients)
    finally:
        # SIGKILL: a SIGTERM that this process ignores (as one started in the background
        # of a non-interactive shell may) stays ignored in the child, which never exits
        receiver.kill()
        receiver.wait()
    if failed:
        raise RuntimeError(f"{failed} spans failed against a receiver that does nothing")
    return sum(len(b) for b in batches) / elapsed


def measure(spans: int = 200_000, workers: int = 2, clients: int = 4) -> dict[str, Any]:
    from achilles.server import ServerProcess

    batches = make_spans(spans, conversations=max(64, spans // 2000))
    sent = sum(len(b) for b in batches)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        with ServerProcess(data_dir, workers=workers) as server:
            auth = {"Authorization": "Bearer dev-key"}
            elapsed, failed = send_all(
                lambda: _exporter(f"{server.url}/v1/traces", auth), batches, clients
            )
        landed = landed_rows(data_dir)
    ceiling = client_ceiling(batches, clients)
    rate = landed / elapsed
    return {
        "spans_sent": sent,
        "spans_landed": landed,
        "spans_lost": sent - landed,
        "export_failures": failed,
        "seconds": round(elapsed, 3),
        "spans_per_s": round(rate),
        "client_ceiling_spans_per_s": round(ceiling),
        "share_of_client_ceiling": round(rate / ceiling, 3),
        "workers": workers,
        "clients": clients,
        "batch": BATCH,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(measure(args.spans, args.workers, args.clients), indent=2))


if __name__ == "__main__":
    main()
