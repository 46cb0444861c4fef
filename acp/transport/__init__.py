"""Transports: thin adapters (gRPC, HTTP/JSON) around the one engine, plus the process that serves them."""
