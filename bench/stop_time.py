"""How long `etl up` takes to stop after SIGTERM: idle, and with an execution running.

    .venv/bin/python bench/stop_time.py --rows 20000 --repeat 3

Starts `etl up --quiet` on free ports, optionally drops a generated CSV and waits until its execution runs,
sends SIGTERM and times until the process has exited. Prints one JSON object with the seconds per run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflow.twin.server import wait_healthy  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_stop(csv: Path | None) -> float:
    ports = [free_port() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ETL_"))}
    command = [sys.executable, "-m", "workflow", "up", "--quiet", "--port", str(ports[0])]
    command += ["--api-port", str(ports[1]), "--console-port", str(ports[2])]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not wait_healthy(f"http://127.0.0.1:{ports[1]}", 60):
            raise RuntimeError("etl up did not start")
        if csv is not None:
            etl_env = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports[0]}"}
            subprocess.run(
                [sys.executable, "-m", "workflow", "drop", str(csv)],
                cwd=ROOT,
                env=etl_env,
                check=True,
                capture_output=True,
            )
            time.sleep(3)  # the execution is well into its Map
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        return time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the file running at SIGTERM")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "running.csv"
        subprocess.run(
            [sys.executable, str(ROOT / "sample_data" / "generate.py"), str(csv), "--rows", str(args.rows)],
            check=True,
            capture_output=True,
        )
        idle = [round(one_stop(None), 2) for _ in range(args.repeat)]
        busy = [round(one_stop(csv), 2) for _ in range(args.repeat)]
    print(json.dumps({"idle_stop_s": idle, "running_execution_stop_s": busy, "rows": args.rows}))


if __name__ == "__main__":
    main()
