"""How the metered state machine logs and traces, read from the execution itself.

DescribeStateMachineForExecution returns the logging and tracing configuration the execution ran with
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html),
so `etl cost` prices a stack deployed with `StateMachineLogLevel=ALL` as such without being told. A missing
`loggingConfiguration` means logging is off, as in the API; when the configuration cannot be read (no
permission), the stack's defaults from `workflow/config.py` stand in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.config import PipelineConfig
from workflow.cost.meter import MeterSettings, RecordedExecution


@dataclass(frozen=True)
class Observability:
    """The state machine's log level, whether its logs carry execution data, and X-Ray tracing."""

    log_level: str
    log_data: bool
    tracing: bool
    source: str  # "state machine" (read from the execution) or "stack defaults" (workflow/config.py)


def defaults(config: PipelineConfig) -> Observability:
    return Observability(
        config.state_machine_log_level,
        config.state_machine_log_execution_data,
        config.state_machine_tracing,
        "stack defaults",
    )


def observability(described: Mapping[str, Any] | None, config: PipelineConfig) -> Observability:
    """From a DescribeStateMachineForExecution response, or the config's defaults when there is none."""
    if not described:
        return defaults(config)
    logging = described.get("loggingConfiguration") or {}
    tracing = described.get("tracingConfiguration") or {}
    return Observability(
        str(logging.get("level") or "OFF").upper(),
        bool(logging.get("includeExecutionData", False)),
        bool(tracing.get("enabled", False)),
        "state machine",
    )


def settings_for(
    recorded: RecordedExecution | None,
    *,
    writer: str = "insert",
    ledger: bool = True,
    log_level: str | None = None,
    log_data: bool | None = None,
    tracing: bool | None = None,
    config: PipelineConfig | None = None,
) -> MeterSettings:
    """The meter's settings: each option given wins, the others are as the execution ran (or the defaults
    before anything is recorded). Raises ValueError for an unknown writer mode or log level."""
    config = config or PipelineConfig()
    seen = observability(recorded.state_machine if recorded else None, config)
    return MeterSettings(
        config=config,
        writer=writer,
        ledger=ledger,
        log_level=log_level or seen.log_level,
        log_data=seen.log_data if log_data is None else log_data,
        tracing=seen.tracing if tracing is None else tracing,
    )
