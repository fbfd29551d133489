"""Rules of a Choice state ("Choice workflow state"): a non-empty Choices array of rules, each with a Next
target; JSONPath rules with exactly one operator (or And/Or/Not) and an operand of the operator's type;
JSONata rules with a Condition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workflow.engine.asl.choice_rules import (
    ALL_OPERATORS,
    BOOLEAN_OPERATORS,
    COMPARISON_OPERATORS,
    ChoiceRule,
)
from workflow.engine.asl.diagnostics import Report, Where, loc
from workflow.engine.asl.validate_errors import target
from workflow.engine.asl.validate_values import assign, is_path, jsonata_strings
from workflow.engine.asl.vocabulary import JSONATA, QueryLanguage
from workflow.engine.choice import is_timestamp
from workflow.engine.jsonata_eval import is_jsonata_expression


def choice_state(
    report: Report, spec: Mapping[str, Any], where: Where, language: QueryLanguage, names: Sequence[str]
) -> None:
    choices = spec.get("Choices")
    if not isinstance(choices, list) or not choices:
        report.schema("These fields are required: [Choices] (a non-empty array)", loc(*where, "Choices"))
        choices = []
    for i, rule in enumerate(choices):
        rule_where = (*where, "Choices", i)
        if not isinstance(rule, Mapping):
            report.schema("A Choice rule must be an object", loc(*rule_where))
            continue
        if "Next" not in rule:
            report.schema("These fields are required: [Next]", loc(*rule_where))
        else:
            target(report, rule["Next"], names, (*rule_where, "Next"), "Next")
        if language == JSONATA:
            _jsonata_rule(report, rule, rule_where)
        else:
            _jsonpath_rule(report, rule, rule_where, top=True)
        if "Assign" in rule:
            assign(report, rule["Assign"], (*rule_where, "Assign"), language)
    if "Default" in spec:
        target(report, spec["Default"], names, (*where, "Default"), "Default")


def _jsonata_rule(report: Report, rule: Mapping[str, Any], where: Where) -> None:
    for key in rule:
        if key not in ChoiceRule.JSONATA_FIELDS:
            report.schema(f"The field '{key}' is not supported in JSONata Choice rules", loc(*where, key))
    condition = rule.get("Condition")
    if "Condition" not in rule:
        report.schema("These fields are required: [Condition]", loc(*where))
    elif not isinstance(condition, bool) and not is_jsonata_expression(condition):
        report.schema("Condition must be a JSONata expression {% ... %}", loc(*where, "Condition"))
    else:
        jsonata_strings(report, condition, (*where, "Condition"))
    if "Output" in rule:
        jsonata_strings(report, rule["Output"], (*where, "Output"))


def _jsonpath_rule(report: Report, rule: Mapping[str, Any], where: Where, *, top: bool) -> None:
    extra = {"Next", "Comment", "Assign"} if top else {"Comment"}
    boolean = [k for k in BOOLEAN_OPERATORS if k in rule]
    operators = [k for k in rule if k in ALL_OPERATORS]
    for key in rule:
        if key not in extra and key not in (*BOOLEAN_OPERATORS, "Variable") and key not in ALL_OPERATORS:
            report.schema(f"The field '{key}' is not supported in Choice rules", loc(*where, key))
    if len(boolean) + len(operators) != 1:
        report.schema(
            "A Choice rule needs exactly one comparison operator or one of And, Or, Not", loc(*where)
        )
        return
    if boolean:
        _boolean_rule(report, rule, boolean[0], where)
        return
    op = operators[0]
    if "Variable" not in rule:
        report.schema("These fields are required: [Variable]", loc(*where))
    elif not is_path(rule["Variable"]):
        report.schema("The value for the field 'Variable' must be a valid JSONPath", loc(*where, "Variable"))
    _operand(report, op, rule[op], (*where, op))


def _boolean_rule(report: Report, rule: Mapping[str, Any], op: str, where: Where) -> None:
    if "Variable" in rule:
        report.schema(f"A rule with {op} cannot have a Variable", loc(*where, "Variable"))
    inner = rule[op]
    if op == "Not":
        if isinstance(inner, Mapping):
            _jsonpath_rule(report, inner, (*where, "Not"), top=False)
        else:
            report.schema("Not takes one Choice rule (an object)", loc(*where, "Not"))
    elif not isinstance(inner, list) or not inner:
        report.schema(f"{op} takes a non-empty array of Choice rules", loc(*where, op))
    else:
        for i, item in enumerate(inner):
            if isinstance(item, Mapping):
                _jsonpath_rule(report, item, (*where, op, i), top=False)
            else:
                report.schema("A Choice rule must be an object", loc(*where, op, i))


def _operand(report: Report, op: str, value: Any, where: Where) -> None:
    """The operand has the operator's type: a path for *Path, a boolean for Is*/BooleanEquals, ..."""
    if op.endswith("Path") and op in COMPARISON_OPERATORS:
        ok, what = is_path(value), "a valid JSONPath"
    elif op.startswith("Is") or op == "BooleanEquals":
        ok, what = isinstance(value, bool), "a boolean"
    elif op.startswith("Numeric"):
        ok, what = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    elif op.startswith("Timestamp"):
        ok, what = is_timestamp(value), "an RFC 3339 timestamp"
    else:
        ok, what = isinstance(value, str), "a string"
    if not ok:
        report.schema(f"The value for the field '{op}' must be {what}", loc(*where))
