"""The local AWS Step Functions engine: an interpreter of the Amazon States Language."""
