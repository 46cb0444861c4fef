"""Generated gRPC stubs for proto/acp/v1/acp.proto. Regenerate with `make proto`; never edit by hand."""
