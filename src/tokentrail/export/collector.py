"""An OpenTelemetry Collector configuration that receives OTLP once and exports it to LangSmith, Langfuse
and tokentrail: the "collector in front" alternative to ``serve --forward`` (``docs/forwarding.md``).

Pure: destination names in, the configuration as data and as YAML out. Secrets never appear in it:
each exporter reads its auth header from an environment variable with the Collector's ``${env:VAR}``
syntax, expanded when the Collector loads the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from tokentrail.export.destinations import PRESETS

__all__ = [
    "DEFAULT_STORAGE_DIR",
    "DESTINATIONS",
    "REGIONS",
    "Destination",
    "collector_config",
    "render",
]

#: Where the Collector keeps its sending queues, one per exporter (the file_storage extension's default).
DEFAULT_STORAGE_DIR = "/var/lib/otelcol/file_storage"
#: The storage extension every exporter's sending queue is kept in.
STORAGE = "file_storage"


@dataclass(frozen=True)
class Destination:
    """Where one ``otlphttp`` exporter sends traces, and how it authenticates."""

    path: str
    #: Header name → value; values name environment variables as ``${env:VAR}``.
    headers: Mapping[str, str]
    #: Environment variable → how to set it, for the comments above the configuration and the docs.
    env: Mapping[str, str]
    #: Region → base URL; the first is the one the vendor's SDK uses by default. Empty: no hosted service,
    #: the base URL must be given.
    regions: Mapping[str, str] = field(default_factory=dict)


DESTINATIONS: Mapping[str, Destination] = {
    "langsmith": Destination(
        path=PRESETS["langsmith"].path,
        headers={
            "x-api-key": "${env:LANGSMITH_API_KEY}",
            "Langsmith-Project": "${env:LANGSMITH_PROJECT:-default}",
        },
        env={
            "LANGSMITH_API_KEY": "a LangSmith API key",
            "LANGSMITH_PROJECT": "the LangSmith project the traces go to (unset: `default`)",
        },
        regions=PRESETS["langsmith"].regions,
    ),
    "langfuse": Destination(
        path=PRESETS["langfuse"].path,
        headers={"Authorization": "Basic ${env:LANGFUSE_AUTH}"},
        env={
            "LANGFUSE_AUTH": "base64 of `public key:secret key`, on one line: "
            "printf '%s' \"$LANGFUSE_PUBLIC_KEY:$LANGFUSE_SECRET_KEY\" | base64 | tr -d '\\n'",
        },
        regions=PRESETS["langfuse"].regions,
    ),
    "tokentrail": Destination(
        path="/v1/traces",
        headers={"Authorization": "Bearer ${env:TOKENTRAIL_API_KEY}"},
        env={"TOKENTRAIL_API_KEY": "a tokentrail key with the ingest right; its project receives the spans"},
    ),
}
#: The regions of the hosted destinations (each is hosted in every one).
REGIONS = tuple(sorted({region for each in DESTINATIONS.values() for region in each.regions}))

_RECEIVERS = {
    "otlp": {
        "protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}},
    }
}
# memory_limiter comes first in the pipeline so that, under memory pressure, data is refused at the
# receiver (senders retry) before the batch processor holds it.
_PROCESSORS = {
    "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
    "batch": {"timeout": "1s", "send_batch_size": 1024, "send_batch_max_size": 4096},
}
_QUEUE = {"enabled": True, "storage": STORAGE, "queue_size": 5000}
# A batch is retried until its destination takes it (max_elapsed_time 0: never given up), from the
# on-disk queue, like tokentrail's own forwarding: a destination down for hours loses nothing.
_RETRY = {"enabled": True, "initial_interval": "5s", "max_interval": "1m", "max_elapsed_time": "0s"}


def _traces_endpoint(name: str, region: str | None, base_urls: Mapping[str, str]) -> str:
    destination = DESTINATIONS[name]
    if name in base_urls:
        base = base_urls[name]
    elif destination.regions:
        base = destination.regions[region or next(iter(destination.regions))]
    else:
        raise ValueError(f"{name} needs its base URL")
    return base.rstrip("/") + destination.path


def collector_config(
    names: Iterable[str],
    *,
    region: str | None = None,
    base_urls: Mapping[str, str] | None = None,
    storage_dir: str = DEFAULT_STORAGE_DIR,
) -> dict[str, Any]:
    """The Collector configuration exporting to each named destination (duplicates count once):
    ``region`` picks a hosted service's region (default: its SDK's), ``base_urls`` overrides a
    destination's base URL (self-hosted, or tokentrail's, which it needs)."""
    chosen = list(dict.fromkeys(names))
    unknown = [name for name in chosen if name not in DESTINATIONS]
    if unknown or not chosen:
        what = f"unknown destination {', '.join(map(repr, unknown))}" if unknown else "no destination"
        raise ValueError(f"{what}: give one or more of {', '.join(DESTINATIONS)}")
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region {region!r}: one of {', '.join(REGIONS)}")
    exporters = {
        f"otlphttp/{name}": {
            "traces_endpoint": _traces_endpoint(name, region, base_urls or {}),
            "headers": dict(DESTINATIONS[name].headers),
            "sending_queue": dict(_QUEUE),
            "retry_on_failure": dict(_RETRY),
        }
        for name in chosen
    }
    return {
        "extensions": {STORAGE: {"directory": storage_dir, "create_directory": True}},
        "receivers": _RECEIVERS,
        "processors": _PROCESSORS,
        "exporters": exporters,
        "service": {
            "extensions": [STORAGE],
            "pipelines": {
                "traces": {
                    "receivers": list(_RECEIVERS),
                    "processors": list(_PROCESSORS),
                    "exporters": list(exporters),
                }
            },
        },
    }


def render(config: Mapping[str, Any]) -> str:
    """``config`` as YAML, after comments that say how to run it and which variables to set."""
    names = [exporter.removeprefix("otlphttp/") for exporter in config["exporters"]]
    variables = [f"#   {var}: {how}" for name in names for var, how in DESTINATIONS[name].env.items()]
    header = [
        "# OpenTelemetry Collector configuration written by `tokentrail collector-config`.",
        "# Run it with the contrib distribution (file_storage is a contrib extension):",
        "#   otelcol-contrib --config collector.yaml",
        "# The exporters read their credentials from these environment variables:",
        *variables,
    ]
    return "\n".join(header) + "\n" + yaml.safe_dump(dict(config), sort_keys=False, width=1000)
