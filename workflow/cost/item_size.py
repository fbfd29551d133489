"""DynamoDB item sizes, as DynamoDB meters them for request units.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html: an item's
size is the sum of its attribute names and values; strings are their UTF-8 bytes; a number is about 1 byte per
two significant digits plus 1 byte (leading and trailing zeros trimmed). A standard write costs 1 write
request unit per 1 KB (rounded up), a strongly consistent read 1 read request unit per 4 KB.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096

# The writer stores these fields as Numbers (tasks/writer: timestamp, the two averages, the row number).
NUMBER_FIELDS = frozenset({"timestamp", "local_avg", "remote_avg", "source_row"})


def number_size(value: Any) -> int:
    """Bytes of a DynamoDB Number: ceil(significant digits / 2) + 1."""
    try:
        digits = Decimal(str(value)).normalize().as_tuple().digits
    except InvalidOperation:
        return len(str(value).encode())
    significant = len("".join(map(str, digits)).lstrip("0")) or 1
    return math.ceil(significant / 2) + 1


def value_size(value: Any, as_number: bool) -> int:
    if as_number or (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)):
        return number_size(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, Mapping):
        return 3 + sum(len(str(k).encode()) + value_size(v, False) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(value_size(v, False) + 1 for v in value)
    return len(str(value).encode())


def item_size(item: Mapping[str, Any], number_fields: Iterable[str] = NUMBER_FIELDS) -> int:
    """Bytes of one item: names plus values."""
    numbers = frozenset(number_fields)
    return sum(len(name.encode()) + value_size(value, name in numbers) for name, value in item.items())


def write_units(size_bytes: int) -> int:
    """Write request units of one standard write of an item this size (at least 1)."""
    return max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))


def read_units(size_bytes: int) -> int:
    """Read request units of one strongly consistent read of this many bytes (at least 1)."""
    return max(1, math.ceil(size_bytes / READ_UNIT_BYTES))


def stored_item(item: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """The item as the writer stores it: the row's fields plus its origin (`source_file`, `execution`)."""
    stored = dict(item)
    stored["source_file"] = f"s3://{source.get('bucket', '')}/{source.get('key', '')}"
    stored["execution"] = str(source.get("execution", ""))
    return stored
