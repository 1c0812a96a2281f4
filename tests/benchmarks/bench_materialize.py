"""Materializing a 100,000-line (>100 MB) results file into S3 (moto's server, in a child process).

A stand-in provider streams 100,000 Anthropic result lines (parsed from JSON text, as a real provider's
output stream is); the real materialization code merges them with the staged inputs and writes
``results/<id>.jsonl`` by multipart upload. Compared, in the same run, with a plain stdlib
``json.loads`` + ``json.dumps`` pass over the same lines. Prints lines/s, the ratio and peak RSS growth.

botocore runs without awscrt here, as in the Lambda runtime (whose boto3 does not ship it): the dev tools
pull awscrt in, and with it botocore signs and checksums bodies through a slower path the gateway never takes.

    .venv/bin/python -m tests.benchmarks.bench_materialize
"""

from __future__ import annotations

import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import orjson

os.environ["BOTO_DISABLE_CRT"] = "true"  # read when botocore is first imported, below

LINES = 100_000
ROUNDS = 5
# ~1 KB of text per message, words drawn pseudo-randomly from a 4,096-word vocabulary so that the results
# compress like real prose (about 2-3x), not like a repeated phrase.
_RANDOM = random.Random(20261127)
VOCABULARY = [
    "".join(_RANDOM.choices("abcdefghijklmnopqrstuvwxyz", k=_RANDOM.randint(2, 10))) for _ in range(4096)
]


def filler(i: int) -> str:
    rng = random.Random(i)
    return " ".join(rng.choices(VOCABULARY, k=160))


def result_line(i: int) -> str:
    message = {
        "id": f"msg_{i:08d}",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": f"{i} {filler(i)}"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 200, "service_tier": "batch"},
    }
    return json.dumps({"custom_id": f"req-{i}", "result": {"type": "succeeded", "message": message}})


SOURCE = tempfile.NamedTemporaryFile(prefix="bench-results-", suffix=".jsonl", delete=False)  # noqa: SIM115


def write_source() -> None:
    """The provider's output, written once before timing, then streamed from disk by both sides."""
    with open(SOURCE.name, "w") as out:
        for i in range(LINES):
            out.write(result_line(i) + "\n")


def lines() -> Iterator[str]:
    with open(SOURCE.name) as source:
        yield from source


class StreamingProvider:
    """Yields outcomes parsed from JSON text one at a time (bounded memory, like an HTTP stream), parsing
    each line the way the Anthropic provider parses upstream result lines."""

    name = "bench"

    def iter_outcomes(self, shard, hints, custom_ids=()):
        from handlers.providers.base import Outcome

        with open(SOURCE.name, "rb") as source:
            for line in source:
                data = orjson.loads(line)
                yield Outcome(data["custom_id"], data["result"], line.rstrip())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    # moto's server runs in a child process: it keeps the whole 128 MB object in memory, which is moto's
    # storage, not the gateway's; the RSS measured below is the gateway's own.
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    _wait_for(port)
    from infra import template_resources

    names = template_resources.create_resources(
        {"GatewayTable": "bench", "GatewayBucket": "bench-results", "BatchEventBus": "bench"}
    )
    os.environ.update(BATCHBRIDGE_TABLE=names["GatewayTable"], BATCHBRIDGE_BUCKET=names["GatewayBucket"])

    import handlers.services.materialize as materialize_module
    from handlers.providers.base import ShardRef
    from handlers.storage import bucket, table
    from handlers.storage.records import IN_PROGRESS, BatchRecord

    staged = "".join(json.dumps({"custom_id": f"req-{i}", "shard": 0}) + "\n" for i in range(LINES)).encode()
    materialize_module.get_provider = lambda name: StreamingProvider()

    def new_batch(n: int) -> BatchRecord:
        batch = BatchRecord(
            id=f"msgbatch_bench{n}",
            owner="bench",
            provider="bench",
            created_at="2026-01-01T00:00:00.000000Z",
            expires_at="2026-01-02T00:00:00.000000Z",
            request_count=LINES,
            base_url="http://bench/anthropic",
            state=IN_PROGRESS,
            shards=[ShardRef(index=0, provider_batch_id="b", model=None, request_count=LINES, phase="ended")],
        )
        bucket.put_bytes(bucket.index_key(batch.id), staged)
        table.put_new_batch(batch)
        return batch

    write_source()
    baselines, runs, rss_growth = [], [], 0.0
    for n in range(ROUNDS):  # interleaved rounds; the best of each side is compared (the machine is shared)
        # Baseline: the same lines through a plain stdlib loads+dumps pass (no I/O).
        start = time.perf_counter()
        total = 0
        for line in lines():
            total += len(json.dumps(json.loads(line)))
        baselines.append(time.perf_counter() - start)

        batch = new_batch(n)
        rss_before = peak_rss_mb()
        start = time.perf_counter()
        done = materialize_module.materialize(batch)
        runs.append(time.perf_counter() - start)
        rss_growth = max(rss_growth, peak_rss_mb() - rss_before)
        assert done is not None and done.counts["succeeded"] == LINES
        # moto keeps every object in its memory; drop this round's so the rounds stay alike.
        bucket.delete(bucket.results_key(batch.id))

    # For scale: the same JSONL bytes through the same writer into moto's S3, with no JSON work at all.
    start = time.perf_counter()
    sink = bucket.StreamingUpload("results/sink-only.jsonl")
    with open(SOURCE.name, "rb") as source:
        for line in source:
            sink.write_line(line.rstrip(b"\n"))
    sink.complete()
    sink_only = time.perf_counter() - start
    server.terminate()
    os.unlink(SOURCE.name)

    baseline, elapsed = min(baselines), min(runs)
    print(f"results object: {done.results_bytes / 1e6:.1f} MB, {LINES} lines; best of {ROUNDS} rounds each")
    print(f"baseline json.loads+dumps: {LINES / baseline:,.0f} lines/s ({baseline:.2f} s)")
    print(f"materialize to S3:         {LINES / elapsed:,.0f} lines/s ({elapsed:.2f} s)")
    print(f"plain upload of the JSONL, no JSON: {LINES / sink_only:,.0f} lines/s ({sink_only:.2f} s)")
    print(f"throughput ratio materialize/baseline: {baseline / elapsed:.2f}  (target >= 1.0)")
    print(f"peak RSS growth during materialization: {rss_growth:.1f} MB  (target < 100 MB)")


if __name__ == "__main__":
    main()
