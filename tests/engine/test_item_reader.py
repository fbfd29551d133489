"""ItemReader: items streamed from S3, parsed as "ItemReader (Map)" and "How Step Functions parses input
CSV files" (AWS Step Functions developer guide) describe."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.io_fixtures import FakeBackend
from workflow.engine.errors import StatesError
from workflow.engine.item_reader import GET_OBJECT, LIST_OBJECTS_V2, read_items

BUCKET = "items-bucket"


@pytest.fixture
def s3(aws: FakeBackend) -> FakeBackend:
    aws.client("s3").create_bucket(Bucket=BUCKET)
    return aws


def put(backend: FakeBackend, key: str, body: str | bytes) -> None:
    data = body.encode() if isinstance(body, str) else body
    backend.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)


def read(backend: FakeBackend, key: str, **config: Any) -> list[Any]:
    reader = {"Resource": GET_OBJECT, "ReaderConfig": config, "Parameters": {"Bucket": BUCKET, "Key": key}}
    return list(read_items(reader, backend))


def csv(backend: FakeBackend, body: str, **config: Any) -> list[Any]:
    put(backend, "data.csv", body)
    return read(backend, "data.csv", InputType="CSV", **{"CSVHeaderLocation": "FIRST_ROW", **config})


# ------------------------------------------------------------------------------------------ CSV


def test_csv_first_row_header_fields_are_strings(s3: FakeBackend) -> None:
    """ "Fields are treated as strings"; the Map iterates rows "starting after the header row"."""
    assert csv(s3, "a,b\n1,2\n3,4\n") == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_csv_given_headers_read_every_line_as_data(s3: FakeBackend) -> None:
    """CSVHeaderLocation GIVEN: the header comes from CSVHeaders and the first line is data."""
    items = csv(s3, "1,307\n1,481\n", CSVHeaderLocation="GIVEN", CSVHeaders=["userId", "movieId"])
    assert items == [{"userId": "1", "movieId": "307"}, {"userId": "1", "movieId": "481"}]


def test_csv_quoted_fields_hold_delimiters_newlines_and_doubled_quotes(s3: FakeBackend) -> None:
    """The AWS parsing example: quoted commas/newlines stay in the field, "" is a literal quote, also
    in an unquoted field ({""MyKey"":""MyValue""})."""
    line = (
        'abc,123,"This string contains commas, a double quote (""), and a newline (\n)",'
        '{""MyKey"":""MyValue""},"[1,2,3]"\n'
    )
    items = csv(
        s3,
        line,
        CSVHeaderLocation="GIVEN",
        CSVHeaders=["MyLetters", "MyNumbers", "MyString", "MyObject", "MyArray"],
    )
    assert items == [
        {
            "MyLetters": "abc",
            "MyNumbers": "123",
            "MyString": 'This string contains commas, a double quote ("), and a newline (\n)',
            "MyObject": '{"MyKey":"MyValue"}',
            "MyArray": "[1,2,3]",
        }
    ]


def test_csv_backslash_escapes(s3: FakeBackend) -> None:
    """Backslashes escape backslashes, quotes and the delimiter; before any other character it is removed."""
    items = csv(s3, "path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\na\\,b,\\x\n")
    assert items == [
        {"path": "C:\\Program Files\\MyApp.exe", "size": "6534512"},
        {"path": "a,b", "size": "x"},
    ]


def test_csv_fewer_fields_get_empty_strings(s3: FakeBackend) -> None:
    """ "If the number of fields in a row is less than the header, Step Functions provides empty strings"."""
    assert csv(s3, "a,b,c\n1\n") == [{"a": "1", "b": "", "c": ""}]


def test_csv_extra_fields_are_skipped(s3: FakeBackend) -> None:
    """ "If the number of fields in a row is more than the header, Step Functions skips the additional"."""
    assert csv(s3, "a,b\n1,2,3,4\n") == [{"a": "1", "b": "2"}]


@pytest.mark.parametrize(
    ("name", "char"), [("PIPE", "|"), ("SEMICOLON", ";"), ("SPACE", " "), ("TAB", "\t"), ("COMMA", ",")]
)
def test_csv_delimiters(s3: FakeBackend, name: str, char: str) -> None:
    """CSVDelimiter accepts COMMA (default), PIPE, SEMICOLON, SPACE, TAB."""
    body = f'a{char}b\n1{char}"x{char}y"\n'
    assert csv(s3, body, CSVDelimiter=name) == [{"a": "1", "b": f"x{char}y"}]


def test_csv_unknown_delimiter_fails(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        csv(s3, "a\n1\n", CSVDelimiter="HASH")
    assert err.value.error == "States.ItemReaderFailed"


def test_csv_crlf_line_endings_and_no_trailing_newline(s3: FakeBackend) -> None:
    """Newlines separate records, whichever convention (CRLF from spreadsheets, missing final newline)."""
    assert csv(s3, "a,b\r\n1,2\r\n3,4") == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_csv_utf8_bom_is_not_part_of_first_header(s3: FakeBackend) -> None:
    put(s3, "bom.csv", "\ufeffa,b\n1,2\n".encode())
    assert read(s3, "bom.csv", InputType="CSV", CSVHeaderLocation="FIRST_ROW") == [{"a": "1", "b": "2"}]


def test_csv_empty_lines_hold_no_record(s3: FakeBackend) -> None:
    assert csv(s3, "a,b\n\n1,2\n\n") == [{"a": "1", "b": "2"}]


def test_csv_empty_values_are_kept_as_empty_strings(s3: FakeBackend) -> None:
    assert csv(s3, 'a,b,c\n,"",\n') == [{"a": "", "b": "", "c": ""}]


def test_csv_duplicate_headers_fail(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        csv(s3, "a,a\n1,2\n")
    assert err.value.error == "States.ItemReaderFailed"
    assert "duplicates" in err.value.cause


def test_csv_header_only_file_has_no_items(s3: FakeBackend) -> None:
    assert csv(s3, "a,b\n") == []


def test_csv_unterminated_quote_fails_naming_the_line(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        csv(s3, 'a,b\n1,2\n3,"open\n4,5\n')
    assert err.value.error == "States.ItemReaderFailed"
    assert "line 3" in err.value.cause


def test_csv_given_without_headers_fails(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        csv(s3, "1,2\n", CSVHeaderLocation="GIVEN")
    assert err.value.error == "States.ItemReaderFailed"


def test_csv_gzip_object_is_decompressed(s3: FakeBackend) -> None:
    """Input files support GZIP compression (e.g. myObject.csv.gz)."""
    put(s3, "data.csv.gz", gzip.compress(b"a,b\n1,2\n"))
    assert read(s3, "data.csv.gz", InputType="CSV", CSVHeaderLocation="FIRST_ROW") == [{"a": "1", "b": "2"}]


def test_csv_max_items_limits_data_rows(s3: FakeBackend) -> None:
    """ReaderConfig.MaxItems: the Distributed Map stops reading after that many items (header excluded)."""
    body = "n\n" + "".join(f"{i}\n" for i in range(10))
    assert [i["n"] for i in csv(s3, body, MaxItems=3)] == ["0", "1", "2"]


def test_max_items_out_of_range_fails(s3: FakeBackend) -> None:
    """MaxItems accepts up to 100,000,000."""
    with pytest.raises(StatesError) as err:
        csv(s3, "n\n1\n", MaxItems=100_000_001)
    assert err.value.error == "States.ItemReaderFailed"


def test_csv_is_streamed_not_read_whole(s3: FakeBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large objects are read in chunks from GetObject's stream: the first item arrives after a small read."""
    rows = "".join(f"{i},{'x' * 50}\n" for i in range(100_000))  # about 5.5 MB
    put(s3, "big.csv", "n,pad\n" + rows)
    reads: list[int] = []
    from botocore.response import StreamingBody

    original = StreamingBody.read

    def spy(self: StreamingBody, amt: int | None = None) -> bytes:
        data = original(self, amt)
        reads.append(len(data) if amt is not None else -1)
        return data

    monkeypatch.setattr(StreamingBody, "read", spy)
    reader = {
        "Resource": GET_OBJECT,
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "Parameters": {"Bucket": BUCKET, "Key": "big.csv"},
    }
    items = read_items(reader, s3)
    assert next(items) == {"n": "0", "pad": "x" * 50}
    assert -1 not in reads and sum(reads) < 1_000_000
    assert sum(1 for _ in items) == 99_999


def test_missing_object_fails_before_iteration(s3: FakeBackend) -> None:
    """A failed GetObject fails the Map with States.ItemReaderFailed, at once."""
    reader = {
        "Resource": GET_OBJECT,
        "ReaderConfig": {"InputType": "CSV"},
        "Parameters": {"Bucket": BUCKET, "Key": "missing.csv"},
    }
    with pytest.raises(StatesError) as err:
        read_items(reader, s3)
    assert err.value.error == "States.ItemReaderFailed"
    assert "missing.csv" in err.value.cause and "NoSuchKey" in err.value.cause


def test_arguments_are_accepted_for_jsonata_states(s3: FakeBackend) -> None:
    """For JSONata states, Parameters is replaced with Arguments."""
    put(s3, "d.csv", "a\n1\n")
    reader = {
        "Resource": GET_OBJECT,
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "Arguments": {"Bucket": BUCKET, "Key": "d.csv"},
    }
    assert list(read_items(reader, s3)) == [{"a": "1"}]


def test_unsupported_resource_fails(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        read_items({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {}}, s3)
    assert err.value.error == "States.ItemReaderFailed"


def test_parquet_is_reported_as_unsupported(s3: FakeBackend) -> None:
    put(s3, "d.parquet", b"PAR1")
    with pytest.raises(StatesError) as err:
        read(s3, "d.parquet", InputType="PARQUET")
    assert err.value.error == "States.ItemReaderFailed" and "PARQUET" in err.value.cause


# ------------------------------------------------------------------------------------------ JSON / JSONL


def test_json_array_items(s3: FakeBackend) -> None:
    """A JSON file holding an array: one item per element, any JSON type."""
    put(s3, "d.json", json.dumps([{"verdict": "true"}, 1, "s", [1, 2], None, 12.5e3, True]))
    assert read(s3, "d.json", InputType="JSON") == [{"verdict": "true"}, 1, "s", [1, 2], None, 12500.0, True]


def test_json_array_streams_across_chunk_boundaries(s3: FakeBackend) -> None:
    """Elements (and numbers) split across read chunks decode whole."""
    data = [{"i": i, "pad": "y" * (i % 700)} for i in range(3000)] + [123456789]
    put(s3, "big.json", json.dumps(data, indent=1))
    assert read(s3, "big.json", InputType="JSON") == data


def test_json_empty_array(s3: FakeBackend) -> None:
    put(s3, "e.json", " [ ] ")
    assert read(s3, "e.json", InputType="JSON") == []


def test_json_not_an_array_fails(s3: FakeBackend) -> None:
    put(s3, "o.json", '{"a": 1}')
    with pytest.raises(StatesError) as err:
        read(s3, "o.json", InputType="JSON")
    assert err.value.error == "States.ItemReaderFailed"


def test_json_malformed_fails(s3: FakeBackend) -> None:
    put(s3, "m.json", '[{"a": 1}, {"b": ]')
    with pytest.raises(StatesError) as err:
        read(s3, "m.json", InputType="JSON")
    assert err.value.error == "States.ItemReaderFailed"


def test_json_items_pointer_selects_nested_array(s3: FakeBackend) -> None:
    """ItemsPointer selects the node holding the items (e.g. /inventory/products/featured)."""
    put(s3, "n.json", json.dumps({"inventory": {"products": {"featured": [{"id": 1}, {"id": 2}]}}}))
    assert read(s3, "n.json", InputType="JSON", ItemsPointer="/inventory/products/featured") == [
        {"id": 1},
        {"id": 2},
    ]


def test_jsonl_one_item_per_line(s3: FakeBackend) -> None:
    """JSON Lines: as many items as lines."""
    put(s3, "d.jsonl", '{"a": 1}\n{"a": 2}\r\n\n[3]\n')
    assert read(s3, "d.jsonl", InputType="JSONL") == [{"a": 1}, {"a": 2}, [3]]


def test_jsonl_bad_line_names_line(s3: FakeBackend) -> None:
    put(s3, "b.jsonl", '{"a": 1}\nnot json\n')
    with pytest.raises(StatesError) as err:
        read(s3, "b.jsonl", InputType="JSONL")
    assert err.value.error == "States.ItemReaderFailed" and "line 2" in err.value.cause


def test_json_trailing_comma_is_malformed(s3: FakeBackend) -> None:
    put(s3, "t.json", "[1, 2,]")
    with pytest.raises(StatesError) as err:
        read(s3, "t.json", InputType="JSON")
    assert err.value.error == "States.ItemReaderFailed"


def test_non_utf8_text_fails_clearly(s3: FakeBackend) -> None:
    put(s3, "latin1.csv", "a,b\ncaf\u00e9,1\n".encode("latin-1"))
    with pytest.raises(StatesError) as err:
        read(s3, "latin1.csv", InputType="CSV", CSVHeaderLocation="FIRST_ROW")
    assert err.value.error == "States.ItemReaderFailed" and "UTF-8" in err.value.cause


def test_version_id_selects_the_object_version(s3: FakeBackend) -> None:
    """Parameters may carry the object VersionId when the bucket is versioned."""
    client = s3.client("s3")
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = client.put_object(Bucket=BUCKET, Key="v.csv", Body=b"a\nold\n")["VersionId"]
    client.put_object(Bucket=BUCKET, Key="v.csv", Body=b"a\nnew\n")
    reader = {
        "Resource": GET_OBJECT,
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "Parameters": {"Bucket": BUCKET, "Key": "v.csv", "VersionId": first},
    }
    assert list(read_items(reader, s3)) == [{"a": "old"}]


@pytest.mark.parametrize(
    ("key", "body", "config"),
    [
        (
            "big.csv",
            "a,b\n1," + "x" * (8 * 1024 * 1024 + 1) + "\n",
            {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        ),
        ("big.jsonl", '{"a": "' + "x" * (8 * 1024 * 1024) + '"}\n', {"InputType": "JSONL"}),
        ("big.json", '[1, "' + "x" * (8 * 1024 * 1024 + 10) + '"]', {"InputType": "JSON"}),
    ],
)
def test_items_over_8_mb_fail(s3: FakeBackend, key: str, body: str, config: dict[str, Any]) -> None:
    """ "Step Functions supports reading an item of up to 8 MB" from CSV, JSON or JSON Lines files."""
    put(s3, key, body)
    with pytest.raises(StatesError) as err:
        read(s3, key, **config)
    assert err.value.error == "States.ItemReaderFailed" and "8 MB" in err.value.cause


def test_json_element_of_several_megabytes_decodes(s3: FakeBackend) -> None:
    element = {"blob": "z" * (3 * 1024 * 1024)}
    put(s3, "large.json", json.dumps([1, element, 2]))
    assert read(s3, "large.json", InputType="JSON") == [1, element, 2]


# ------------------------------------------------------------------------------ manifests, listing


def test_s3_inventory_manifest_reads_gzipped_csv_with_schema_headers(s3: FakeBackend) -> None:
    """S3 inventory: manifest.json's fileSchema names the columns of its CSV(.gz) data files."""
    data = (
        '"src","csvDataset/titles.csv","3399671","2022-11-16T00:29:32.000Z"\n'
        '"src","img/a.jpg","27034","2022-11-15T20:02:16.000Z"\n'
    )
    put(s3, "inv/data/1.csv.gz", gzip.compress(data.encode()))
    put(
        s3,
        "inv/manifest.json",
        json.dumps(
            {
                "sourceBucket": "src",
                "destinationBucket": f"arn:aws:s3:::{BUCKET}",
                "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size, LastModifiedDate",
                "files": [{"key": "inv/data/1.csv.gz", "size": 1}],
            }
        ),
    )
    items = read(s3, "inv/manifest.json", InputType="MANIFEST")
    assert items[0] == {
        "Bucket": "src",
        "Key": "csvDataset/titles.csv",
        "Size": "3399671",
        "LastModifiedDate": "2022-11-16T00:29:32.000Z",
    }
    assert len(items) == 2


def test_athena_manifest_reads_each_listed_file(s3: FakeBackend) -> None:
    """ManifestType ATHENA_DATA: the manifest lists data files (no header line in UNLOAD CSV)."""
    put(s3, "out/f1", "1,a\n")
    put(s3, "out/f2", "2,b\n")
    put(s3, "out/q-manifest.csv", f"s3://{BUCKET}/out/f1\ns3://{BUCKET}/out/f2\n")
    items = read(
        s3,
        "out/q-manifest.csv",
        ManifestType="ATHENA_DATA",
        InputType="CSV",
        CSVHeaderLocation="GIVEN",
        CSVHeaders=["n", "s"],
    )
    assert items == [{"n": "1", "s": "a"}, {"n": "2", "s": "b"}]


def test_list_objects_v2_items_shape(s3: FakeBackend) -> None:
    """s3:listObjectsV2: each item is {Etag, Key, LastModified (epoch seconds), Size, StorageClass}."""
    put(s3, "p/a.txt", "hello")
    put(s3, "p/b.txt", "hi")
    put(s3, "q/c.txt", "x")
    reader = {"Resource": LIST_OBJECTS_V2, "Parameters": {"Bucket": BUCKET, "Prefix": "p/"}}
    items = list(read_items(reader, s3))
    assert [i["Key"] for i in items] == ["p/a.txt", "p/b.txt"]
    assert set(items[0]) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert items[0]["Size"] == 5 and isinstance(items[0]["LastModified"], int)
    assert items[0]["Etag"].startswith('"') and items[0]["StorageClass"] == "STANDARD"


def test_list_objects_v2_paginates(s3: FakeBackend) -> None:
    """Every page of the listing is read (ContinuationToken), not just the first."""
    for i in range(7):
        put(s3, f"many/{i:04d}", "")
    reader = {"Resource": LIST_OBJECTS_V2, "Parameters": {"Bucket": BUCKET, "Prefix": "many/", "MaxKeys": 3}}
    assert [i["Key"] for i in read_items(reader, s3)] == [f"many/{i:04d}" for i in range(7)]


def test_list_objects_v2_load_and_flatten_reads_the_objects(s3: FakeBackend) -> None:
    """Transformation LOAD_AND_FLATTEN: items are the rows of the listed objects, not their metadata."""
    put(s3, "f/1.jsonl", '{"a": 1}\n')
    put(s3, "f/2.jsonl", '{"a": 2}\n{"a": 3}\n')
    reader = {
        "Resource": LIST_OBJECTS_V2,
        "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
        "Parameters": {"Bucket": BUCKET, "Prefix": "f/"},
    }
    assert list(read_items(reader, s3)) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_list_objects_missing_bucket_fails(s3: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        read_items({"Resource": LIST_OBJECTS_V2, "Parameters": {"Bucket": "no-such-bucket-x"}}, s3)
    assert err.value.error == "States.ItemReaderFailed"


# ------------------------------------------------------------------------------ CSV parser properties


def _parse(text: str, delimiter: str = ",") -> list[list[str]]:
    from workflow.engine.item_formats import split_records

    return [fields for _line, fields in split_records(text.splitlines(keepends=True), delimiter)]


_FIELD = st.text(alphabet=st.sampled_from(list('ab ,;|"\t\n\r\u00e9x1')), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(_FIELD, min_size=2, max_size=5), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "|", "\t", " "]),
)
def test_csv_reads_back_what_rfc4180_writers_produce(rows: list[list[str]], delimiter: str) -> None:
    """Files written by standard CSV writers (quoted fields, doubled quotes, embedded newlines) read back
    field for field, whatever the delimiter: "strings enclosed by double quotation marks can contain
    commas and newlines without acting as record delimiters"."""
    import csv as std_csv
    import io as std_io

    out = std_io.StringIO()
    std_csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    assert _parse(out.getvalue(), delimiter) == rows


def test_parser_line_numbers_point_at_record_starts() -> None:
    from workflow.engine.item_formats import split_records

    text = 'a,b\n1,"x\ny"\n2,z\n'
    assert [line for line, _ in split_records(text.splitlines(keepends=True), ",")] == [1, 2, 4]
