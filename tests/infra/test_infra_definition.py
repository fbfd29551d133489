"""One source of truth: the state machine AWS runs is the ASL file, filled by DefinitionSubstitutions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.infra_synth import Synth
from workflow.config import PipelineConfig, definition_text, placeholder_names, render_definition

pytestmark = pytest.mark.infra
CONFIG = PipelineConfig()


def _state_machine(synth: Synth) -> dict[str, Any]:
    return synth.tpl["Resources"][synth.logical_id(synth.stack.pipeline.state_machine)]["Properties"]


def _expected_substitutions(synth: Synth) -> dict[str, Any]:
    """Each placeholder and the CloudFormation value it must get on AWS."""
    stack = synth.stack
    fns = stack.functions.by_key
    return {
        "TransformFunctionArn": {"Fn::GetAtt": [synth.logical_id(fns["transform"]), "Arn"]},
        "SummarizeFunctionArn": {"Fn::GetAtt": [synth.logical_id(fns["summarize"]), "Arn"]},
        "QueueUrl": {"Ref": synth.logical_id(stack.store.queue)},
        "DataBucket": {"Ref": synth.logical_id(stack.store.bucket)},
        "LedgerTable": {"Ref": synth.logical_id(stack.store.ledger)},
        "MaxItemsPerBatch": {"Ref": "MaxItemsPerBatch"},
        "MaxInputBytesPerBatch": {"Ref": "MaxInputBytesPerBatch"},
        "MaxConcurrency": {"Ref": "MaxConcurrency"},
        "ToleratedFailurePercentage": {"Ref": "ToleratedFailurePercentage"},
        "ResultsPrefix": CONFIG.results_prefix,
    }


def _stand_in(value: Any) -> str:
    """A JSON-safe text standing for a CloudFormation value (Ref X -> `Ref:X`, GetAtt -> `GetAtt:X.Arn`)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"Ref:{value['Ref']}"
    return "GetAtt:" + ".".join(value["Fn::GetAtt"])


def _cloudformation_substitute(text: str, substitutions: dict[str, Any]) -> str:
    """CloudFormation fills each `${Key}` of DefinitionString with its DefinitionSubstitutions value."""
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", _stand_in(value))
    return text


def test_definition_string_is_the_asl_file_unchanged(synth: Synth) -> None:
    """DefinitionBody.from_string: the ASL text is inline (not an S3 asset, not rewritten by the CDK)."""
    props = _state_machine(synth)
    assert props["DefinitionString"] == definition_text()
    assert "DefinitionS3Location" not in props


def test_every_placeholder_gets_the_deployed_value(synth: Synth) -> None:
    substitutions = _state_machine(synth)["DefinitionSubstitutions"]
    assert set(substitutions) == set(placeholder_names())
    assert substitutions == _expected_substitutions(synth)


def test_substituted_definition_equals_render_definition(synth: Synth) -> None:
    """What AWS runs (CloudFormation's substitution) is what the twin runs (render_definition)."""
    props = _state_machine(synth)
    deployed = _cloudformation_substitute(props["DefinitionString"], props["DefinitionSubstitutions"])
    twin_rendering = render_definition({k: _stand_in(v) for k, v in _expected_substitutions(synth).items()})
    assert deployed == twin_rendering
    assert "${" not in deployed, "a placeholder CloudFormation would not fill"
    definition = json.loads(deployed)
    states = definition["States"]
    item_states = states["ProcessRows"]["ItemProcessor"]["States"]
    fns = synth.stack.functions.by_key
    assert (
        item_states["Transform"]["Parameters"]["FunctionName"]
        == f"GetAtt:{synth.logical_id(fns['transform'])}.Arn"
    )
    assert (
        states["Summarize"]["Parameters"]["FunctionName"]
        == f"GetAtt:{synth.logical_id(fns['summarize'])}.Arn"
    )
    assert (
        item_states["Enqueue"]["Arguments"]["QueueUrl"] == f"Ref:{synth.logical_id(synth.stack.store.queue)}"
    )
    assert (
        states["ProcessRows"]["ResultWriter"]["Parameters"]["Bucket"]
        == f"Ref:{synth.logical_id(synth.stack.store.bucket)}"
    )
    for register in ("RegisterObject", "RegisterReplay"):
        assert (
            states[register]["Parameters"]["TableName"] == f"Ref:{synth.logical_id(synth.stack.store.ledger)}"
        )
    assert (
        states["Configure"]["Parameters"]["maxItemsPerBatch.$"]
        == "States.StringToJson('Ref:MaxItemsPerBatch')"
    )


def test_default_parameter_values_give_the_twins_definition(synth: Synth) -> None:
    """With the parameters at their defaults, the tuning parts equal the twin's local substitutions."""
    params = synth.tpl["Parameters"]
    props = _state_machine(synth)
    with_defaults = {
        k: str(params[v["Ref"]]["Default"]) if isinstance(v, dict) and v.get("Ref") in params else v
        for k, v in props["DefinitionSubstitutions"].items()
    }
    for key, value in CONFIG.tuning_substitutions().items():
        assert with_defaults[key] == value, key
