"""Cold start of the API handler vs. the least any such function does (import boto3, make two clients).

Each side runs in a fresh interpreter, several times, alternating; the handler side imports ``handlers.api``
and answers one real event (a batch list, against moto's server with the template's table). Prints both
medians, the ratio (target ≤ 2.5) and each side's peak RSS.

    .venv/bin/python -m tests.benchmarks.bench_cold_start
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from tests.support.lambda_transport import http_api_event

ROUNDS = 7

BASELINE = """
import boto3
boto3.client("dynamodb"); boto3.client("s3")
"""

HANDLER = """
import json, sys
event = json.loads(sys.argv[1])
from handlers.api import handler
from tests.support.lambda_transport import LambdaContext
out = handler(event, LambdaContext())
assert out["statusCode"] == 200, out
"""

MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], check=True, stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - t
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _run(code: str, *args: str, env: dict) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, code, *args], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    from moto.server import ThreadedMotoServer

    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    os.environ.update(env)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env["AWS_ENDPOINT_URL"] = os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    from infra import template_resources

    names = template_resources.create_resources(
        {"GatewayTable": "bench", "GatewayBucket": "bench", "BatchEventBus": "bench"}
    )
    env.update(
        BATCHBRIDGE_TABLE=names["GatewayTable"],
        BATCHBRIDGE_BUCKET=names["GatewayBucket"],
        BATCHBRIDGE_AUTH="open",
    )
    env["PYTHONPATH"] = os.getcwd()
    event = json.dumps(
        http_api_event("GET", "/anthropic/v1/messages/batches", headers={"x-api-key": "dummy"})
    )

    base_times, handler_times, base_rss, handler_rss = [], [], 0, 0
    for _ in range(ROUNDS):
        t, rss = _run(BASELINE, env=env)
        base_times.append(t)
        base_rss = max(base_rss, rss)
        t, rss = _run(HANDLER, event, env=env)
        handler_times.append(t)
        handler_rss = max(handler_rss, rss)
    server.stop()
    base, handler = statistics.median(base_times), statistics.median(handler_times)
    print(
        f"baseline (import boto3 + dynamodb/s3 clients): {base * 1000:.0f} ms median of {ROUNDS}, peak RSS {base_rss / 1024:.1f} MB"
    )
    print(
        f"handler  (import handlers.api + one event):    {handler * 1000:.0f} ms median of {ROUNDS}, peak RSS {handler_rss / 1024:.1f} MB"
    )
    print(f"ratio handler/baseline: {handler / base:.2f}  (target <= 2.5)")


if __name__ == "__main__":
    main()
