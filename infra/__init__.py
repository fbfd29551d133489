"""CDK app that deploys the pipeline that runs locally: the same ASL file and the same `tasks/` folders."""
