"""AWS Step Functions' service quotas, in one place: the limits the engine, the API and the twin enforce.

Each value is AWS's documented quota ("Step Functions service quotas" in the developer guide, and the pages
cited per line); where the engine applies a local bound of its own it says so. Change a limit here and every
check of it follows.
"""

from __future__ import annotations

from datetime import timedelta

# ------------------------------------------------------------------------------------------------ payloads

# "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string"
# (execution input, state input/output, task results, Map batches, history event payloads).
PAYLOAD_BYTES = 262_144

# ------------------------------------------------------------------------------------------- executions

HISTORY_EVENTS = 25_000  # "Maximum execution history size: 25,000 events"
REDRIVE_PERIOD = timedelta(days=14)  # "redrive ... within 14 days" of the execution's end (RedriveExecution)
MAX_REDRIVES = 1_000  # "You can redrive an execution ... a maximum of 1000 times"
TASK_TIMEOUT_SECONDS = 99_999_999  # a Task's TimeoutSeconds when none is given (Task state reference)
NAME_LENGTH = 80  # state machine, execution and state names: 1 to 80 characters

# --------------------------------------------------------------------------------------------- the API

PAGE_SIZE_MAX = 1_000  # List* and GetExecutionHistory: maxResults is at most 1000
PAGE_SIZE_DEFAULT = 100  # ... and 100 when not given

# ------------------------------------------------------------------------------------------- Map state

MAX_ITEMS = 100_000_000  # "You can specify a limit of up to 100,000,000" (ReaderConfig.MaxItems)
# "Step Functions supports reading an item of up to 8 MB from a text delimited file, JSON, or JSON Lines
# file" (measured here in characters of the decoded text).
ITEM_BYTES = 8 * 1024 * 1024
RESULT_FILE_BYTES = 5 * 1024**3  # "Step Functions supports individual result files of up to 5 GB"

# ------------------------------------------------------------------------- intrinsics and JSONata functions

INTRINSIC_NESTING = 10  # "You can nest up to 10 intrinsic functions within a field"
ARRAY_RANGE_ITEMS = 1_000  # States.ArrayRange and $range: at most 1000 items
INTRINSIC_STRING = 10_000  # Base64Encode/Base64Decode/Hash: input of at most 10,000 characters

# ------------------------------------------------------------------------------ services the twin stands in

SQS_RECEIVE_MAX = 10  # SQS ReceiveMessage: at most 10 messages per call
API_GATEWAY_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway REST: 10 MB request/response payload
