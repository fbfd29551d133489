"""An in-process Lambda runtime: the project's handlers run as Lambda runs them, without Docker.

Each function gets its own environment (see `threadenv`), a Lambda context object, its timeout, Lambda's
error shape and a JSON round trip of event and result; its log lines are captured per invocation (see
`capture`) into an `InvocationRecord` that the console shows beside the state that made the call.
"""

from __future__ import annotations

import base64
import ctypes
import importlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflow.config import LOCAL_ACCOUNT, LOCAL_REGION, TASKS_DIR, FunctionSpec, PipelineConfig
from workflow.engine.backend import LambdaResult
from workflow.engine.errors import ServiceError
from workflow.twin import activity, capture, handoff, threadenv

RUNTIME = "python3.12"
MAX_RECORDS = 5_000


class _InvocationTimeout(BaseException):
    """Raised inside a handler thread that outlived its timeout, to stop it (best effort, like a kill)."""


@dataclass
class InvocationRecord:
    """One invocation as the console shows it: which request, how long, what it logged, how it ended."""

    request_id: str
    function: str
    start: datetime
    end: datetime | None = None
    duration_ms: float | None = None
    logs: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    invocation_type: str = "RequestResponse"
    execution: str | None = None  # the pipeline execution the event names (see activity.execution_of)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat() if self.end else None
        return data


class LambdaContext:
    """The `context` object Lambda's Python runtime passes to a handler."""

    def __init__(
        self, spec: FunctionSpec, request_id: str, arn: str, deadline: float, client_context: Any = None
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = str(spec.memory_mb)
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = client_context
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    """Loads each configured function's handler from tasks/<folder> and invokes it like Lambda."""

    def __init__(
        self,
        config: PipelineConfig,
        base_env: dict[str, str],
        region: str = LOCAL_REGION,
        account: str = LOCAL_ACCOUNT,
        tasks_dir: Path = TASKS_DIR,
        time_scale: float = 1.0,
        in_process_app: Any = None,
        direct_answers: Mapping[str, handoff.DirectAnswer] | None = None,
    ) -> None:
        """`in_process_app`: the WSGI app behind base_env's AWS_ENDPOINT_URL, in this process: the
        functions' AWS calls are then handed to it without a socket (handoff.py); `direct_answers`: the
        requests (by X-Amz-Target) answered without the app."""
        self.config = config
        self.base_env = dict(base_env)
        url = self.base_env.get("AWS_ENDPOINT_URL")
        if in_process_app is not None and url and handoff.ENABLED:
            self.base_env["AWS_ENDPOINT_URL"] = handoff.serve(url, in_process_app, direct_answers)
        self.region = region
        self.account = account
        self.tasks_dir = Path(tasks_dir)
        self.time_scale = time_scale
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._load_lock = threading.Lock()
        self._records: deque[InvocationRecord] = deque(maxlen=MAX_RECORDS)
        self._records_lock = threading.Lock()
        self._fresh_modules = True
        self.overrides: dict[str, Callable[[Any, Any], Any]] = {}

    # ---- naming -------------------------------------------------------------------------------------------
    def arn(self, spec: FunctionSpec) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{spec.name}"

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        """Find a function by key, name, partial ARN or full ARN (an unqualified or $LATEST qualifier)."""
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) >= 7 else ""
            if len(parts) == 8 and parts[7] not in ("$LATEST",):
                raise ServiceError("ResourceNotFoundException", f"Function not found: {name_or_arn}", 404)
        elif ":function:" in name:
            name = name.split(":function:", 1)[1].split(":")[0]
        elif ":" in name:
            name, _qualifier = name.split(":", 1)
        for spec in self.config.functions:
            if name in (spec.name, spec.key):
                return spec
        raise ServiceError(
            "ResourceNotFoundException",
            f"Function not found: arn:aws:lambda:{self.region}:{self.account}:function:{name}",
            404,
        )

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The variables the function sees: Lambda's reserved ones, base_env (endpoint, keys), its own."""
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(self.tasks_dir / spec.folder),
        }
        env.update(self.base_env)
        env.update(self.config.function_env(spec.key))
        return env

    # ---- loading ------------------------------------------------------------------------------------------
    def _forget_task_modules(self) -> None:
        """Drop modules loaded from the tasks folders, so this runtime starts cold (fresh module state)."""
        root = str(self.tasks_dir.resolve())
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and str(Path(file).resolve()).startswith(root + "/"):
                del sys.modules[name]

    def handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        """Import the handler under the function's environment (module-level code may read it)."""
        if spec.key in self.overrides:
            return self.overrides[spec.key]
        with self._load_lock:
            if spec.key in self._handlers:
                return self._handlers[spec.key]
            if self._fresh_modules:
                self._forget_task_modules()
                self._fresh_modules = False
            capture.install()  # before the import: loggers made at import time bind to the capturing stream
            folder = str((self.tasks_dir / spec.folder).resolve())
            if folder not in sys.path:
                sys.path.insert(0, folder)
            module_name, _, function_name = spec.handler.rpartition(".")
            try:
                with threadenv.function_environment(self.environment(spec)):
                    module = importlib.import_module(module_name)
                fn: Callable[[Any, Any], Any] = getattr(module, function_name)
            except Exception as exc:  # reported per invocation, as Lambda's Runtime.ImportModuleError
                raise _ImportFailure(spec, exc) from exc
            self._handlers[spec.key] = fn
            return fn

    # ---- invoking -----------------------------------------------------------------------------------------
    def invoke(
        self,
        function_name_or_arn: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> LambdaResult:
        """Lambda's Invoke: RequestResponse waits; Event runs it later and answers 202; DryRun 204."""
        spec = self.resolve(function_name_or_arn)
        try:
            event = json.loads(payload.decode("utf-8")) if payload else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ServiceError(
                "InvalidRequestContentException", f"Could not parse request body into json: {exc}", 400
            ) from exc
        context_obj = None
        if client_context:
            try:
                context_obj = json.loads(base64.b64decode(client_context))
            except (ValueError, TypeError):
                context_obj = None
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return LambdaResult(status_code=204, payload=b"", request_id=request_id)
        if invocation_type == "Event":
            thread = threading.Thread(
                target=self._run,
                args=(spec, event, request_id, context_obj, "Event"),
                name=f"lambda-event-{spec.name}",
                daemon=True,
            )
            thread.start()
            return LambdaResult(status_code=202, payload=b"", request_id=request_id)
        if invocation_type != "RequestResponse":
            raise ServiceError(
                "InvalidParameterValueException", f"Unsupported InvocationType: {invocation_type}", 400
            )
        result, record = self._run(spec, event, request_id, context_obj, "RequestResponse")
        body = json.dumps(result).encode("utf-8")
        tail = "\n".join(record.logs).encode("utf-8")[-4096:]
        return LambdaResult(
            status_code=200,
            payload=body,
            request_id=request_id,
            function_error="Unhandled" if record.error else None,
            log_result=base64.b64encode(tail).decode("ascii"),
        )

    def invoke_event(self, key_or_name: str, event: Any) -> tuple[Any, InvocationRecord]:
        """Invoke with a Python event (JSON round trip kept) and get the result plus its record."""
        spec = self.resolve(key_or_name)
        event = json.loads(json.dumps(event))
        return self._run(spec, event, str(uuid.uuid4()), None, "RequestResponse")

    def records(self, request_id: str | None = None, function: str | None = None) -> list[InvocationRecord]:
        """Invocation records, oldest first, filtered by request id and/or function name or key."""
        names: set[str] = set()
        if function is not None:
            spec = self.resolve(function)
            names = {spec.name}
        with self._records_lock:
            return [
                r
                for r in self._records
                if (request_id is None or r.request_id == request_id)
                and (function is None or r.function in names)
            ]

    def _run(
        self, spec: FunctionSpec, event: Any, request_id: str, client_context: Any, invocation_type: str
    ) -> tuple[Any, InvocationRecord]:
        record = InvocationRecord(
            request_id=request_id,
            function=spec.name,
            start=datetime.now(UTC),
            invocation_type=invocation_type,
            execution=activity.execution_of(event),
        )
        with self._records_lock:
            self._records.append(record)
        timeout_s = spec.timeout_s * self.time_scale
        started = time.monotonic()
        outcome: dict[str, Any] = {}
        lines: list[str] = [f"START RequestId: {request_id} Version: $LATEST"]

        def target() -> None:
            with capture.capturing(request_id) as cap:
                outcome["capture"] = cap
                try:
                    fn = self.handler(spec)
                    context = LambdaContext(
                        spec, request_id, self.arn(spec), started + timeout_s, client_context
                    )
                    with threadenv.function_environment(self.environment(spec)):
                        result = fn(event, context)
                except _InvocationTimeout:
                    return
                except _ImportFailure as exc:
                    outcome["error"] = exc.error()
                    print(f"[ERROR] {exc.error()['errorType']}: {exc.error()['errorMessage']}")
                    return
                except Exception as exc:
                    outcome["error"] = _error_of(exc, request_id)
                    _log_error(outcome["error"])
                    return
                try:
                    outcome["result"] = json.loads(json.dumps(result))
                except (TypeError, ValueError) as exc:
                    outcome["error"] = {
                        "errorMessage": f"Unable to marshal response: {exc}",
                        "errorType": "Runtime.MarshalError",
                        "requestId": request_id,
                        "stackTrace": [],
                    }
                    _log_error(outcome["error"])

        thread = threading.Thread(target=target, name=f"lambda-{spec.name}-{request_id[:8]}", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if thread.is_alive():
            _raise_in_thread(thread, _InvocationTimeout)
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"Task timed out after {spec.timeout_s:.2f} seconds"
            outcome["error"] = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: {message}",
            }
            outcome["timeout_line"] = f"{stamp} {request_id} {message}"
        cap = outcome.get("capture")
        if cap is not None:
            lines.extend(cap.lines())
        if "timeout_line" in outcome:
            lines.append(outcome["timeout_line"])
        ended = time.monotonic()
        duration = (ended - started) * 1000
        lines.append(f"END RequestId: {request_id}")
        lines.append(
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {int(duration) + 1} ms\tMemory Size: {spec.memory_mb} MB"
        )
        record.logs = lines
        record.end = datetime.now(UTC)
        record.duration_ms = round(duration, 3)
        record.error = outcome.get("error")
        activity.publish(activity.LambdaInvoked.of(record))
        if record.error is not None:
            return record.error, record
        return outcome.get("result"), record


class _ImportFailure(Exception):
    def __init__(self, spec: FunctionSpec, exc: Exception) -> None:
        super().__init__(str(exc))
        self.spec = spec
        self.exc = exc

    def error(self) -> dict[str, Any]:
        if isinstance(self.exc, AttributeError):
            return {
                "errorMessage": f"Handler '{self.spec.handler.rpartition('.')[2]}' missing on module "
                f"'{self.spec.handler.rpartition('.')[0]}'",
                "errorType": "Runtime.HandlerNotFound",
                "stackTrace": [],
            }
        module = self.spec.handler.rpartition(".")[0]
        return {
            "errorMessage": f"Unable to import module '{module}': {self.exc}",
            "errorType": "Runtime.ImportModuleError",
            "stackTrace": [],
        }


def _error_of(exc: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's Python runtime error payload for an unhandled exception."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop the runtime's own frame
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _log_error(error: dict[str, Any]) -> None:
    print(
        f"[ERROR] {error['errorType']}: {error['errorMessage']}\nTraceback (most recent call last):\n"
        + "".join(error.get("stackTrace", []))
    )


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    """Ask a runaway handler thread to stop at its next bytecode (Lambda would freeze the sandbox)."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))
