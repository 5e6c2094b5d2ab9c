"""Receivers' decoding stage: wire formats in, raw spans out."""
