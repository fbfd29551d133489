"""Definition validation lives in `workflow.engine.asl.validate`; this name stays for its callers."""

from workflow.engine.asl.validate import validate_definition

__all__ = ["validate_definition"]
