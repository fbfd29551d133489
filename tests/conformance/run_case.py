"""Run one conformance case by id and show what happened.

`python -m tests.conformance.run_case <id> [--http]`

For engine work: prints PASS or the first mismatch, then the execution's status, output, error and history
(event types), and each Map Run's counts and child failures, without pytest in between.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tests.conformance.harness import (
    RUNNERS,
    SFN_ACCOUNT,
    SPEED,
    Api,
    ConformanceBackend,
    Runner,
    load_cases,
    make_service,
    shared_client,
    substitute,
)
from tests.conformance.serving import serve
from workflow.engine.http_api import make_app
from workflow.engine.inprocess_client import InProcessStepFunctionsClient


class _App:
    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def _report(service: Any, name: str) -> None:
    sm_arn = f"arn:aws:states:us-east-1:{SFN_ACCOUNT}:stateMachine:{name}"
    for execution in service.list_executions(stateMachineArn=sm_arn)["executions"]:
        arn = execution["executionArn"]
        described = service.describe_execution(executionArn=arn)
        print(f"\n{arn}\n  status: {described['status']}")
        for key in ("output", "error", "cause"):
            if described.get(key) is not None:
                print(f"  {key}: {str(described[key])[:2000]}")
        events = service.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        print("  history:", " ".join(e["type"] for e in events))
        for run in service.list_map_runs(executionArn=arn)["mapRuns"]:
            detail = service.describe_map_run(mapRunArn=run["mapRunArn"])
            counts = json.dumps(detail["itemCounts"])
            print(f"  map run {run['mapRunArn']}: {detail['status']} items {counts}")
            for child in service.list_executions(mapRunArn=run["mapRunArn"])["executions"]:
                if child["status"] != "SUCCEEDED":
                    info = service.describe_execution(executionArn=child["executionArn"])
                    cause = str(info.get("cause"))[:300]
                    print(f"    {child['name']}: {info['status']} {info.get('error')} {cause}")


def main(argv: list[str] | None = None) -> int:
    from moto.server import ThreadedMotoServer

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case_id")
    parser.add_argument("--http", action="store_true", help="call the API through boto3 over HTTP")
    args = parser.parse_args(argv)
    cases = {c["id"]: c for c in load_cases()}
    if args.case_id not in cases:
        print(f"no case {args.case_id!r}", file=sys.stderr)
        return 2
    moto = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    moto.start()
    moto_url = "http://{}:{}".format(*moto.get_host_and_port())
    variables = {
        "MOTO": moto_url,
        "REGION": "us-east-1",
        "ACCOUNT": "123456789012",
        "SFN_ACCOUNT": SFN_ACCOUNT,
    }
    case = substitute(cases[args.case_id], variables)
    holder = _App()
    with serve(holder) as sfn_url:
        mocks = case.get("mocks", {})
        backend = ConformanceBackend(moto_url, sfn_url, mocks.get("functions", {}))
        manual = case.get("clock") == "manual"
        service = make_service(backend, mocks.get("config"), case.get("speed", SPEED), manual)
        holder.app = make_app(service)
        in_process = InProcessStepFunctionsClient(service)
        client = shared_client("stepfunctions", sfn_url) if args.http else in_process
        name = case["id"][:80]
        status = 0
        try:
            RUNNERS[case.get("kind", "execution")](Runner(Api(client, args.http), backend, name), case)
            print("PASS")
        except AssertionError as exc:
            print(f"FAIL {exc}")
            status = 1
        _report(service, name)
    moto.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
