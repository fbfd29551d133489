"""`python -m workflow` is the `etl` command."""

from workflow.cli import main

main()
