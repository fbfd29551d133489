"""The price table the cost meter uses: us-east-1, on-demand list prices, each with the page it comes from.

Prices are checked in, not fetched, so a cost figure is reproducible and reviewable. Checked on
2026-12-01 against AWS's public pricing pages (stored copies). Free tiers are left out on purpose: the
meter prices the marginal run, as a busy account pays it. Every price is USD per `per` units.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
CHECKED = "2026-12-01"


@dataclass(frozen=True)
class Price:
    """One billed unit: what it is, what it costs, where the figure comes from."""

    key: str
    service: str
    unit: str
    usd: float
    per: int
    source: str
    note: str = ""

    @property
    def unit_usd(self) -> float:
        """The price of one unit."""
        return self.usd / self.per


SFN_PRICING = "https://aws.amazon.com/step-functions/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
SQS_PRICING = "https://aws.amazon.com/sqs/pricing/"
DDB_PRICING = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
S3_PRICING = "https://aws.amazon.com/s3/pricing/"
EVENTS_PRICING = "https://aws.amazon.com/eventbridge/pricing/"
LOGS_PRICING = "https://aws.amazon.com/cloudwatch/pricing/"
XRAY_PRICING = "https://aws.amazon.com/xray/pricing/"

PRICES: dict[str, Price] = {
    p.key: p
    for p in (
        Price(
            "sfn.transition",
            "Step Functions",
            "state transition (STANDARD)",
            0.025,
            1_000,
            SFN_PRICING,
            "counted each time a step runs, retries included",
        ),
        Price(
            "sfn.express.request",
            "Step Functions",
            "EXPRESS request",
            1.00,
            1_000_000,
            SFN_PRICING,
        ),
        Price(
            "sfn.express.gb_s",
            "Step Functions",
            "EXPRESS GB-second (64 MB chunks, 100 ms rounding)",
            0.00001667,
            1,
            SFN_PRICING,
            "first 1,000 hours tier",
        ),
        Price("lambda.request", "Lambda", "request", 0.20, 1_000_000, LAMBDA_PRICING),
        Price(
            "lambda.gb_s.arm64",
            "Lambda",
            "GB-second (Arm)",
            0.0000133334,
            1,
            LAMBDA_PRICING,
            "first 7.5 billion GB-s a month; duration rounded up to 1 ms",
        ),
        Price(
            "lambda.gb_s.x86_64",
            "Lambda",
            "GB-second (x86)",
            0.0000166667,
            1,
            LAMBDA_PRICING,
            "first 6 billion GB-s a month",
        ),
        Price(
            "sqs.request",
            "SQS",
            "request (standard queue; each 64 KB chunk of a payload is one request)",
            0.40,
            1_000_000,
            SQS_PRICING,
        ),
        Price(
            "ddb.wru",
            "DynamoDB",
            "write request unit (on-demand, item up to 1 KB)",
            0.625,
            1_000_000,
            DDB_PRICING,
            "a failed conditional write consumes write units too",
        ),
        Price(
            "ddb.rru",
            "DynamoDB",
            "read request unit (on-demand, strongly consistent read up to 4 KB)",
            0.125,
            1_000_000,
            DDB_PRICING,
        ),
        Price(
            "ddb.import_gb",
            "DynamoDB",
            "GB imported from S3 (uncompressed source size)",
            0.15,
            1,
            DDB_PRICING,
            "import from S3 only creates a new table",
        ),
        Price("s3.put", "S3", "PUT, COPY, POST, LIST request (S3 Standard)", 0.005, 1_000, S3_PRICING),
        Price("s3.get", "S3", "GET, SELECT request (S3 Standard)", 0.0004, 1_000, S3_PRICING),
        Price(
            "events.aws_service",
            "EventBridge",
            "AWS service event on the default bus (S3 Object Created)",
            0.0,
            1_000_000,
            EVENTS_PRICING,
            "state change events published by AWS services are free",
        ),
        Price(
            "logs.ingest_gb",
            "CloudWatch Logs",
            "GB ingested (Standard log class)",
            0.50,
            1,
            LOGS_PRICING,
        ),
        Price(
            "xray.trace",
            "X-Ray",
            "trace recorded",
            5.00,
            1_000_000,
            XRAY_PRICING,
            "upper bound: the default sampling rule records 1 request/s plus 5%",
        ),
    )
}


def price(key: str) -> Price:
    """The price of a unit key; a KeyError names the unknown key."""
    try:
        return PRICES[key]
    except KeyError:
        raise KeyError(f"no price for {key!r} in workflow/cost/prices.py") from None
