"""Errors: the ones a running state raises (ASL error names) and the ones the API returns (AWS codes)."""

from __future__ import annotations

# Error names predefined by the Amazon States Language / AWS Step Functions ("Error names" in the
# Step Functions developer guide).
ALL = "States.ALL"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TIMEOUT = "States.Timeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME = "States.Runtime"


class StatesError(Exception):
    """An error raised while a state runs; Retry and Catch match on `error`."""

    raised_by_fail_state = False  # a Fail state's own Error/Cause: never reworded

    def __init__(self, error: str, cause: str = "", *, location: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause
        # the ASL field a JSONata evaluation failed in (`Assign/result`), named by the EvaluationFailed event
        self.location = location

    def to_output(self) -> dict[str, str]:
        """The error output a Catcher passes on (`{"Error": ..., "Cause": ...}`)."""
        return {"Error": self.error, "Cause": self.cause}


class ServiceError(Exception):
    """An API-level error, serialised with AWS's error code so boto3 raises the same exception class."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
