"""End-to-end: the real `anthropic` SDK over HTTP against `python -m infra.local` (what `make run` starts)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stack_url():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "AWS_ENDPOINT_URL"}
    env.update(
        BATCHBRIDGE_PORT=str(port),
        BATCHBRIDGE_POLL_SECONDS="0.5",
        BATCHBRIDGE_EMULATOR_SECONDS="0.6",
        BATCHBRIDGE_AUTH="open",
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    banner = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("local stack exited:\n" + "".join(banner))
        banner.append(line)
        if line.startswith("batchbridge on "):
            break
    else:
        proc.kill()
        raise RuntimeError("local stack did not start:\n" + "".join(banner))
    # Drain the stack's logs so it never blocks on a full pipe.
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    yield f"http://127.0.0.1:{port}/anthropic"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def sdk(stack_url):
    """``sdk()`` for the default provider, ``sdk("openai")`` etc. for the others — as the reference page does."""

    def make(provider: str | None = None) -> anthropic.Anthropic:
        headers = {"x-model-provider": provider} if provider else {}
        return anthropic.Anthropic(
            base_url=stack_url, api_key="virtual-key-or-dummy-key", default_headers=headers
        )

    return make


def wait_until_ended(client: anthropic.Anthropic, batch_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        batch = client.beta.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended" or time.monotonic() > deadline:
            return batch
        time.sleep(0.3)
