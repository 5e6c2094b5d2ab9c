"""The HTTP application: OTLP receiver and the REST API under /api/v1."""

from tokentrail.api.app import create_app

__all__ = ["create_app"]
