"""The pipeline's tuning for the twin, named as the CDK stack's parameters (infra/parameters.py).

`etl up` and `etl run` take each one as an option (`--max-items-per-batch` for the CDK parameter
`MaxItemsPerBatch`) and as an environment variable (`ETL_MAX_ITEMS_PER_BATCH`), with the same default
(the PipelineConfig field) and the same bounds as the deployed stack, so a setting tried locally deploys
unchanged: `cdk deploy --parameters MaxItemsPerBatch=100`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.config import PipelineConfig
from workflow.engine import quotas


@dataclass(frozen=True)
class Setting:
    """One tuning knob: its config field, its CDK parameter, its bounds (those of the CfnParameter)."""

    field: str
    parameter: str
    minimum: int
    maximum: int | None
    help: str

    @property
    def option(self) -> str:
        return "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", self.parameter).lower()

    @property
    def envvar(self) -> str:
        return "ETL_" + re.sub(r"(?<!^)(?=[A-Z])", "_", self.parameter).upper()

    @property
    def default(self) -> int:
        return int(PipelineConfig.model_fields[self.field].default)

    def check(self, value: int) -> None:
        """A one-line error naming the option and its bounds when `value` is out of them."""
        top = "" if self.maximum is None else f" and {self.maximum}"
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            bounds = f"at least {self.minimum}" if self.maximum is None else f"between {self.minimum}{top}"
            raise ValueError(f"{self.option} must be {bounds} (got {value}; CDK parameter {self.parameter})")


SETTINGS = (
    Setting("max_items_per_batch", "MaxItemsPerBatch", 1, None, "rows per batch (Map ItemBatcher)"),
    Setting(
        "max_input_bytes_per_batch",
        "MaxInputBytesPerBatch",
        1,
        quotas.PAYLOAD_BYTES,
        "bytes per batch (Map ItemBatcher)",
    ),
    Setting("max_concurrency", "MaxConcurrency", 0, 10_000, "batches running at once (0 = no limit)"),
    Setting(
        "tolerated_failure_percentage",
        "ToleratedFailurePercentage",
        0,
        100,
        "percent of failed batches the Map tolerates",
    ),
    Setting("writer_batch_size", "WriterBatchSize", 1, 10_000, "SQS messages per writer invocation"),
    Setting(
        "writer_batching_window_s",
        "WriterBatchingWindowSeconds",
        0,
        300,
        "seconds the writer's event source mapping waits to fill a batch",
    ),
)
BY_FIELD = {setting.field: setting for setting in SETTINGS}


def pipeline_config(values: dict[str, int | None], base: PipelineConfig | None = None) -> PipelineConfig:
    """The config with the given settings (None: keep the default); ValueError names a bad one."""
    update: dict[str, int] = {}
    for name, value in values.items():
        if value is None:
            continue
        BY_FIELD[name].check(value)
        update[name] = value
    config = (base or PipelineConfig()).model_copy(update=update)
    if config.writer_batch_size > 10 and config.writer_batching_window_s == 0:
        raise ValueError(
            "--writer-batch-size above 10 needs a batching window above 0, as on AWS "
            "(--writer-batching-window-seconds, CDK parameter WriterBatchingWindowSeconds)"
        )
    return config


def changed(config: PipelineConfig) -> dict[str, int]:
    """The settings that differ from their defaults, by CDK parameter name (for the banner)."""
    return {
        s.parameter: int(getattr(config, s.field)) for s in SETTINGS if getattr(config, s.field) != s.default
    }
