"""Forwarding: every accepted span sent on over OTLP/HTTP to other backends, through a queue on disk."""
