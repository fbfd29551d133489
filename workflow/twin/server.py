"""`etl up`: the twin's services in one process, each on its own port with `/health`.

AWS endpoint (4566: S3, SQS, DynamoDB, Step Functions, Lambda), the REST API gateway (3000) and the console
(8080). All ports are checked before anything starts, so a taken port is refused with a clear message
instead of a half-started twin. `--watch DIR` drops CSV files copied into DIR into the bucket.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.config import PipelineConfig
from workflow.twin.endpoint import PortInUse, ServerThread, bind_error
from workflow.twin.gateway import RestGateway, generate_api_key
from workflow.twin.twin import Twin

if TYPE_CHECKING:
    from workflow.console.app import ConsoleApp


@dataclass
class Ports:
    aws: int = 4566
    api: int = 3000
    console: int = 8080


class FolderWatcher:
    """Drops each new or changed `*.csv` of a folder into the bucket once its size has settled."""

    def __init__(self, folder: Path, drop: Callable[[Path], Any], interval_s: float = 0.5) -> None:
        self.folder = Path(folder)
        self.drop = drop
        self.interval_s = interval_s
        self.dropped: list[Path] = []
        self._seen: dict[Path, tuple[float, int]] = {}
        self._pending: dict[Path, tuple[float, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="watch", daemon=True)

    def start(self) -> FolderWatcher:
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in self.folder.glob("*.csv"):  # files already there are not new
            stat = path.stat()
            self._seen[path] = (stat.st_mtime, stat.st_size)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def scan(self) -> None:
        for path in sorted(self.folder.glob("*.csv")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            state = (stat.st_mtime, stat.st_size)
            if self._seen.get(path) == state:
                continue
            if self._pending.get(path) != state:  # still being written: wait for one more unchanged look
                self._pending[path] = state
                continue
            del self._pending[path]
            self._seen[path] = state
            self.drop(path)
            self.dropped.append(path)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.scan()
            except Exception as exc:  # a bad file must not stop the watcher
                print(f"watch: {exc}")


class UpServer:
    """Everything `etl up` runs."""

    def __init__(
        self,
        config: PipelineConfig | None = None,
        host: str = "127.0.0.1",
        ports: Ports | None = None,
        api_key: str | None = None,
        watch: Path | None = None,
        speed: float = 1.0,
    ) -> None:
        self.config = config or PipelineConfig()
        self.host = host
        self.ports = ports or Ports()
        self.api_key = api_key or os.environ.get("ETL_API_KEY") or _new_api_key()
        self.watch_dir = watch
        self.twin = Twin(self.config, host, self.ports.aws, speed=speed)
        self.api: ServerThread | None = None
        self.console: ServerThread | None = None
        self.console_app: ConsoleApp | None = None
        self.watcher: FolderWatcher | None = None

    def check_ports(self) -> None:
        for name, port in (
            ("AWS endpoint", self.ports.aws),
            ("REST API", self.ports.api),
            ("console", self.ports.console),
        ):
            if port and (problem := bind_error(self.host, port)) is not None:
                raise PortInUse(self.host, port, name, problem)

    def rest_app(self) -> RestGateway:
        runtime = self.twin.runtime
        assert runtime is not None
        limits = (self.config.api_rate_limit, self.config.api_burst_limit)
        return RestGateway(
            lambda key, event: runtime.invoke_event(key, event)[0],
            api_key=self.api_key,
            config=self.config,
            throttle=limits,
        )

    def start(self) -> UpServer:
        from workflow.console.app import ConsoleApp
        from workflow.console.sources import for_twin

        self.check_ports()
        self.twin.start(ready=False)
        try:
            self.api = ServerThread(self.rest_app(), self.host, self.ports.api, name="REST API").start()
            self.console_app = ConsoleApp(for_twin(self.twin))
            self.console = ServerThread(
                self.console_app, self.host, self.ports.console, name="console"
            ).start()
            if self.watch_dir is not None:
                self.watcher = FolderWatcher(self.watch_dir, self.twin.upload).start()
            self.twin.mark_ready()  # the AWS endpoint's /health says 200 only now, before the banner
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.console_app is not None:
            self.console_app.close()  # ends the open event streams
        for server in (self.console, self.api):
            if server is not None:
                server.stop()
        self.twin.stop()

    def urls(self) -> dict[str, str]:
        assert self.api is not None and self.console is not None
        return {"aws": self.twin.url, "api": self.api.url, "console": self.console.url}

    def env_lines(self) -> list[str]:
        return [
            f"export AWS_ENDPOINT_URL={self.twin.url}",
            "export AWS_ACCESS_KEY_ID=test",
            "export AWS_SECRET_ACCESS_KEY=test",
            f"export AWS_DEFAULT_REGION={self.twin.region}",
            f"export ETL_API_KEY={self.api_key}",
        ]

    def serve_forever(
        self,
        on_ready: Callable[[UpServer], None] | None = None,
        on_stopping: Callable[[UpServer], None] | None = None,
    ) -> None:
        """Start, call on_ready (the banner), block until SIGINT/SIGTERM, call on_stopping, stop cleanly."""
        stop = threading.Event()
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
        try:
            self.start()
            try:
                if on_ready is not None:
                    on_ready(self)
                while not stop.wait(0.5):
                    pass
                if on_stopping is not None:
                    on_stopping(self)
            finally:
                self.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _new_api_key() -> str:
    """A key shaped like API Gateway's."""
    return generate_api_key()


def wait_healthy(url: str, timeout_s: float = 30.0) -> bool:
    """True once GET url/health answers 200 (for scripts and tests that start `etl up`)."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False
