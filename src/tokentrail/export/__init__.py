"""Sending accepted spans on to other OTLP backends."""
