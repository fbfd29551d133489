"""`python -m workflow` is the `etl` command."""

from workflow.cli import app

app(prog_name="etl")
