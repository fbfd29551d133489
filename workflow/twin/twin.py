"""The local twin as one object: endpoint server, provisioned resources, engine, events, event source mapping.

`Twin(config, host, port).start()` brings everything up in this process; `Twin.ephemeral()` does it on a
free loopback port for `etl run` and tests. moto keeps its state in process-wide backends, so one twin runs
per process at a time; each start resets moto so a twin always starts empty.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.config import LOCAL_ACCOUNT, LOCAL_REGION, TASKS_DIR, PipelineConfig
from workflow.twin import interpreter_tuning, moto_seams, tracking
from workflow.twin.backend import DUMMY_KEY, TwinBackend, endpoint_client
from workflow.twin.clients import TypedClients
from workflow.twin.endpoint import Endpoint, ServerThread
from workflow.twin.esm import SqsEventSourceMapping
from workflow.twin.events import ObjectCreatedRule, S3EventBridge
from workflow.twin.lambda_api import LambdaApi
from workflow.twin.lambdas import LambdaRuntime
from workflow.twin.provision import Resources, provision
from workflow.twin.sqs_move import MessageMoveTasks
from workflow.twin.status_events import ExecutionStatusRule

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from workflow.engine.service import StepFunctions

_active_lock = threading.Lock()
_active: list[Twin] = []


def _nothing() -> None:
    return None


class Twin(TypedClients):
    """Everything `etl up` and `etl run` need, started and stopped together."""

    def __init__(
        self,
        config: PipelineConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 4566,
        *,
        region: str = LOCAL_REGION,
        account: str = LOCAL_ACCOUNT,
        speed: float = 1.0,
        lambda_time_scale: float = 1.0,
        tasks_dir: Path = TASKS_DIR,
        esm_poll_wait_s: int = 1,
        esm_pollers: int = 5,
    ) -> None:
        self.config = config or PipelineConfig()
        self.host = host
        self.port = port
        self.region = region
        self.account = account
        self.speed = speed
        self.lambda_time_scale = lambda_time_scale
        self.tasks_dir = tasks_dir
        self.esm_poll_wait_s = esm_poll_wait_s
        self.esm_pollers = esm_pollers
        self.started_at: datetime | None = None
        self.server: ServerThread | None = None
        self._restore_interpreter: Callable[[], None] = _nothing  # interpreter_tuning.relax's undo
        self.runtime: LambdaRuntime | None = None
        self.backend: TwinBackend | None = None
        self.service: StepFunctions | None = None
        self.resources: Resources | None = None
        self.events: S3EventBridge | None = None
        self.esm: SqsEventSourceMapping | None = None
        self.status_rule: ExecutionStatusRule | None = None
        self._app: WSGIApplication | None = None
        self.ready = threading.Event()

    # ---- lifecycle ----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("the twin is not started")
        return self.server.url

    def lambda_env(self, url: str) -> dict[str, str]:
        """What every function sees besides its own settings: the endpoint and dummy keys."""
        return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_KEY}

    def _dispatch(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        app = self._app
        starting = app is None or (environ.get("PATH_INFO") == "/health" and not self.ready.is_set())
        if starting:
            # The endpoint serves provisioning before it is ready; /health says 200 only once an upload
            # is sure to start an execution (bucket, queue, table, state machine, S3 -> execution wiring).
            body = b'{"status": "starting"}'
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        assert app is not None
        return app(environ, start_response)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "service": "aws-endpoint",
            "region": self.region,
            "account": self.account,
            "services": ["s3", "sqs", "dynamodb", "stepfunctions", "lambda"],
            "state_machine_arn": self.resources.state_machine_arn if self.resources else None,
        }

    def start(self, *, ready: bool = True) -> Twin:
        """Start everything; `/health` answers 200 from the end of this call (`ready=False`: from
        `mark_ready()`, for a caller with more to start, as `etl up` with its REST API and console)."""
        from workflow.engine.clock import RealClock
        from workflow.engine.http_api import make_app
        from workflow.engine.service import StepFunctions

        with _active_lock:
            if _active:
                raise RuntimeError("another twin is running in this process (moto's state is process-wide)")
            _active.append(self)
        try:
            self._restore_interpreter = interpreter_tuning.relax()
            moto_seams.reset_moto()
            moto_seams.make_dynamodb_writes_atomic()
            moto_seams.answer_partiql_inserts()
            moto_seams.size_items_once()
            self.server = ServerThread(self._dispatch, self.host, self.port, name="AWS endpoint")
            url = self.server.url
            self.runtime = LambdaRuntime(
                self.config,
                self.lambda_env(url),
                self.region,
                self.account,
                tasks_dir=self.tasks_dir,
                time_scale=self.lambda_time_scale,
                in_process_app=self._dispatch,
                direct_answers={
                    "DynamoDB_20120810.BatchExecuteStatement": moto_seams.batch_inserts_answer(
                        self.account, self.region
                    )
                },
            )
            self.backend = TwinBackend(url, self.region, self.account, self.runtime)
            self.service = StepFunctions(
                self.backend, clock=RealClock(speed=self.speed), region=self.region, account=self.account
            )
            endpoint = Endpoint(make_app(self.service), LambdaApi(self.runtime), self.account, self.health)
            # SQS message move tasks (DLQ redrive), which moto lacks, answered in front of moto.
            self._app = MessageMoveTasks(endpoint, lambda: endpoint_client("sqs", url, self.region))
            self.server.start()
            arns = {spec.key: self.runtime.arn(spec) for spec in self.config.functions}
            self.resources = provision(
                self.config, self.backend, region=self.region, account=self.account, function_arns=arns
            )
            # the hand-off's URL (handoff.py) when on: the engine's and the pollers' SQS calls skip the socket
            in_process = self.runtime.base_env["AWS_ENDPOINT_URL"]
            self.backend.hand_off(in_process)
            rule = ObjectCreatedRule(self.config.data_bucket, self.config.incoming_prefix, ".csv")
            self.events = S3EventBridge(
                account=self.account, region=self.region, rule=rule, target=self.start_execution_for_event
            ).start()
            self.status_rule = ExecutionStatusRule(
                self.service,
                self.resources.state_machine_arn,
                self.runtime.invoke,
                self.config.function("summarize").name,
                region=self.region,
                account=self.account,
            ).start()
            writer = self.config.function("writer")
            self.esm = SqsEventSourceMapping(
                sqs=endpoint_client("sqs", in_process, self.region),
                queue_url=self.resources.queue_url,
                queue_arn=self.resources.queue_arn,
                function_name=writer.name,
                invoke=self.runtime.invoke,
                region=self.region,
                batch_size=self.config.writer_batch_size,
                batching_window_s=self.config.writer_batching_window_s,
                poll_wait_s=self.esm_poll_wait_s,
                pollers=self.esm_pollers,
            ).start()
            self.started_at = datetime.now(UTC)
        except BaseException:
            self.stop()
            raise
        if ready:
            self.mark_ready()
        return self

    def mark_ready(self) -> None:
        """From now on `/health` answers 200: every resource exists and the S3 -> execution wiring is live."""
        if self.events is None or self.esm is None:
            raise RuntimeError("the twin is not started")
        self.ready.set()

    def stop(self) -> None:
        """Stop pollers, event delivery, running executions (if the engine can), then the server."""
        self.ready.clear()
        if self.esm is not None:
            self.esm.stop()
        if self.events is not None:
            self.events.stop()
        if self.status_rule is not None:  # executions stopped by the twin's own shutdown are not summarised
            self.status_rule.stop()
        self._stop_running_executions()
        if self.server is not None:
            self.server.stop()
        with _active_lock:
            if self in _active:
                _active.remove(self)
        self._restore_interpreter()
        self._restore_interpreter = _nothing

    def _stop_running_executions(self) -> None:
        """Stop what still runs (as StopExecution would), so no engine thread outlives the twin."""
        if self.service is None or self.resources is None:
            return
        with contextlib.suppress(Exception):  # stopping goes on whatever the engine says
            running = self.service.list_executions(
                stateMachineArn=self.resources.state_machine_arn, statusFilter="RUNNING"
            )["executions"]
            for execution in running:
                with contextlib.suppress(Exception):
                    self.service.stop_execution(
                        executionArn=execution["executionArn"],
                        error="Twin.Stopped",
                        cause="the local twin was stopped",
                    )

    def __enter__(self) -> Twin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @classmethod
    @contextmanager
    def ephemeral(cls, config: PipelineConfig | None = None, **kwargs: Any) -> Iterator[Twin]:
        """A twin on a free loopback port for the duration of the block."""
        twin = cls(config, host="127.0.0.1", port=0, **kwargs)
        twin.start()
        try:
            yield twin
        finally:
            twin.stop()

    # ---- wiring -------------------------------------------------------------------------------------------
    def start_execution_for_event(self, event: dict[str, Any]) -> str:
        """The EventBridge rule's target: StartExecution with the event as input, a UUID as name."""
        assert self.resources is not None
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=self.resources.state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(event)
        )
        return str(response["executionArn"])

    def _client(self, service: str) -> Any:
        """A boto3 client at this twin's endpoint (dummy keys), as a user would make one."""
        assert self.backend is not None
        return self.backend.client(service)

    # ---- one file -----------------------------------------------------------------------------------------
    def upload(self, path: Path, key: str | None = None) -> str:
        """Put a local file into the data bucket (incoming/<file name> by default); returns the key."""
        key = key or self.config.incoming_prefix + Path(path).name
        self.client("s3").upload_file(str(path), self.config.data_bucket, key)
        return key

    def execution_for_key(self, key: str, timeout_s: float = 30.0) -> str:
        """The execution the last upload of `key` started (from the event deliveries)."""
        assert self.events is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for delivery in reversed(self.events.deliveries):
                if delivery.event["detail"]["object"]["key"] == key:
                    if not delivery.done.wait(max(0.0, deadline - time.monotonic())):
                        break
                    if delivery.result is None:
                        raise RuntimeError(f"could not start an execution for {key}: {delivery.error}")
                    return str(delivery.result)
            time.sleep(0.05)
        raise TimeoutError(f"no execution started for {key} within {timeout_s:.0f} s")

    def run_file(
        self,
        path: Path,
        key: str | None = None,
        timeout_s: float = 900.0,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> dict[str, Any]:
        """Upload one file, wait for its execution, return the flat result (see tracking.run_result)."""
        started = time.monotonic()
        key = self.upload(path, key)
        arn = self.execution_for_key(key)
        described = tracking.wait_for_execution(
            self.client("stepfunctions"), arn, timeout_s=timeout_s, on_progress=on_progress
        )
        return tracking.run_result(described, time.monotonic() - started, self.summarize_failure)

    def summarize_failure(self, described: Mapping[str, Any]) -> dict[str, Any] | None:
        """The summary of a failed execution (Summarize invoked with its error)."""
        return tracking.summarize_failed(
            self, described, self.config.ledger_table_name, self.config.ledger_settle_s + 10.0
        )
