"""Running states: the executor's parts, each in a module of its own.

- `runners.py`: the table from state type (and Map mode) to the function that runs it;
- `interpreter.py`: the loop every state goes through (entered/exited events, Retry, Catch, limits);
- `step.py`: what a runner gets and returns (StateRun, Outcome), `wait`;
- one module per kind of state: `simple.py` (Pass, Choice, Wait, Succeed, Fail), `task.py`,
  `parallel.py`, `map_inline.py`, `map_distributed.py` (with `map_items.py`, what both Map modes read);
  `fanout.py` runs branches and iterations concurrently;
- `data_flow.py`: a state's I/O in both query languages (InputPath ... OutputPath, Arguments/Output,
  Assign), the context object and the payload limit; `retry.py`: error matching and backoff;
- `runtime.py`: execution records, scopes, variables, cancellation; `tokens.py`: task tokens;
- `engine_view.py`: the engine as the runners see it (a Protocol).

Runners read the typed model of `workflow.engine.asl`, never the raw JSON, except the ItemReader and
ResultWriter blocks, which are evaluated whole (their Parameters may build any field).
"""
