"""Who may do what: projects, API keys, the principal a request acts as, and UI sessions.

Nothing here knows HTTP: :mod:`tokentrail.api.auth` reads credentials off requests and asks
:class:`~tokentrail.access.registry.Access` who they belong to.
"""
