"""The web UI at ``/``: server-rendered pages over the REST API's functions, plain CSS, a little JS.

``routes`` holds the pages, ``views`` and ``charts`` shape the API's JSON for them (a span's payloads
read as messages by :mod:`tokentrail.semconv.conversation`; one colour per series or service from
``palette``), ``format`` the Jinja filters;
``templates/`` and ``static/`` the rest.
"""
