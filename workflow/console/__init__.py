"""The console: executions, files, Map runs, rejects and actions of the pipeline, in the browser (a WSGI app
with a JSON API and a static front end) and in the terminal (`etl trace`).

Everything is read through boto3 clients (Step Functions, S3, DynamoDB, CloudWatch Logs), so the same code
serves the local twin and a deployed stack.
"""
