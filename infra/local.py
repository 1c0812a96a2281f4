"""``make run``: the whole gateway on this machine, no Docker, no AWS.

DynamoDB, S3 and EventBridge are moto's in-process server with the resources built from template.yaml; a
provider without an API key in the environment is served by its emulator; the poller runs on a timer.
``LocalStack`` is also what the end-to-end tests start.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
from dataclasses import dataclass, field

from infra.servers import BackgroundServer

PROVIDERS = ("anthropic", "openai", "gemini")
EMULATOR_KEY = "emulator-key"
# What each emulator's URL needs appended to be that provider's base URL.
_BASE_SUFFIX = {"anthropic": "", "openai": "/v1", "gemini": ""}
LOCAL_NAMES = {
    "GatewayTable": "batchbridge-local",
    "GatewayBucket": "batchbridge-local",
    "BatchEventBus": "batchbridge-local",
}


@dataclass
class LocalStack:
    port: int = 0
    poll_seconds: float = 5.0
    emulator_batch_seconds: float = 1.0
    auth_mode: str = "open"
    live: dict[str, bool] = field(default_factory=dict)
    _servers: list[BackgroundServer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _moto = None
    gateway: BackgroundServer | None = None

    def start_aws(self) -> None:
        """moto's server on loopback, boto3 pointed at it, table/bucket/bus created from the template."""
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(
            logging.ERROR
        )  # moto's per-request access lines drown the banner

        for var, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            os.environ.setdefault(var, value)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"

        from infra import template_resources

        names = template_resources.create_resources(LOCAL_NAMES)
        os.environ["BATCHBRIDGE_TABLE"] = names["GatewayTable"]
        os.environ["BATCHBRIDGE_BUCKET"] = names["GatewayBucket"]
        os.environ["BATCHBRIDGE_EVENT_BUS"] = names["BatchEventBus"]

    def start_providers(self) -> None:
        """Emulate every provider that has no real key in the environment."""
        for name in PROVIDERS:
            var = f"{name.upper()}_API_KEY"
            self.live[name] = bool(os.environ.get(var)) and os.environ.get(var) != EMULATOR_KEY
            if self.live[name]:
                continue
            module = importlib.import_module(f"infra.emulators.{name}")
            app = module.create_app(EMULATOR_KEY, batch_seconds=self.emulator_batch_seconds)
            server = BackgroundServer(app).start()
            self._servers.append(server)
            os.environ[var] = EMULATOR_KEY
            os.environ[f"BATCHBRIDGE_{name.upper()}_BASE_URL"] = server.url + _BASE_SUFFIX[name]

    def start_gateway(self) -> str:
        os.environ["BATCHBRIDGE_AUTH"] = self.auth_mode
        self._reset_gateway_caches()
        from handlers.api import app

        self.gateway = BackgroundServer(app, port=self.port).start()
        self._servers.append(self.gateway)
        return self.base_url

    def start_poller(self) -> None:
        from handlers.poller import poll_once

        def loop() -> None:
            while not self._stop.wait(self.poll_seconds):
                try:
                    poll_once()
                except Exception as exc:  # keep ticking; the poller logs per-batch failures itself
                    print(f"poller tick failed: {exc!r}")

        threading.Thread(target=loop, name="poller", daemon=True).start()

    @property
    def base_url(self) -> str:
        assert self.gateway is not None
        return f"{self.gateway.url}/anthropic"

    def start(self) -> LocalStack:
        self.start_aws()
        self.start_providers()
        self.start_gateway()
        if self.poll_seconds > 0:
            self.start_poller()
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in reversed(self._servers):
            server.stop()
        if self._moto is not None:
            self._moto.stop()

    @staticmethod
    def _reset_gateway_caches() -> None:
        from handlers import aws, config
        from handlers.providers import reset_providers

        config.reset_caches()
        aws.reset_clients()
        reset_providers()

    def banner(self) -> str:
        providers = ", ".join(f"{n} ({'live' if self.live.get(n) else 'emulated'})" for n in PROVIDERS)
        return (
            f"batchbridge on {self.base_url}\n"
            f"  auth: {self.auth_mode}   providers: {providers}   poller: every {self.poll_seconds:g}s"
        )


def main() -> None:
    stack = LocalStack(
        port=int(os.environ.get("BATCHBRIDGE_PORT", "8080")),
        poll_seconds=float(os.environ.get("BATCHBRIDGE_POLL_SECONDS", "5")),
        emulator_batch_seconds=float(os.environ.get("BATCHBRIDGE_EMULATOR_SECONDS", "3")),
        auth_mode=os.environ.get("BATCHBRIDGE_AUTH", "open"),
    )
    stack.start()
    print(stack.banner(), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    print("stopping batchbridge…", flush=True)
    stack.stop()


if __name__ == "__main__":
    main()
