"""The Amazon States Language as one typed model: a definition is parsed once, then validated and run.

Frozen dataclasses rather than pydantic: the model is built once per definition from JSON that the
validator has already checked (pydantic's coercion and error reports would duplicate the validator, whose
AWS-shaped diagnostics are the contract), they cost nothing at import and attribute access, and strict mypy
checks them without a plugin.

Parse with `workflow.engine.asl.parse.parse_definition(definition, *, validate=True) -> StateMachine`
(also `parse_state(name, raw, inherited_language)` for one state, e.g. TestState). This package's
`__init__` imports only the model (no runtime module), so any module may import it.

API (ASL field -> attribute; absent JSON values are None, given ones a `Payload(value)`; path fields are
"$" when absent and None for an explicit null; `Dynamic(name, value, path)` pairs `X` and `XPath`):

- `StateMachine`: start_at, states (name -> State), query_language, timeout_seconds, raw, comment, version;
  state(name), find(name) (anywhere in the tree), walk() (every state, nested ones too).
- `State` (base of all): name, type (StateType), raw (the state's JSON), query_language (QueryLanguage),
  next, end (End: true or Succeed/Fail), comment, assign, jsonpath_io (JsonPathIO), jsonata_io
  (JsonataIO), retry (tuple of Retrier), catch (tuple of Catcher), branches (Parallel), processor (Map);
  properties jsonata, distributed, execution_type; machines().
- `Pass`: result.  `Task`: resource, timing (TaskTiming), credentials.  `Choice`: choices (tuple of
  ChoiceRule), default.  `Wait`: seconds, timestamp (Dynamic: Seconds/SecondsPath, Timestamp/TimestampPath).
  `Succeed`.  `Fail`: error, cause (Dynamic: Error/ErrorPath, Cause/CausePath).  `Parallel`: branches.
  `Map`: processor, processor_config (ProcessorConfig), uses_iterator, items_path, items (JSONata),
  item_selector, item_selector_field ("ItemSelector" or legacy "Parameters"), item_reader (ItemReader),
  item_batcher (ItemBatcher), result_writer (ResultWriter), max_concurrency, tolerated_failure_percentage,
  tolerated_failure_count (Dynamic), label.
- Field groups: `JsonPathIO`: input_path, parameters, result_selector, result_path, output_path.
  `JsonataIO`: arguments, output.  `Retrier`: error_equals, interval_seconds, max_attempts, backoff_rate,
  max_delay_seconds, jitter_strategy, comment, raw.  `Catcher`: error_equals, next, result_path, output,
  assign, comment, raw.  `TaskTiming`: timeout, heartbeat (Dynamic).  `ChoiceRule`: next, variable,
  operator, operand, and_, or_, not_, condition (JSONata), assign, output, comment, raw; by_path.
  `ProcessorConfig`: mode (ProcessorMode), execution_type (ExecutionType).  `ItemReader`: resource,
  reader_config, parameters (Parameters or Arguments), raw.  `ReaderConfig`: input_type (ReaderInputType),
  csv_header_location, csv_headers, csv_delimiter (a name; `delimiter` is the character), max_items
  (Dynamic), manifest_type, transformation.  `ItemBatcher`: max_items_per_batch, max_input_bytes_per_batch
  (Dynamic), batch_input, raw.  `ResultWriter`: resource, parameters, writer_config, raw.
- Tables on the model (what the validator checks against): `FIELDS` on each state class (per
  QueryLanguage), on Retrier, Catcher (per language), ProcessorConfig, ReaderConfig, ItemReader, ItemBatcher,
  ResultWriter (per language); StateMachine.FIELDS / NESTED_FIELDS; `asl.fields` NULLABLE_PATH_FIELDS,
  REFERENCE_PATH_FIELDS, TEMPLATE_FIELDS, EXCLUSIVE_FIELDS; `asl.states` DISTRIBUTED_ONLY_FIELDS.
- Validation: `asl.validate.validate_definition(definition, *, severity="ERROR")` (AWS-shaped diagnostics),
  rules in `asl/validate_*.py`.
- Vocabulary (`asl.vocabulary`): StateType, QueryLanguage, ProcessorMode, ExecutionType, JitterStrategy,
  ReaderInputType, CSVHeaderLocation (StrEnums: equal to their ASL spelling), CSV_DELIMITERS, STATE_TYPES,
  TERMINAL_TYPES, NO_TRANSITION_TYPES, is_member(), member_or(); limits are in `workflow.engine.quotas`;
  choice operators in `asl.choice_rules` (COMPARISON_OPERATORS, ALL_OPERATORS, TYPE_TESTS,
  BOOLEAN_OPERATORS: the one table `choice.py` evaluates with).
"""

from workflow.engine.asl.choice_rules import ALL_OPERATORS, COMPARISON_OPERATORS, ChoiceRule
from workflow.engine.asl.fields import (
    Catcher,
    Dynamic,
    JsonataIO,
    JsonPathIO,
    Payload,
    Retrier,
    TaskTiming,
)
from workflow.engine.asl.map_fields import (
    ItemBatcher,
    ItemReader,
    ProcessorConfig,
    ReaderConfig,
    ResultWriter,
)
from workflow.engine.asl.states import (
    STATE_CLASSES,
    Choice,
    Fail,
    Map,
    Parallel,
    Pass,
    State,
    StateMachine,
    Succeed,
    Task,
    Wait,
)
from workflow.engine.asl.vocabulary import (
    CSV_DELIMITERS,
    JSONATA,
    JSONPATH,
    STATE_TYPES,
    CSVHeaderLocation,
    ExecutionType,
    JitterStrategy,
    ProcessorMode,
    QueryLanguage,
    ReaderInputType,
    StateType,
)

__all__ = [
    "ALL_OPERATORS",
    "COMPARISON_OPERATORS",
    "CSV_DELIMITERS",
    "JSONATA",
    "JSONPATH",
    "STATE_CLASSES",
    "STATE_TYPES",
    "CSVHeaderLocation",
    "Catcher",
    "Choice",
    "ChoiceRule",
    "Dynamic",
    "ExecutionType",
    "Fail",
    "ItemBatcher",
    "ItemReader",
    "JitterStrategy",
    "JsonPathIO",
    "JsonataIO",
    "Map",
    "Parallel",
    "Pass",
    "Payload",
    "ProcessorConfig",
    "ProcessorMode",
    "QueryLanguage",
    "ReaderConfig",
    "ReaderInputType",
    "ResultWriter",
    "Retrier",
    "State",
    "StateMachine",
    "StateType",
    "Succeed",
    "Task",
    "TaskTiming",
    "Wait",
]
