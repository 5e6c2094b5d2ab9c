"""Where forwarded spans go: a :class:`Destination` is a name, an OTLP/HTTP traces URL and its headers.

A destination is given as ``NAME=URL`` or as a preset, ``langsmith`` or ``langfuse`` (``langsmith:eu``,
``langfuse:us`` for the other region), which builds the service's OTLP path and auth header from the
variables its own SDK reads (:data:`PRESETS`); the SDK's base-URL variable points a preset at a self-hosted
instance. Headers are added per destination as ``NAME=Header:Value``; a value ``$VAR`` is read from the
environment, so a key need not sit in the shell's history. A preset whose key is missing is refused at
start (:class:`~tokentrail.config.ConfigError`), naming the variable.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tokentrail.config import ConfigError

__all__ = ["PRESETS", "Destination", "Preset", "destinations", "masked", "parse_destination"]

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Destination:
    """One backend spans are forwarded to."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # auth: never in a log line


def masked(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with their values hidden but for a hint of their length: what status pages show."""
    return {name: "•" * min(8, len(value)) for name, value in headers.items()}


@dataclass(frozen=True, slots=True)
class Preset:
    """A service whose OTLP endpoint and auth header are built from its SDK's variables."""

    #: Region -> the service's base URL; the first is the default.
    regions: Mapping[str, str]
    #: The variable(s) of the base URL (a self-hosted instance), in the order the SDK reads them.
    base_env: tuple[str, ...]
    path: str
    #: The variables that must be set, and how the headers are built from them.
    required: tuple[str, ...]
    headers: Callable[[Mapping[str, str]], dict[str, str]]


def _langsmith_headers(env: Mapping[str, str]) -> dict[str, str]:
    headers = {"x-api-key": env["LANGSMITH_API_KEY"]}
    if env.get("LANGSMITH_PROJECT"):
        headers["Langsmith-Project"] = env["LANGSMITH_PROJECT"]
    return headers


def _langfuse_headers(env: Mapping[str, str]) -> dict[str, str]:
    pair = f"{env['LANGFUSE_PUBLIC_KEY']}:{env['LANGFUSE_SECRET_KEY']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


#: The presets, from the SDKs' own sources (langsmith ``_internal/otel/_otel_client.py`` and
#: ``_addressing.py``; langfuse ``_client/span_processor.py``).
PRESETS: Mapping[str, Preset] = {
    "langsmith": Preset(
        regions={"us": "https://api.smith.langchain.com", "eu": "https://eu.api.smith.langchain.com"},
        base_env=("LANGSMITH_ENDPOINT",),
        path="/otel/v1/traces",
        required=("LANGSMITH_API_KEY",),
        headers=_langsmith_headers,
    ),
    "langfuse": Preset(
        regions={"eu": "https://cloud.langfuse.com", "us": "https://us.cloud.langfuse.com"},
        base_env=("LANGFUSE_BASE_URL", "LANGFUSE_HOST"),
        path="/api/public/otel/v1/traces",
        required=("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"),
        headers=_langfuse_headers,
    ),
}


def parse_destination(spec: str, env: Mapping[str, str]) -> Destination:
    """A destination from ``NAME=URL``, ``PRESET`` or ``PRESET:REGION``, its variables read from ``env``."""
    name, sep, url = spec.strip().partition("=")
    if sep:
        if not _NAME.match(name) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"forward {spec!r}: expected NAME=http(s)://host/path or a preset")
        return Destination(name, url.strip())
    preset_name, _, region = name.partition(":")
    preset = PRESETS.get(preset_name)
    if preset is None:
        raise ConfigError(f"forward {spec!r}: no preset {preset_name!r} (known: {', '.join(PRESETS)})")
    if region and region not in preset.regions:
        raise ConfigError(f"forward {spec!r}: region {region!r} is not one of {', '.join(preset.regions)}")
    missing = [variable for variable in preset.required if not env.get(variable)]
    if missing:
        raise ConfigError(f"forward {preset_name}: set {' and '.join(missing)} (the key to send with)")
    base = next((env[var] for var in preset.base_env if env.get(var)), None)
    base = base or preset.regions[region or next(iter(preset.regions))]
    return Destination(preset_name, base.rstrip("/") + preset.path, preset.headers(env))


def _header(spec: str, env: Mapping[str, str]) -> tuple[str, str, str]:
    """(destination, header, value) from ``NAME=Header:Value``; a ``$VAR`` value is read from ``env``."""
    name, _, rest = spec.partition("=")
    header, _, value = rest.partition(":")
    if not name.strip() or not header.strip() or not value.strip():
        raise ConfigError(f"forward header {spec!r}: expected NAME=Header:Value")
    value = value.strip()
    if value.startswith("$"):
        if not env.get(value[1:]):
            raise ConfigError(f"forward header {spec.partition(':')[0]}: {value[1:]} is not set")
        value = env[value[1:]]
    return name.strip(), header.strip(), value


def destinations(specs: Sequence[str], headers: Sequence[str], env: Mapping[str, str]) -> list[Destination]:
    """The destinations ``specs`` name, each with the ``headers`` given for it; names must be unique and
    every header must name one of them."""
    found = [parse_destination(spec, env) for spec in specs]
    names = [destination.name for destination in found]
    if len(set(names)) != len(names):
        raise ConfigError(f"forward: destination names must be unique, got {', '.join(names)}")
    extra: dict[str, dict[str, str]] = {name: {} for name in names}
    for spec in headers:
        name, header, value = _header(spec, env)
        if name not in extra:
            raise ConfigError(f"forward header for {name!r}: no such destination ({', '.join(names)})")
        extra[name][header] = value
    return [Destination(d.name, d.url, {**d.headers, **extra[d.name]}) for d in found]
