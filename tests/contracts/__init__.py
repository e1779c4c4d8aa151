"""Contract tests: the protos in protos/ and the generated Python API."""
