"""The navigation every page shows: its items, in order, and which one the current page is under."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

__all__ = ["NAV", "nav_items"]

#: (label, path) of each page in the navigation, in order.
NAV: tuple[tuple[str, str], ...] = (
    ("Traces", "/traces"),
    ("Sessions", "/sessions"),
    ("Costs", "/costs"),
    ("Explain", "/explain"),
    ("Scores", "/scores"),
    ("Quality", "/quality"),
    ("Errors", "/errors"),
    ("Budgets", "/budgets"),
    ("Evaluators", "/evaluators"),
    ("Datasets", "/datasets"),
    ("Experiments", "/experiments"),
)


def nav_items(request: Request, project: str | None) -> list[dict[str, Any]]:
    """The navigation for ``request``, its links keeping the project the page shows."""
    suffix = f"?project={project}" if project else ""
    items = list(NAV)
    if getattr(request.app.state, "forwarding", ()):  # a page may answer before the app started
        items.append(("Forwarding", "/forwarding"))
    return [
        {"label": label, "href": href + suffix, "current": request.url.path.startswith(href)}
        for label, href in items
    ]
