"""The OpenTelemetry Collector's configuration schema for the components ``tokentrail collector-config``
names, as data, and :func:`problems`, which checks a configuration against it.

Each component's keys are its ``mapstructure`` tags, with squashed (embedded) structs merged in, read from
the Collector's sources:

- open-telemetry/opentelemetry-collector at commit 934999fbab274d10cbf18704b4594a6fb2049887 (2026-08-21):
  otelcol/config.go, service/config.go, service/pipelines/config.go (the top level and ``service``);
  receiver/otlpreceiver/config.go and config.schema.yaml (``protocols``; ``http`` squashes
  confighttp.ServerConfig); config/configgrpc/config.schema.yaml (server_config, which squashes
  confignet.AddrConfig); config/confighttp/config.schema.yaml (server_config, client_config);
  processor/batchprocessor/config.go; internal/memorylimiter/config.go (fields and Validate);
  exporter/otlphttpexporter/config.go (squashes confighttp.ClientConfig) and factory.go;
  exporter/exporterhelper/internal/queuebatch/config.go (``sending_queue``);
  config/configretry/backoff.go (``retry_on_failure``); config/configoptional/optional.go (an Optional
  section also takes ``enabled``); confmap/provider/envprovider/provider.go (``${env:NAME:-default}``).
- open-telemetry/opentelemetry-collector-contrib: extension/storage/filestorage/config.go (the version
  with ``create_directory``, ``directory_permissions`` and ``compaction.cleanup_on_start``) and
  factory.go at commit 0a6c68abb353fafeab15c1b98d585a97c70d9bd6 (defaults: directory
  /var/lib/otelcol/file_storage, directory_permissions 0750).

Sub-sections the generated configuration never writes (tls, auth, cors, keepalive, middlewares, ...) are
accepted as :data:`ANY` rather than modelled.
"""

from __future__ import annotations

import re
from typing import Any

STR, INT, BOOL, FLOAT, DURATION, STR_LIST, STR_MAP, ANY = (
    "string", "integer", "boolean", "number", "duration", "strings", "string_map", "any",
)  # fmt: skip
Schema = dict[str, Any]  # key -> a kind above, or the Schema of a nested section

_GO_DURATION = re.compile(r"0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")
_KINDS = {
    STR: lambda v: isinstance(v, str),
    INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    BOOL: lambda v: isinstance(v, bool),
    FLOAT: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    DURATION: lambda v: isinstance(v, str) and _GO_DURATION.fullmatch(v) is not None,
    STR_LIST: lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
    STR_MAP: lambda v: isinstance(v, dict) and all(isinstance(item, str) for item in v.values()),
    ANY: lambda v: True,
}


def fields(**keys_by_kind: str) -> Schema:
    """A section's keys, given as space-separated names per kind: ``fields(string="endpoint")``."""
    return {key: kind for kind, keys in keys_by_kind.items() for key in keys.split()}


def optional(schema: Schema) -> Schema:
    """A ``configoptional.Optional`` section: its struct's keys, and ``enabled``."""
    return {"enabled": BOOL, **schema}


# configgrpc.ServerConfig, with confignet.AddrConfig squashed
GRPC_SERVER = fields(
    string="endpoint transport",
    integer="max_recv_msg_size_mib max_concurrent_streams read_buffer_size write_buffer_size",
    boolean="include_metadata",
    any="dialer tls keepalive auth middlewares",
)
HTTP_SERVER = fields(  # confighttp.ServerConfig
    string="endpoint",
    integer="max_request_body_size",
    boolean="include_metadata keep_alives_enabled",
    duration="read_timeout read_header_timeout write_timeout idle_timeout",
    strings="compression_algorithms",
    string_map="response_headers",
    any="tls cors auth middlewares",
)
HTTP_CLIENT = fields(  # confighttp.ClientConfig
    string="endpoint proxy_url compression",
    integer="read_buffer_size write_buffer_size max_idle_conns max_idle_conns_per_host max_conns_per_host",
    boolean="disable_keep_alives force_attempt_http2",
    duration="timeout idle_conn_timeout http2_read_idle_timeout http2_ping_timeout",
    string_map="headers",
    any="tls auth compression_params cookies middlewares",
)
QUEUE_BATCH = fields(  # exporterhelper.QueueBatchConfig (queuebatch.Config)
    string="sizer storage",
    integer="queue_size num_consumers",
    boolean="wait_for_result block_on_overflow",
    any="batch",
)
BACK_OFF = fields(  # configretry.BackOffConfig
    boolean="enabled",
    number="randomization_factor multiplier",
    duration="initial_interval max_interval max_elapsed_time",
)

#: Component kind -> component type -> the keys its configuration accepts.
COMPONENTS: dict[str, dict[str, Schema]] = {
    "receivers": {
        "otlp": {
            "protocols": {
                "grpc": optional(GRPC_SERVER),
                "http": optional(
                    {**HTTP_SERVER, **fields(string="traces_url_path metrics_url_path logs_url_path")}
                ),
            }
        }
    },
    "processors": {
        "batch": fields(
            integer="send_batch_size send_batch_max_size metadata_cardinality_limit",
            duration="timeout",
            strings="metadata_keys",
        ),
        "memory_limiter": fields(
            integer="limit_mib spike_limit_mib limit_percentage spike_limit_percentage",
            duration="check_interval min_gc_interval_when_soft_limited min_gc_interval_when_hard_limited "
            "max_gc_interval_when_soft_limited max_gc_interval_when_hard_limited",
        ),
    },
    "exporters": {
        "otlphttp": {
            **HTTP_CLIENT,
            **fields(string="traces_endpoint metrics_endpoint logs_endpoint profiles_endpoint encoding"),
            "sending_queue": optional(QUEUE_BATCH),
            "retry_on_failure": BACK_OFF,
        }
    },
    "extensions": {
        "file_storage": fields(
            string="directory directory_permissions",
            duration="timeout",
            boolean="fsync create_directory",
            any="compaction",
        )
    },
}

#: Component type -> what its Validate() insists on: each tuple is dotted keys of which one must be set.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "otlp": [("protocols.grpc", "protocols.http")],
    "memory_limiter": [("check_interval",), ("limit_mib", "limit_percentage")],
    "otlphttp": [("endpoint", "traces_endpoint")],
}

TOP_LEVEL: Schema = {  # otelcol.Config, with service.Config
    **fields(any=" ".join([*COMPONENTS, "connectors"])),
    "service": fields(strings="extensions", any="telemetry pipelines"),
}
PIPELINE = fields(strings="receivers processors exporters")  # pipelines.PipelineConfig


def _walk(value: Any, schema: Schema | str, where: str) -> list[str]:
    if isinstance(schema, str):
        return [] if _KINDS[schema](value) else [f"{where.rstrip('.')}: {value!r} is not a {schema}"]
    if value is None:  # an empty section: every key takes its default
        return []
    if not isinstance(value, dict):
        return [f"{where.rstrip('.')}: {value!r} is not a section"]
    found = [f"{where}{key}: not a key this section accepts" for key in value if key not in schema]
    for key, item in value.items():
        if key in schema:
            found += _walk(item, schema[key], f"{where}{key}.")
    return found


def _is_set(section: Any, dotted: str) -> bool:
    for key in dotted.split("."):
        if not isinstance(section, dict) or key not in section:
            return False
        section = section[key]
    return section not in (None, "", 0)


def _component_problems(config: dict[str, Any]) -> list[str]:
    found = []
    for kind, known in COMPONENTS.items():
        for component_id, settings in (config.get(kind) or {}).items():
            component_type = component_id.split("/")[0]
            where = f"{kind}.{component_id}"
            if component_type not in known:
                found.append(f"{where}: no such {kind[:-1]} in this schema")
                continue
            found += _walk(settings, known[component_type], f"{where}.")
            for alternatives in REQUIRED.get(component_type, []):
                if not any(_is_set(settings, key) for key in alternatives):
                    found.append(f"{where}: needs {' or '.join(alternatives)}")
    return found


def _reference_problems(config: dict[str, Any]) -> list[str]:
    service = config.get("service") or {}
    found = [
        f"service.extensions: {name} is not defined"
        for name in service.get("extensions") or []
        if name not in (config.get("extensions") or {})
    ]
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        found.append("service.pipelines: no pipeline")
    for pipeline_id, pipeline in pipelines.items():
        where = f"service.pipelines.{pipeline_id}"
        found += _walk(pipeline, PIPELINE, f"{where}.")
        for kind in ("receivers", "exporters"):
            if not (pipeline or {}).get(kind):
                found.append(f"{where}: needs {kind}")
        for kind in PIPELINE:
            found += [
                f"{where}.{kind}: {name} is not defined"
                for name in (pipeline or {}).get(kind) or []
                if name not in (config.get(kind) or {})
            ]
    for exporter_id, settings in (config.get("exporters") or {}).items():
        storage = ((settings or {}).get("sending_queue") or {}).get("storage")
        if storage is not None and storage not in (service.get("extensions") or []):
            found.append(
                f"exporters.{exporter_id}.sending_queue.storage: {storage} is not a service extension"
            )
    return found


def problems(config: Any) -> list[str]:
    """Every way ``config`` breaks the schema above: an unknown key or component, a value of the wrong
    kind, a required setting missing, a reference to a component that is not defined."""
    if not isinstance(config, dict):
        return ["the configuration is not a mapping"]
    return _walk(config, TOP_LEVEL, "") + _component_problems(config) + _reference_problems(config)
