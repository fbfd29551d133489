"""What every construct of the stack is built from, as one value: the pipeline's config (the twin's), the
deploy settings and the CloudFormation parameters that tune them at deploy time."""

from __future__ import annotations

from dataclasses import dataclass

from infra.parameters import Parameters
from infra.settings import DeploySettings
from workflow.config import PipelineConfig


@dataclass(frozen=True)
class StackInputs:
    config: PipelineConfig
    settings: DeploySettings
    params: Parameters
