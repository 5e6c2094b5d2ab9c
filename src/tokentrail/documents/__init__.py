"""The JSON documents of the read routes, shaped from store rows and analysis results: what ``/api/v1``
returns and what the pages render, so a page and its JSON never disagree (money as exact decimal
strings, times as Unix nanoseconds and ISO 8601)."""
