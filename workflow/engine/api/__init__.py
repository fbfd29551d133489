"""The Step Functions API actions, one module per concern; `service.StepFunctions` joins them."""
