"""The executor's parts: run-time records, the I/O pipeline, Retry/Catch and one module per state kind."""
