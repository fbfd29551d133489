"""Rules of Retry and Catch ("Handling errors in Step Functions workflows"): ErrorEquals, the Retrier
fields and their ranges, the Catcher fields of each query language and their Next targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workflow.engine.asl.diagnostics import Report, Where, loc
from workflow.engine.asl.fields import Catcher, Retrier
from workflow.engine.asl.validate_values import (
    assign,
    jsonata_strings,
    number_field,
    state_reference_path,
)
from workflow.engine.asl.vocabulary import JSONATA, JSONPATH, JitterStrategy, QueryLanguage, is_member

ALL_ERRORS = "States.ALL"


def target(report: Report, value: Any, siblings: Sequence[str], where: Where, field: str) -> None:
    """A transition target names a state of the same machine (AWS says 'Next' for Default/Catch too)."""
    if not isinstance(value, str):
        report.schema(f"The field '{field}' must be a state name", loc(*where))
    elif value not in siblings:
        report.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {value}", loc(*where))


def retry_catch(
    report: Report, spec: Mapping[str, Any], where: Where, language: QueryLanguage, names: Sequence[str]
) -> None:
    for field in ("Retry", "Catch"):
        if field not in spec:
            continue
        entries = spec[field]
        if not isinstance(entries, list):
            report.schema(f"The field '{field}' must be an array", loc(*where, field))
            continue
        for i, entry in enumerate(entries):
            entry_where = (*where, field, i)
            if not isinstance(entry, Mapping):
                report.schema(f"A {field} entry must be an object", loc(*entry_where))
                continue
            _error_equals(report, entry, entry_where, last=i == len(entries) - 1)
            if field == "Retry":
                _retrier(report, entry, entry_where)
            else:
                _catcher(report, entry, entry_where, language, names)


def _error_equals(report: Report, entry: Mapping[str, Any], where: Where, *, last: bool) -> None:
    names = entry.get("ErrorEquals")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        report.schema(
            "These fields are required: [ErrorEquals] (a non-empty array of error names)",
            loc(*where, "ErrorEquals"),
        )
        return
    if ALL_ERRORS in names and (len(names) > 1 or not last):
        report.schema(
            "States.ALL must appear alone, in the last Retrier or Catcher", loc(*where, "ErrorEquals")
        )


def _retrier(report: Report, entry: Mapping[str, Any], where: Where) -> None:
    for key in entry:
        if key not in Retrier.FIELDS:
            report.schema(f"The field '{key}' is not supported in Retry", loc(*where, key))
    # Retrier numbers are plain numbers in both query languages.
    number_field(report, entry, "IntervalSeconds", where, JSONPATH, minimum=1)
    number_field(report, entry, "MaxAttempts", where, JSONPATH, minimum=0)
    number_field(report, entry, "BackoffRate", where, JSONPATH, minimum=1, integer=False)
    number_field(report, entry, "MaxDelaySeconds", where, JSONPATH, minimum=1)
    if "JitterStrategy" in entry and not is_member(JitterStrategy, entry["JitterStrategy"]):
        report.schema("JitterStrategy must be FULL or NONE", loc(*where, "JitterStrategy"))


def _catcher(
    report: Report, entry: Mapping[str, Any], where: Where, language: QueryLanguage, names: Sequence[str]
) -> None:
    allowed = Catcher.FIELDS[language]
    for key in entry:
        if key not in allowed:
            report.schema(f"The field '{key}' is not supported in {language} Catchers", loc(*where, key))
    if "Next" not in entry:
        report.schema("These fields are required: [Next]", loc(*where))
    else:
        target(report, entry["Next"], names, (*where, "Next"), "Next")
    result_path = entry.get("ResultPath")
    if language == JSONPATH and result_path is not None and not state_reference_path(result_path):
        report.schema(
            "The value for the field 'ResultPath' must be a valid ReferencePath", loc(*where, "ResultPath")
        )
    if "Assign" in entry:
        assign(report, entry["Assign"], (*where, "Assign"), language)
    if language == JSONATA and "Output" in entry:
        jsonata_strings(report, entry["Output"], (*where, "Output"))
