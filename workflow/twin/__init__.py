"""The local twin: one AWS endpoint (moto + our Step Functions engine + a Lambda API), an in-process Lambda
runtime, the S3 -> EventBridge -> execution wiring, the writer's SQS event source mapping, and `etl up`."""
