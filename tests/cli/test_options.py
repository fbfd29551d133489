"""Options that compose: ports and host checked with one-line errors, pipeline settings named and bounded as
the CDK parameters (options and environment variables), `--stack` always on AWS, `--status` validated."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from workflow.cli import app
from workflow.config import REPO_ROOT, PipelineConfig
from workflow.twin import settings
from workflow.twin.endpoint import PortInUse, ServerThread
from workflow.twin.server import Ports, UpServer

SAMPLE = str(REPO_ROOT / "sample_data" / "data.csv")
NOT_OURS = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never an address of this machine
runner = CliRunner()


def error_line(result: object) -> str:
    """The command's whole error output, which must be exactly one line."""
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    return lines[0]


@pytest.mark.parametrize("command", [["up"], ["run", SAMPLE, "--up"], ["run", SAMPLE]])
def test_a_port_out_of_range_is_one_line(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--port", "99999"])
    assert result.exit_code == 2
    assert error_line(result) == "error: --port 99999 is not a port: use 1-65535, or 0 for a free one"


def test_every_port_option_is_checked() -> None:
    for option in ("--api-port", "--console-port"):
        result = runner.invoke(app, ["up", option, "-1"])
        assert result.exit_code == 2
        assert error_line(result) == f"error: {option} -1 is not a port: use 1-65535, or 0 for a free one"


def test_an_address_that_is_not_ours_says_so() -> None:
    result = runner.invoke(app, ["up", "--host", NOT_OURS])
    assert result.exit_code == 2
    assert error_line(result) == (
        f"error: --host {NOT_OURS}: not an address of this machine (Cannot assign requested address)"
    )
    result = runner.invoke(app, ["run", SAMPLE, "--up", "--host", "no-such-host.invalid"])
    assert result.exit_code == 2
    assert error_line(result).startswith("error: --host no-such-host.invalid: not a known address")


def test_the_servers_tell_a_taken_port_from_an_address_that_is_not_ours() -> None:
    with pytest.raises(PortInUse, match=f"{NOT_OURS} is not an address of this machine"):
        ServerThread(lambda e, s: [], NOT_OURS, 45678, name="REST API")
    busy = ServerThread(lambda e, s: [], "127.0.0.1", 0, name="probe")
    try:
        with pytest.raises(PortInUse, match="the port is already in use"):
            UpServer(ports=Ports(busy.port, 0, 0)).check_ports()
    finally:
        busy.server.server_close()


def test_quiet_and_verbose_together_is_one_line() -> None:
    result = runner.invoke(app, ["up", "--quiet", "--verbose"])
    assert result.exit_code == 2
    assert error_line(result) == "error: --quiet and --verbose contradict each other: choose one"


def declared_parameters() -> dict[str, tuple[str, int, int | None]]:
    """{CDK parameter: (PipelineConfig field, MinValue, MaxValue)} as infra/parameters.py declares them
    (`_number(scope, "Name", config.field, description, minimum, maximum)`), read from its source so the
    check needs no CDK import."""
    tree = ast.parse((REPO_ROOT / "infra" / "parameters.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_number":
            args = [*node.args, *(k.value for k in node.keywords)]
            name, field = ast.literal_eval(args[1]), args[2]
            assert isinstance(field, ast.Attribute)
            bounds = [ast.literal_eval(a) for a in args[4:6]]
            found[name] = (field.attr, bounds[0], bounds[1] if len(bounds) > 1 else None)
    return found


def test_settings_have_the_cdk_parameters_names_bounds_and_defaults() -> None:
    """infra/parameters.py declares the stack's parameters; the twin's options match them."""
    declared = declared_parameters()
    for setting in settings.SETTINGS:
        assert declared[setting.parameter] == (setting.field, setting.minimum, setting.maximum), setting
        assert setting.default == getattr(PipelineConfig(), setting.field)  # the CDK default is the config's
        words = re.findall("[A-Z][a-z]*", setting.parameter)
        assert setting.option == "--" + "-".join(w.lower() for w in words)
        assert setting.envvar == "ETL_" + "_".join(w.upper() for w in words)


def test_a_setting_out_of_its_bounds_is_one_line() -> None:
    result = runner.invoke(app, ["up", "--tolerated-failure-percentage", "101"])
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: --tolerated-failure-percentage must be between 0 and 100 "
        "(got 101; CDK parameter ToleratedFailurePercentage)"
    )
    result = runner.invoke(app, ["run", SAMPLE], env={"ETL_MAX_ITEMS_PER_BATCH": "0"})
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: --max-items-per-batch must be at least 1 (got 0; CDK parameter MaxItemsPerBatch)"
    )
    result = runner.invoke(app, ["run", SAMPLE, "--writer-batch-size", "20"])
    assert result.exit_code == 2
    assert "needs a batching window above 0" in error_line(result)


def test_a_setting_reaches_the_twin() -> None:
    """20 rows in batches of 5: 4 batches."""
    result = runner.invoke(app, ["run", SAMPLE, "--json", "--max-items-per-batch", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["batches_total"] == 4


def test_every_setting_is_read_from_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `etl up` builds its twin with, for ETL_<PARAMETER> variables (the twin itself is not started)."""
    seen: list[PipelineConfig] = []

    class Captured(UpServer):
        def serve_forever(self, on_ready: object = None, on_stopping: object = None) -> None:
            seen.append(self.config)

    monkeypatch.setattr("workflow.twin.server.UpServer", Captured)
    monkeypatch.setattr("workflow.cli.twin_cmds.served", False)  # not a real serve: no fast exit after it
    values = {s.envvar: str(s.minimum + 1) for s in settings.SETTINGS}
    values["ETL_WRITER_BATCH_SIZE"] = "3"
    result = runner.invoke(app, ["up", "--port", "0", "--api-port", "0", "--console-port", "0"], env=values)
    assert result.exit_code == 0, result.output
    (config,) = seen
    for setting in settings.SETTINGS:
        assert getattr(config, setting.field) == int(values[setting.envvar]), setting


def test_pipeline_config_keeps_defaults_and_changed_reports_only_the_changes() -> None:
    config = settings.pipeline_config({"max_concurrency": 3, "writer_batch_size": None})
    assert config.max_concurrency == 3 and config.writer_batch_size == PipelineConfig().writer_batch_size
    assert settings.changed(config) == {"MaxConcurrency": 3}


@pytest.mark.parametrize("status", ["FAILD", "done"])
def test_an_unknown_status_is_one_line_and_exit_2(status: str) -> None:
    result = runner.invoke(app, ["executions", "--status", status])
    assert result.exit_code == 2
    assert error_line(result) == (
        f"error: --status '{status}' is not a status: use one of "
        "RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE"
    )


def test_limit_is_checked() -> None:
    result = runner.invoke(app, ["executions", "--limit", "0"])
    assert result.exit_code == 2
    assert error_line(result) == "error: --limit must be between 1 and 1000 (got 0)"


TEMPLATE = {
    "Resources": {
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "deployed-data"}},
        "FunctionsWriterLogsA1B2C3D4": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": "csv-etl-dev-writer"},
        },
    },
    "Outputs": {
        "DataBucketName": {"Value": {"Ref": "Data"}},
        "StateMachineArn": {"Value": "arn:aws:states:us-east-1:123456789012:stateMachine:csv-etl"},
    },
}


@pytest.fixture
def aws_with_twin_exports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Real-AWS credentials (moto) while the twin banner's AWS_ENDPOINT_URL is still exported."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        cloudformation = boto3.client(
            "cloudformation", endpoint_url="https://cloudformation.us-east-1.amazonaws.com"
        )
        cloudformation.create_stack(StackName="csv-etl-dev", TemplateBody=json.dumps(TEMPLATE))
        yield


def test_stack_targets_aws_even_with_the_twin_exports_set(aws_with_twin_exports: None) -> None:
    result = runner.invoke(app, ["drop", SAMPLE, "--stack", "csv-etl-dev", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"bucket": "deployed-data", "key": "incoming/data.csv"}
    assert error_line(result) == ("note: --stack targets AWS; AWS_ENDPOINT_URL=http://127.0.0.1:9 is ignored")


def test_logs_with_a_stack_read_its_log_groups(aws_with_twin_exports: None) -> None:
    logs = boto3.client("logs", endpoint_url="https://logs.us-east-1.amazonaws.com")
    logs.create_log_stream(logGroupName="csv-etl-dev-writer", logStreamName="s")
    import time

    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="csv-etl-dev-writer",
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": "START RequestId: r1"},
            {"timestamp": now + 1, "message": "wrote 20 items for execution abc"},
        ],
    )
    result = runner.invoke(app, ["logs", "writer", "--stack", "csv-etl-dev"])
    assert result.exit_code == 0, result.output
    assert "writer START RequestId: r1" in result.stdout
    assert "writer wrote 20 items for execution abc" in result.stdout
    result = runner.invoke(app, ["logs", "transform", "--stack", "csv-etl-dev"])
    assert result.exit_code == 2
    assert "stack csv-etl-dev has no log group for transform" in result.stderr


def test_logs_of_an_unknown_function_is_one_line() -> None:
    result = runner.invoke(app, ["logs", "nope"])
    assert result.exit_code == 2
    assert error_line(result).startswith("error: no function 'nope': use one of transform, writer, summarize")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["drop", "no-such-file.csv"],
            "error: Invalid value for 'path': file 'no-such-file.csv' does not exist. (etl drop -h for help)",
        ),
        (
            ["up", "--port", "abc"],
            "error: Invalid value for '--port': Input should be a valid integer, unable to parse string as "
            "an integer (etl up -h for help)",
        ),
        (["describe"], "error: Missing argument 'execution'. (etl describe -h for help)"),
        (["executions", "--bogus"], "error: No such option: --bogus (etl executions -h for help)"),
        (["dlq", "list", "--bogus"], "error: No such option: --bogus (etl dlq list -h for help)"),
        (["nothing"], "error: No such command 'nothing'. (etl -h for help)"),
    ],
)
def test_a_mistake_click_catches_is_one_line_too(args: list[str], line: str) -> None:
    """README: "Mistakes get one line and exit code 2" -- also those the argument parser finds (a file that
    is not there, a value of the wrong type), which typer printed as a usage line, a hint and a box."""
    result = runner.invoke(app, args, prog_name="etl")
    assert result.exit_code == 2
    assert error_line(result) == line


def test_no_arguments_still_show_the_help() -> None:
    result = runner.invoke(app, ["dlq"], prog_name="etl")
    assert "Usage: etl dlq" in result.output


class _NoSuchExecution:
    """A target whose Step Functions answers as AWS does for an unknown execution."""

    outputs: dict[str, str] = {}

    def execution_arn(self, name: str) -> str:
        return "arn:aws:states:us-east-1:000000000000:execution:csv-etl:" + name

    def client(self, service: str) -> object:
        from botocore.exceptions import ClientError

        def refuse(**kwargs: object) -> None:
            arn = kwargs.get("executionArn")
            error = {"Code": "ExecutionDoesNotExist", "Message": f"Execution Does Not Exist: '{arn}'"}
            raise ClientError({"Error": error}, "DescribeExecution")

        class Client:
            def __getattr__(self, name: str) -> object:
                return refuse

        return Client()

    def replay(self, name: str) -> str:
        self.client("stepfunctions").describe_execution(executionArn=self.execution_arn(name))  # type: ignore[attr-defined]
        return ""


@pytest.mark.parametrize("command", ["describe", "redrive", "replay", "cost"])
def test_an_unknown_execution_is_named_with_where_to_find_the_right_one(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to be botocore's text: "ExecutionDoesNotExist: An error occurred (ExecutionDoesNotExist) when
    calling the DescribeExecution operation: Execution Does Not Exist: 'arn:...:nope'"."""
    from workflow.cli import cost_cmds, execution_cmds

    for module in (execution_cmds, cost_cmds):
        monkeypatch.setattr(module, "target_for", lambda *args, **kwargs: _NoSuchExecution())
    result = runner.invoke(app, [command, "nope"])
    assert result.exit_code == 2
    assert (
        error_line(result)
        == "error: no execution 'nope' (ExecutionDoesNotExist): `etl executions` lists them"
    )
