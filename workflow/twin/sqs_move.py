"""SQS message move tasks (dead-letter queue redrive) for the twin, which moto does not implement.

moto 5.2 raises NotImplementedError for StartMessageMoveTask, so the twin's endpoint answers the three
actions itself, over the AWS JSON protocol (`X-Amz-Target: AmazonSQS.StartMessageMoveTask`,
`ListMessageMoveTasks`, `CancelMessageMoveTask`), and does the move with ordinary SQS calls on moto's queues:
receive from the DLQ, send each message (body and attributes) to the destination, delete it from the DLQ.
Behaviour follows the SQS API reference ("StartMessageMoveTask", "ListMessageMoveTasks"): the source must be
a dead-letter queue of another queue; without DestinationArn the messages go back to the queue whose redrive
policy names the DLQ; only one active task per source queue; ListMessageMoveTasks returns the newest task
first (MaxResults default 1, at most 10) with a TaskHandle only while RUNNING.
Difference: AWS returns each message to its own original source queue; the twin sends all of them to the
(first) queue whose redrive policy names the DLQ, which is the same thing for this pipeline's one queue.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from mypy_boto3_sqs import SQSClient

TARGET_PREFIX = "AmazonSQS."
ACTIONS = ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")
# A task's Status in ListMessageMoveTasks (SQS API reference, ListMessageMoveTasksResultEntry).
MoveStatus = Literal["RUNNING", "COMPLETED", "CANCELLING", "CANCELLED", "FAILED"]


class SqsError(Exception):
    """An SQS error as the JSON protocol returns it (`__type` and `message`, HTTP 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class MoveTask:
    """One message movement task and its progress."""

    handle: str
    source_arn: str
    destination_arn: str
    requested_destination: str | None
    rate: int | None
    to_move: int
    started_ms: int
    status: MoveStatus = "RUNNING"
    moved: int = 0
    failure: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle
        if self.requested_destination:
            entry["DestinationArn"] = self.requested_destination
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            entry["FailureReason"] = self.failure
        return entry


def queue_url_of(arn: str, client: SQSClient) -> str:
    """The URL of a queue from its ARN (arn:aws:sqs:region:account:name)."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise SqsError("InvalidAddress", f"The address {arn} is not valid for this endpoint.")
    try:
        return client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    except Exception as exc:
        raise SqsError(
            "ResourceNotFoundException",
            f"The resource that you specified for the SourceArn parameter doesn't exist: {arn}",
        ) from exc


class MessageMoveTasks:
    """WSGI middleware: the three move-task actions here, every other request to the wrapped app (moto)."""

    def __init__(self, app: WSGIApplication, sqs_client: Callable[[], SQSClient], batch: int = 10) -> None:
        self.app = app
        self.sqs_client = sqs_client
        self.batch = batch
        self.tasks: list[MoveTask] = []
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        action = target.removeprefix(TARGET_PREFIX)
        if not target.startswith(TARGET_PREFIX) or action not in ACTIONS:
            return self.app(environ, start_response)
        status = "200 OK"
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params = json.loads(environ["wsgi.input"].read(length) if length else b"{}")
            if not isinstance(params, dict):
                raise SqsError("InvalidParameterValue", "The request body must be a JSON object.")
            body = getattr(self, action)(params)
        except (SqsError, ValueError) as exc:
            err = (
                exc
                if isinstance(exc, SqsError)
                else SqsError("InvalidParameterValue", "The body is not JSON.")
            )
            status, body = (
                "400 Bad Request",
                {"__type": f"com.amazonaws.sqs#{err.code}", "message": err.message},
            )
        data = json.dumps(body).encode()
        start_response(
            status,
            [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))],
        )
        return [data]

    # ---- actions ----------------------------------------------------------------------------------------
    # Named as the API's actions, which the dispatcher looks up by X-Amz-Target.
    def StartMessageMoveTask(self, params: dict[str, Any]) -> dict[str, Any]:
        source_arn = params.get("SourceArn")
        if not isinstance(source_arn, str) or not source_arn:
            raise SqsError("MissingParameter", "The request must contain the parameter SourceArn.")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= 500):
            raise SqsError("InvalidParameterValue", "MaxNumberOfMessagesPerSecond must be from 1 to 500.")
        client = self.sqs_client()
        source_url = queue_url_of(source_arn, client)
        requested = params.get("DestinationArn")
        destination_arn = requested or self._source_queue_of(source_arn, client)
        destination_url = queue_url_of(destination_arn, client)
        with self._lock:
            if any(t.source_arn == source_arn and t.status == "RUNNING" for t in self.tasks):
                raise SqsError(
                    "UnsupportedOperation",
                    "There is already a task running: only one active message movement task is allowed "
                    "per source queue.",
                )
            to_move = int(
                client.get_queue_attributes(
                    QueueUrl=source_url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            task = MoveTask(
                handle=str(uuid.uuid4()),
                source_arn=source_arn,
                destination_arn=destination_arn,
                requested_destination=requested,
                rate=rate,
                to_move=to_move,
                started_ms=int(time.time() * 1000),
            )
            self.tasks.append(task)
        threading.Thread(
            target=self._move, args=(task, source_url, destination_url), name="sqs-move", daemon=True
        ).start()
        return {"TaskHandle": task.handle}

    def ListMessageMoveTasks(self, params: dict[str, Any]) -> dict[str, Any]:
        source_arn = params.get("SourceArn")
        if not isinstance(source_arn, str) or not source_arn:
            raise SqsError("MissingParameter", "The request must contain the parameter SourceArn.")
        queue_url_of(source_arn, self.sqs_client())
        limit = params.get("MaxResults") or 1
        if not isinstance(limit, int) or not 1 <= limit <= 10:
            raise SqsError("InvalidParameterValue", "MaxResults must be from 1 to 10.")
        with self._lock:
            tasks = [t for t in reversed(self.tasks) if t.source_arn == source_arn][:limit]
            return {"Results": [t.entry() for t in tasks]}

    def CancelMessageMoveTask(self, params: dict[str, Any]) -> dict[str, Any]:
        handle = params.get("TaskHandle")
        with self._lock:
            task = next((t for t in self.tasks if t.handle == handle), None)
            if task is None or task.status != "RUNNING":
                raise SqsError(
                    "ResourceNotFoundException", f"Task does not exist or is not running: {handle}"
                )
            task.status = "CANCELLING"
            task.cancel.set()
            return {"ApproximateNumberOfMessagesMoved": task.moved}

    # ---- the move ---------------------------------------------------------------------------------------
    def _source_queue_of(self, dlq_arn: str, client: SQSClient) -> str:
        """The queue whose redrive policy sends its dead letters to dlq_arn."""
        for url in client.list_queues().get("QueueUrls", []):
            attributes = client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["RedrivePolicy", "QueueArn"]
            )["Attributes"]
            policy = json.loads(attributes.get("RedrivePolicy") or "{}")
            if policy.get("deadLetterTargetArn") == dlq_arn:
                return attributes["QueueArn"]
        raise SqsError(
            "InvalidParameterValue", f"Source queue must be configured as a Dead Letter Queue: {dlq_arn}"
        )

    def _move(self, task: MoveTask, source_url: str, destination_url: str) -> None:
        client = self.sqs_client()
        try:
            while not task.cancel.is_set():
                received = client.receive_message(
                    QueueUrl=source_url,
                    MaxNumberOfMessages=min(self.batch, task.rate or self.batch),
                    VisibilityTimeout=30,
                    WaitTimeSeconds=0,
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if not received:
                    break
                for message in received:
                    send: dict[str, Any] = {"QueueUrl": destination_url, "MessageBody": message["Body"]}
                    if message.get("MessageAttributes"):
                        send["MessageAttributes"] = message["MessageAttributes"]
                    client.send_message(**send)
                    client.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
                    with self._lock:
                        task.moved += 1
                if task.rate:
                    time.sleep(len(received) / task.rate)
        except Exception as exc:  # the task fails and says why, as ListMessageMoveTasks reports it
            with self._lock:
                task.status, task.failure = "FAILED", f"{type(exc).__name__}: {exc}"
            return
        with self._lock:
            task.status = "CANCELLED" if task.cancel.is_set() else "COMPLETED"
