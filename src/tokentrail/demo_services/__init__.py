"""The multi-service demo (``tokentrail demo --services``): a gateway, a Celery worker fed through Redis and a
priced tool service, each its own process and traced with :mod:`tokentrail.sdk`, so one user question
becomes one trace across the three."""
