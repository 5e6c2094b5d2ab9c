"""The OpenTelemetry Collector configuration ``tokentrail collector-config`` writes: its YAML parses and
round-trips, it fits the Collector's configuration schema for every component it names
(tests/collector_schema.py, read from the Collector's sources), and a schema check that would let a bogus
key through fails here; each destination gets one exporter whose credentials come from environment
variables; and the endpoints and headers, expanded as the Collector expands them, are accepted by a live
tokentrail serving each vendor's OTLP path."""

from __future__ import annotations

import base64
import re
import subprocess

import httpx
import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from collector_schema import problems
from conftest import bearer
from tokentrail.export.collector import DESTINATIONS, collector_config, render

ALL = list(DESTINATIONS)
TOKENTRAIL = {"tokentrail": "http://tokentrail.internal:4318"}
# The Collector's env provider: ${env:NAME} or ${env:NAME:-default}, inside any string.
ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def generated(names, **options):
    """The configuration as the Collector would read it: the YAML text, parsed."""
    options.setdefault("base_urls", TOKENTRAIL)
    return yaml.safe_load(render(collector_config(names, **options)))


def expand(value: str, env: dict[str, str]) -> str:
    return ENV_REFERENCE.sub(lambda m: env.get(m[1], m[2] or ""), value)


@pytest.mark.parametrize(
    "names, options",
    [
        (ALL, {}),
        (["langsmith"], {"region": "eu"}),
        (["langfuse"], {"region": "us"}),
        (["tokentrail"], {"storage_dir": "/tmp/otelcol-queues"}),
        (["langsmith", "langfuse"], {"base_urls": {"langsmith": "https://ls.corp/api/v1"}}),
    ],
)
def test_the_configuration_fits_the_collectors_schema(names, options):
    assert problems(generated(names, **options)) == []


BOGUS = [
    ("a key the receiver lacks", ("receivers", "otlp", "protocols", "http"), "max_body", 1),
    ("a key memory_limiter lacks", ("processors", "memory_limiter"), "limit_gib", 1),
    ("a key the batch processor lacks", ("processors", "batch"), "flush_interval", "1s"),
    ("a key otlphttp lacks", ("exporters", "otlphttp/langfuse"), "url", "https://x"),
    ("a key the queue lacks", ("exporters", "otlphttp/langsmith", "sending_queue"), "persistent", True),
    ("a key retrying lacks", ("exporters", "otlphttp/tokentrail", "retry_on_failure"), "max_attempts", 5),
    ("a key file_storage lacks", ("extensions", "file_storage"), "path", "/var/lib/x"),
    ("a key the pipeline lacks", ("service", "pipelines", "traces"), "connectors", []),
    ("a duration Go cannot parse", ("processors", "batch"), "timeout", "1 second"),
    ("a count given as text", ("exporters", "otlphttp/langsmith", "sending_queue"), "queue_size", "5000"),
    ("a component not in the schema", ("processors",), "transform", {}),
    ("a pipeline naming an undefined exporter", ("service", "pipelines", "traces"), "exporters", ["otlp/x"]),
    ("a queue kept in no extension", ("exporters", "otlphttp/langfuse", "sending_queue"), "storage", "db"),
]


@pytest.mark.parametrize("what, path, key, value", BOGUS, ids=[row[0] for row in BOGUS])
def test_the_schema_check_refuses_what_the_collector_refuses(what, path, key, value):
    config = generated(ALL)
    section = config
    for step in path:
        section = section[step]
    section[key] = value
    assert any(key in problem for problem in problems(config)), f"{what} went unnoticed"


@pytest.mark.parametrize(
    "path, required",
    [
        (("processors", "memory_limiter", "check_interval"), "check_interval"),
        (("processors", "memory_limiter", "limit_percentage"), "limit_mib or limit_percentage"),
        (("exporters", "otlphttp/langsmith", "traces_endpoint"), "endpoint or traces_endpoint"),
        (("receivers", "otlp", "protocols"), "protocols.grpc or protocols.http"),
    ],
)
def test_the_schema_check_refuses_a_missing_required_setting(path, required):
    config = generated(ALL)
    section = config
    for step in path[:-1]:
        section = section[step]
    del section[path[-1]]
    assert any(problem.endswith(f"needs {required}") for problem in problems(config))


def test_the_yaml_parses_and_round_trips():
    config = collector_config(ALL, base_urls=TOKENTRAIL)
    text = render(config)
    assert yaml.safe_load(text) == config
    assert yaml.safe_load(yaml.safe_dump(yaml.safe_load(text))) == config


def test_memory_limiter_comes_before_batch_and_every_exporter_is_in_the_pipeline():
    config = generated(ALL)
    pipeline = config["service"]["pipelines"]["traces"]
    assert list(config["processors"]) == pipeline["processors"] == ["memory_limiter", "batch"]
    assert pipeline["receivers"] == ["otlp"]
    assert pipeline["exporters"] == list(config["exporters"])
    assert config["service"]["extensions"] == ["file_storage"]
    assert config["extensions"]["file_storage"]["create_directory"] is True
    for exporter in config["exporters"].values():
        assert exporter["sending_queue"]["enabled"] is True
        assert exporter["sending_queue"]["storage"] == "file_storage"
        assert exporter["retry_on_failure"]["enabled"] is True


@pytest.mark.parametrize(
    "names, options, endpoints",
    [
        (["langsmith"], {}, ["https://api.smith.langchain.com/otel/v1/traces"]),
        (["langsmith"], {"region": "eu"}, ["https://eu.api.smith.langchain.com/otel/v1/traces"]),
        (["langfuse"], {}, ["https://cloud.langfuse.com/api/public/otel/v1/traces"]),
        (["langfuse"], {"region": "us"}, ["https://us.cloud.langfuse.com/api/public/otel/v1/traces"]),
        (
            ["langfuse", "tokentrail", "langfuse"],
            {"base_urls": {"langfuse": "https://langfuse.corp/", "tokentrail": "http://tt:4318"}},
            ["https://langfuse.corp/api/public/otel/v1/traces", "http://tt:4318/v1/traces"],
        ),
    ],
)
def test_every_destination_gets_one_exporter_with_its_endpoint(names, options, endpoints):
    exporters = generated(names, **options)["exporters"]
    assert list(exporters) == [f"otlphttp/{name}" for name in dict.fromkeys(names)]
    assert [exporter["traces_endpoint"] for exporter in exporters.values()] == endpoints


def test_credentials_are_environment_references_named_in_the_comments():
    text = render(collector_config(ALL, base_urls=TOKENTRAIL))
    config = yaml.safe_load(text)
    headers = {name: exporter["headers"] for name, exporter in config["exporters"].items()}
    assert headers == {
        "otlphttp/langsmith": {
            "x-api-key": "${env:LANGSMITH_API_KEY}",
            "Langsmith-Project": "${env:LANGSMITH_PROJECT:-default}",
        },
        "otlphttp/langfuse": {"Authorization": "Basic ${env:LANGFUSE_AUTH}"},
        "otlphttp/tokentrail": {"Authorization": "Bearer ${env:TOKENTRAIL_API_KEY}"},
    }
    references = re.findall(r"\$\{[^}]*\}", text)
    assert references and all(ENV_REFERENCE.fullmatch(reference) for reference in references)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    for variable in ("LANGSMITH_API_KEY", "LANGSMITH_PROJECT", "LANGFUSE_AUTH", "TOKENTRAIL_API_KEY"):
        assert any(line.startswith(f"#   {variable}: ") for line in comments), variable


def test_the_langfuse_auth_recipe_in_the_comments_is_base64_of_public_and_secret_key():
    text = render(collector_config(["langfuse"]))
    [recipe] = [
        line.split(": ", 1)[1].split("line: ", 1)[1] for line in text.splitlines() if "LANGFUSE_AUTH:" in line
    ]
    public, secret = "pk-lf-" + "1" * 36, "sk-lf-" + "2" * 36  # long enough for base64 to wrap its lines
    env = {"LANGFUSE_PUBLIC_KEY": public, "LANGFUSE_SECRET_KEY": secret, "PATH": "/usr/bin:/bin"}
    computed = subprocess.run(["sh", "-c", recipe], env=env, capture_output=True, text=True, check=True)
    assert computed.stdout == base64.b64encode(f"{public}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    "names, options, message",
    [
        (
            ["datadog"],
            {},
            "unknown destination 'datadog': give one or more of langsmith, langfuse, tokentrail",
        ),
        ([], {}, "no destination"),
        (["langsmith"], {"region": "mars"}, "unknown region 'mars'"),
        (["tokentrail"], {"base_urls": {}}, "tokentrail needs its base URL"),
    ],
)
def test_what_cannot_be_configured_is_refused_by_name(names, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        collector_config(names, **options)


def test_each_exporter_as_the_collector_would_run_it_is_accepted_by_tokentrail(secured_server):
    """LangSmith's and Langfuse's OTLP paths and credential formats, pointed at tokentrail (which serves
    both), and tokentrail's own: an OTLP/HTTP exporter with each generated endpoint and expanded headers
    delivers its spans into the project of the key."""
    access = secured_server.app.state.access
    access.create_project("shop")
    key, _ = access.create_key("collector", project="shop", rights=["ingest", "read"])
    public_key = key.split("_")[1]
    env = {
        "LANGSMITH_API_KEY": key,
        "LANGFUSE_AUTH": base64.b64encode(f"{public_key}:{key}".encode()).decode(),
        "TOKENTRAIL_API_KEY": key,
    }
    config = generated(ALL, base_urls={name: secured_server.url for name in ALL})
    for exporter_id, exporter in config["exporters"].items():
        provider = TracerProvider(resource=Resource.create({"service.name": exporter_id}))
        otlp = OTLPSpanExporter(
            endpoint=exporter["traces_endpoint"],
            headers={name: expand(value, env) for name, value in exporter["headers"].items()},
            compression=Compression.Gzip,  # otlphttp's default
        )
        provider.add_span_processor(SimpleSpanProcessor(otlp))
        provider.get_tracer("collector").start_span(f"through {exporter_id}").end()
        provider.shutdown()
    secured_server.settle()
    traces = httpx.get(secured_server.url + "/api/v1/traces", headers=bearer(key), timeout=30).json()[
        "traces"
    ]
    assert sorted(trace["name"] for trace in traces) == sorted(
        f"through {name}" for name in config["exporters"]
    )
