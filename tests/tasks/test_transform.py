"""Transform rules: exact UTC keys, canonical numbers, every bad-input case, and in-batch key collisions."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import row_rules
import transform_handler
from hypothesis import assume, given, settings
from hypothesis import strategies as st

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

GOOD = {
    "timestamp": "1559040909.3853335",
    "location": "location-03",
    "source": "wireless",
    "local_dest": "router-1",
    "local_avg": "4.39",
    "remote_dest": "device-1",
    "remote_avg": "9.09",
}
BATCH_INPUT = {"bucket": "csv-etl-data", "key": "incoming/data.csv", "execution": "exec-1"}


def csv_entries(path: Any) -> list[dict[str, Any]]:
    """What the Distributed Map's CSV ItemReader + ItemSelector hand over: {"index", "row"} per data row.

    As AWS documents ("How Step Functions parses input CSV files"): a short row gets empty strings for
    its missing fields, extra fields are skipped.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        header, *records = list(csv.reader(handle))
    padded = [record + [""] * (len(header) - len(record)) for record in records]
    return [{"index": i, "row": dict(zip(header, fields, strict=False))} for i, fields in enumerate(padded)]


def reject_of(row: dict[str, Any], index: int = 0) -> dict[str, Any]:
    item, reject = row_rules.convert_row(index, row)
    assert item is None, item
    assert reject is not None
    return reject


def fields(reject: dict[str, Any]) -> dict[str, str]:
    return {err["field"]: err["reason"] for err in reject["errors"]}


def test_good_row_converts_to_item_with_exact_keys() -> None:
    item, reject = row_rules.convert_row(0, GOOD)
    assert reject is None
    assert item == {
        "date": "2019-05-28",
        "time": "10:55:09.3853335",
        "timestamp": "1559040909.3853335",
        "location": "location-03",
        "source": "wireless",
        "local_dest": "router-1",
        "local_avg": "4.39",
        "remote_dest": "device-1",
        "remote_avg": "9.09",
        "source_row": 2,
    }


def test_data_csv_twenty_rows_get_their_utc_date_and_time() -> None:
    entries = csv_entries(SAMPLE_DATA / "data.csv")
    result = transform_handler.handler({"Items": entries, "BatchInput": BATCH_INPUT}, None)
    assert (result["rows"], result["valid"], result["rejects"], result["first_row"]) == (20, 20, [], 2)
    for entry, item in zip(entries, result["items"], strict=True):
        raw = entry["row"]["timestamp"]
        whole, _, fraction = raw.partition(".")
        expected = datetime.fromtimestamp(int(whole), UTC)
        assert item["date"] == expected.strftime("%Y-%m-%d") == "2019-05-28"
        assert item["time"] == expected.strftime("%H:%M:%S") + "." + fraction.rstrip("0")
        assert item["source_row"] == entry["index"] + 2
    assert result["items"][0]["time"] == "10:55:09.3853335"
    assert result["items"][-1]["time"] == "10:58:21.75318"
    assert result["items"][4]["remote_avg"] == "9.07"


def test_data_bad_msg_row_lists_every_problem() -> None:
    """The seed's bad file (no trailing newline): bad timestamp, bad local_avg, a missing column."""
    entries = csv_entries(SAMPLE_DATA / "data_bad_msg.csv")
    assert len(entries) == 1
    result = transform_handler.transform_batch({"Items": entries, "BatchInput": BATCH_INPUT})
    assert (result["rows"], result["valid"], result["items"]) == (1, 0, [])
    [reject] = result["rejects"]
    assert reject["row"] == 2
    assert fields(reject) == {
        "timestamp": "not a number",
        "local_avg": "not a number",
        "remote_avg": "empty or missing",
    }
    assert {e["field"]: e["value"] for e in reject["errors"]}["timestamp"] == "not_a_timestamp!"


@pytest.mark.parametrize("short_row_value", ["absent", "", None])
def test_short_row_is_missing_column_whether_key_absent_empty_or_null(short_row_value: Any) -> None:
    """A short CSV row may reach us with the key omitted, as "" or as null: all are rejected, never stored."""
    row = dict(GOOD)
    if short_row_value == "absent":
        del row["remote_avg"]
    else:
        row["remote_avg"] = short_row_value
    reject = reject_of(row)
    assert set(fields(reject)) == {"remote_avg"}
    expected = "missing column" if short_row_value in {"absent", None} else "empty or missing"
    assert fields(reject)["remote_avg"] == expected


def test_a_blank_row_gets_one_short_reason_so_a_batch_of_them_fits_the_payload_limit() -> None:
    """A spreadsheet's trailing ",,,,,," lines: one reason each (not seven), so 800 of them in one batch stay
    far below Step Functions' 256 KiB payload limit ("Quotas related to state throttling"/payload size)."""
    blank = {field: "" for field in GOOD}
    assert reject_of(blank) == {
        "row": 2,
        "errors": [{"field": "row", "reason": "every field is empty", "value": None}],
    }
    entries = [{"index": i, "row": dict(blank)} for i in range(800)]
    result = transform_handler.transform_batch(
        {"Items": entries, "BatchInput": {"bucket": "b", "key": "k.csv"}}
    )
    assert len(result["rejects"]) == 800 and not result["items"]
    assert len(json.dumps(result, separators=(",", ":"))) < 262_144 // 2
    one_empty = dict(GOOD, location="")  # a row with some values still lists each problem
    assert fields(reject_of(one_empty)) == {"location": "empty or missing"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("x", "not a number"),
        ("", "empty or missing"),
        ("   ", "empty or missing"),
        ("2019-05-28T10:55:09Z", "not a number"),
        ("1_559_040_909", "not a number"),
        ("NaN", "not a finite number"),
        ("-inf", "not a finite number"),
        ("Infinity", "not a finite number"),
        ("1e400000", "out of DynamoDB Number range (1E-130 to 1E+126)"),
        ("1e20", "out of range (years 1 to 9999)"),
        ("1." + "1" * 40, "more than 38 significant digits (DynamoDB Number limit)"),
        ("1559040909." + "1" * 29, "more than 38 significant digits (DynamoDB Number limit)"),
    ],
)
def test_bad_timestamp_reasons(raw: str, reason: str) -> None:
    reject = reject_of({**GOOD, "timestamp": raw})
    assert fields(reject) == {"timestamp": reason}


@pytest.mark.parametrize("field", ["local_avg", "remote_avg"])
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abc", "not a number"),
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("", "empty or missing"),
        ("1,5", "not a number"),
        ("0x10", "not a number"),
    ],
)
def test_bad_number_reasons(field: str, raw: str, reason: str) -> None:
    assert fields(reject_of({**GOOD, field: raw})) == {field: reason}


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("4.390", "4.39"),
        (" 9.09 ", "9.09"),
        ("1e2", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        (".5", "0.5"),
        ("+3", "3"),
        ("-1.2500", "-1.25"),
        ("1E-5", "0.00001"),
        ("0012.50", "12.5"),
        ("1234567890123456789012345678901234.5678", "1234567890123456789012345678901234.5678"),  # 38 digits
        ("1e50", "1E+50"),
        ("-1.23e40", "-1.23E+40"),  # plain would need more than 38 digits
    ],
)
def test_numbers_become_canonical_exact_strings(raw: str, canonical: str) -> None:
    item, _ = row_rules.convert_row(0, {**GOOD, "local_avg": raw})
    assert item is not None and item["local_avg"] == canonical


@pytest.mark.parametrize(
    ("raw", "date", "time"),
    [
        ("0", "1970-01-01", "00:00:00"),
        ("1559040909", "2019-05-28", "10:55:09"),
        ("1559040909.000", "2019-05-28", "10:55:09"),
        ("1559040909.50", "2019-05-28", "10:55:09.5"),
        ("1559040909.0000001", "2019-05-28", "10:55:09.0000001"),
        ("-1.5", "1969-12-31", "23:59:58.5"),
        ("1.5592e9", "2019-05-30", "07:06:40"),
        ("951782400", "2000-02-29", "00:00:00"),
        ("253402300799.999", "9999-12-31", "23:59:59.999"),
        (
            "1559040909." + "1" * 28,
            "2019-05-28",
            "10:55:09." + "1" * 28,
        ),  # 38 digits: beyond float, Decimal prec
    ],
)
def test_timestamp_to_utc_date_and_time_exactly(raw: str, date: str, time: str) -> None:
    item, reject = row_rules.convert_row(0, {**GOOD, "timestamp": raw})
    assert reject is None and item is not None
    assert (item["date"], item["time"]) == (date, time)


def test_same_second_readings_get_distinct_sort_keys() -> None:
    entries = [
        {"index": 0, "row": {**GOOD, "timestamp": "1559040909.1"}},
        {"index": 1, "row": {**GOOD, "timestamp": "1559040909.25"}},
        {"index": 2, "row": {**GOOD, "timestamp": "1559040909"}},
    ]
    items, rejects = row_rules.transform_items(entries)
    assert rejects == []
    assert [i["time"] for i in items] == ["10:55:09.1", "10:55:09.25", "10:55:09"]


def test_text_fields_are_trimmed_and_empty_text_is_rejected() -> None:
    item, _ = row_rules.convert_row(0, {**GOOD, "location": "  location-03\t"})
    assert item is not None and item["location"] == "location-03"
    reject = reject_of({**GOOD, "location": "  ", "source": ""})
    assert fields(reject) == {"location": "empty or missing", "source": "empty or missing"}


def test_missing_required_columns_each_named() -> None:
    row = {k: v for k, v in GOOD.items() if k not in {"timestamp", "source"}}
    assert fields(reject_of(row)) == {"timestamp": "missing column", "source": "missing column"}


def test_unexpected_extra_columns_are_rejected_with_their_value() -> None:
    reject = reject_of({**GOOD, "comment": "hello", "": "stray"}, index=7)
    assert reject["row"] == 9
    assert reject["errors"] == [
        {"field": "comment", "reason": "unexpected column", "value": "hello"},
        {"field": "", "reason": "unexpected column", "value": "stray"},
    ]


def test_empty_extra_column_loses_nothing_and_is_ignored() -> None:
    """A header with a trailing comma gives every row an empty "" column: no value would be lost."""
    item, reject = row_rules.convert_row(0, {**GOOD, "": "", "notes": "  "})
    assert reject is None and item is not None and "notes" not in item


def test_row_that_is_not_an_object_is_rejected() -> None:
    reject = reject_of(["1559040909", "location-03"], index=3)  # type: ignore[arg-type]
    assert reject["row"] == 5 and fields(reject) == {"row": "not a CSV record"}


def test_long_values_are_cut_in_rejects() -> None:
    reject = reject_of({**GOOD, "local_avg": "z" * 10_000})
    value = reject["errors"][0]["value"]
    assert len(value) == row_rules.MAX_VALUE_CHARS + 1 and value.endswith("…")


def test_colliding_keys_in_batch_reject_the_later_row_naming_the_first() -> None:
    entries = [
        {"index": 10, "row": dict(GOOD)},
        {"index": 11, "row": {**GOOD, "timestamp": "1559040909.38533350"}},  # same instant
        {"index": 12, "row": {**GOOD, "timestamp": "1559040910"}},
    ]
    items, rejects = row_rules.transform_items(entries)
    assert [i["source_row"] for i in items] == [12, 14]
    assert rejects == [
        {
            "row": 13,
            "errors": [
                {
                    "field": "timestamp",
                    "reason": "same date and time as row 12 (key 2019-05-28 10:55:09.3853335)",
                    "value": "1559040909.3853335",
                }
            ],
        }
    ]


def test_batch_output_shape_matches_the_asl_result_selector() -> None:
    entries = [{"index": 500, "row": dict(GOOD)}, {"index": 501, "row": {**GOOD, "local_avg": "?"}}]
    result = transform_handler.handler({"Items": entries, "BatchInput": BATCH_INPUT}, None)
    assert set(result) == {"source", "first_row", "rows", "items", "valid", "rejects"}
    assert result["source"] == BATCH_INPUT
    assert (result["first_row"], result["rows"], result["valid"]) == (502, 2, 1)
    assert result["rows"] == result["valid"] + len(result["rejects"])


@settings(max_examples=300, deadline=None)
@given(
    seconds=st.integers(min_value=-62_135_596_800, max_value=253_402_300_799),
    fraction=st.text(alphabet="0123456789", max_size=20),
)
def test_any_timestamp_maps_to_the_same_utc_second_and_digits(seconds: int, fraction: str) -> None:
    """Property: date/time are the UTC second of the whole part, plus the fraction digits as written."""
    assume(seconds >= 0 or not fraction.strip("0"))  # "-5.25" lies in second -6: covered by the table above
    raw = f"{seconds}.{fraction}" if fraction else str(seconds)
    date, time, canonical = row_rules.timestamp_keys(raw)
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    assert date == f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    digits = fraction.rstrip("0")
    assert time == moment.strftime("%H:%M:%S") + (f".{digits}" if digits else "")
    assert Decimal(canonical) == Decimal(raw)


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-(10**30), max_value=10**30))
def test_canonical_number_is_exact_and_plain(value: Decimal) -> None:
    raw = str(value)
    try:
        text = row_rules.canonical_decimal("local_avg", row_rules.parse_decimal("local_avg", raw), raw)
    except row_rules.RowError as err:
        assert "38 significant digits" in err.reason or "range" in err.reason
        return
    assert Decimal(text) == value
    assert "e" not in text.lower() and not (("." in text) and text.endswith("0")) and not text.startswith("+")


@pytest.mark.parametrize("raw", ["1e50", "9.99e125", "1e-129", "123456789e30", "4.39"])
def test_canonical_numbers_are_storable_by_boto3(raw: str) -> None:
    """DynamoDB Numbers hold at most 38 significant digits; boto3's serializer refuses a Decimal whose
    coefficient (trailing zeros included) is longer, so the writer must get a form it can store."""
    from boto3.dynamodb.types import TypeSerializer

    text = row_rules.canonical_decimal("local_avg", row_rules.parse_decimal("local_avg", raw), raw)
    assert Decimal(TypeSerializer().serialize(Decimal(text))["N"]) == Decimal(raw)


# ---- the header, checked once per batch (issue 10, "checks at the door") ---------------------------------


def batch_with_header(names: list[str], *rows: list[str]) -> dict[str, Any]:
    """A batch as the Map hands it over: rows keyed by the file's first line (CSVHeaderLocation FIRST_ROW)."""
    data = rows or ([GOOD.get(name.strip(" \ufeff"), "") for name in names],)
    items = [{"index": i, "row": dict(zip(names, values, strict=True))} for i, values in enumerate(data)]
    return {"Items": items, "BatchInput": BATCH_INPUT}


def header_error(names: list[str]) -> str:
    with pytest.raises(transform_handler.CsvHeaderError) as raised:
        transform_handler.handler(batch_with_header(names), None)
    message = str(raised.value)
    assert message.startswith("bad CSV header in s3://csv-etl-data/incoming/data.csv: "), message
    return message


def test_a_header_with_wrong_columns_fails_the_batch_once_naming_file_and_header() -> None:
    message = header_error(["a", "b", "c"])
    assert (
        "missing columns timestamp, location, source, local_dest, local_avg, remote_dest, remote_avg"
        in message
    )
    assert "unknown columns 'a', 'b', 'c'" in message
    assert "Header: 'a,b,c'" in message


def test_missing_unknown_and_trimmed_duplicate_columns_are_all_named() -> None:
    names = [*row_rules.REQUIRED_COLUMNS[:-1], "comment", " timestamp"]
    message = header_error(names)
    assert "duplicated columns timestamp" in message
    assert "missing columns remote_avg" in message
    assert "unknown columns 'comment'" in message


@pytest.mark.parametrize(("delimiter", "label"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_a_file_with_another_delimiter_is_named_as_such(delimiter: str, label: str) -> None:
    message = header_error([delimiter.join(row_rules.REQUIRED_COLUMNS)])
    assert f"holds a {label}: the file seems {label}-separated, not comma-separated" in message


def test_a_file_without_header_line_is_detected_from_its_first_row() -> None:
    message = header_error(list(GOOD.values()))
    assert (
        "'1559040909.3853335' is a value, not a column name: the file seems to have no header line" in message
    )


def test_space_padded_reordered_and_bom_header_names_are_accepted_trimmed() -> None:
    names = [
        "\ufeff timestamp ",
        " remote_avg",
        "location ",
        "source",
        "local_dest",
        "local_avg",
        "remote_dest",
    ]
    result = transform_handler.handler(batch_with_header(names), None)
    assert (result["valid"], result["rejects"]) == (1, [])
    assert result["items"][0]["timestamp"] == GOOD["timestamp"]
    assert result["items"][0]["remote_avg"] == GOOD["remote_avg"]


def test_a_trailing_empty_column_is_not_an_unknown_column() -> None:
    result = transform_handler.handler(batch_with_header([*row_rules.REQUIRED_COLUMNS, ""]), None)
    assert (result["valid"], result["rejects"]) == (1, [])


def test_an_empty_batch_has_no_header_to_check() -> None:
    result = transform_handler.handler({"Items": [], "BatchInput": BATCH_INPUT}, None)
    assert (result["rows"], result["valid"], result["items"], result["rejects"]) == (0, 0, [], [])


# ---- control characters and non-ASCII digits, per row ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("location", "loc\x00ation", "U+0000 at character 4"),
        ("source", "wire\nless", "U+000A at character 5"),
        ("remote_avg", "9\x01.09", "U+0001 at character 2"),
        ("timestamp", "\x1b1559040909", "U+001B at character 1"),
        ("local_dest", "router\x7f", "U+007F at character 7"),
    ],
)
def test_control_characters_are_rejected_with_the_rest_apis_rule(field: str, value: str, code: str) -> None:
    assert fields(reject_of({**GOOD, field: value})) == {
        field: f"must be one line without control characters ({code})"
    }


def test_a_tab_inside_text_is_white_space_not_a_control_character() -> None:
    item, reject = row_rules.convert_row(0, {**GOOD, "location": "\tlocation\t03 "})
    assert reject is None and item is not None
    assert item["location"] == "location\t03"


@pytest.mark.parametrize(
    "value",
    ["\uff11\uff12", "١٥٥٩٠٤٠٩٠٩", "1559040909.\uff13", "۱۲", "१२"],
    ids=["full-width", "arabic-indic", "mixed", "persian", "devanagari"],
)
def test_non_ascii_digits_are_rejected_not_read_as_numbers(value: str) -> None:
    """Decimal("\uff11\uff12") (full-width 12) is 12 in Python; the pipeline refuses it, as a JSON number
    (the REST API's body) cannot hold it."""
    for field in ("timestamp", "local_avg"):
        assert fields(reject_of({**GOOD, field: value})) == {
            field: "non-ASCII digits: write numbers with 0-9"
        }


def test_text_longer_than_the_rest_apis_limit_is_rejected() -> None:
    assert fields(reject_of({**GOOD, "location": "x" * 300})) == {
        "location": "longer than 256 characters (300)"
    }
    item, reject = row_rules.convert_row(0, {**GOOD, "location": "x" * 256})
    assert reject is None and item is not None
