"""Choice rules: the comparison operators of the language and one rule as a tree ("Choice workflow state").

A JSONPath rule is a comparison (Variable, one operator and its operand) or a boolean combination (And, Or,
Not of nested rules); a JSONata rule is a Condition. Top-level rules also carry Next, and may carry Assign
and (JSONata) Output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from workflow.engine.asl.fields import Payload

COMPARISON_KINDS: Final = ("String", "Numeric", "Boolean", "Timestamp")
RELATIONS: Final = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
TYPE_TESTS: Final = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
BOOLEAN_OPERATORS: Final = ("And", "Or", "Not")


def _operator_table() -> dict[str, tuple[str, str, bool]]:
    table: dict[str, tuple[str, str, bool]] = {}
    for kind in COMPARISON_KINDS:
        for relation in ("Equals",) if kind == "Boolean" else RELATIONS:
            table[kind + relation] = (kind, relation, False)
            table[kind + relation + "Path"] = (kind, relation, True)
    return table


COMPARISON_OPERATORS: Final[dict[str, tuple[str, str, bool]]] = _operator_table()
"""operator name -> (kind, relation, whether the operand is a path); StringMatches and Is* are separate."""
ALL_OPERATORS: Final[frozenset[str]] = frozenset(COMPARISON_OPERATORS) | {"StringMatches", *TYPE_TESTS}


@dataclass(frozen=True)
class ChoiceRule:
    """One rule. Exactly one of: `operator` (with `variable`, `operand`), `and_`, `or_`, `not_`,
    `condition` (JSONata) is set in a valid definition."""

    next: str | None = None
    variable: str | None = None
    operator: str | None = None
    operand: Any = None
    and_: tuple[ChoiceRule, ...] | None = None
    or_: tuple[ChoiceRule, ...] | None = None
    not_: ChoiceRule | None = None
    condition: bool | str | None = None
    assign: Payload | None = None
    output: Payload | None = None
    comment: str | None = None
    raw: Mapping[str, Any] | None = None

    JSONATA_FIELDS: ClassVar[frozenset[str]] = frozenset({"Condition", "Next", "Assign", "Output", "Comment"})
    """The fields of a JSONata rule (a JSONPath rule's are its operator, Variable, And/Or/Not, Comment, and
    at the top level Next and Assign)."""

    @property
    def by_path(self) -> bool:
        """Whether the operand is a path to compare against (the *Path operators)."""
        return self.operator is not None and COMPARISON_OPERATORS.get(self.operator, ("", "", False))[2]


def parse_rule(raw: Any, *, top: bool) -> ChoiceRule:
    """A rule from its JSON; lenient (validation reports what is wrong), so any JSON gives a rule."""
    if not isinstance(raw, Mapping):
        return ChoiceRule(raw=None)
    operators = [key for key in raw if key in ALL_OPERATORS]
    operator = operators[0] if len(operators) == 1 else None

    def many(key: str) -> tuple[ChoiceRule, ...] | None:
        items = raw.get(key)
        return tuple(parse_rule(i, top=False) for i in items) if isinstance(items, list) else None

    condition = raw.get("Condition")
    nested_not = raw.get("Not")
    return ChoiceRule(
        next=raw.get("Next") if top and isinstance(raw.get("Next"), str) else None,
        variable=raw.get("Variable") if isinstance(raw.get("Variable"), str) else None,
        operator=operator,
        operand=raw[operator] if operator is not None else None,
        and_=many("And"),
        or_=many("Or"),
        not_=parse_rule(nested_not, top=False) if isinstance(nested_not, Mapping) else None,
        condition=condition if isinstance(condition, bool | str) else None,
        assign=Payload(raw["Assign"]) if "Assign" in raw else None,
        output=Payload(raw["Output"]) if "Output" in raw else None,
        comment=raw.get("Comment") if isinstance(raw.get("Comment"), str) else None,
        raw=raw,
    )
