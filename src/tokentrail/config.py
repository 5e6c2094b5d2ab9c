"""Server settings, each read once from a ``TOKENTRAIL_*`` environment variable or given explicitly.

Every setting is declared in :data:`SETTINGS` with its variable, default and meaning, so the docs and
``tokentrail serve --help`` can list them and a test can prove each is documented.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokentrail.ingest.redaction import load_policy
from tokentrail.limits import (
    DEFAULT_MAX_ATTRIBUTES,
    DEFAULT_MAX_COST_USD,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SPANS,
    DEFAULT_MAX_TOKENS,
    Limits,
    RequestLimits,
)
from tokentrail.setting_values import (
    LOOPBACK_NAMES,
    MAX_RETENTION_DAYS,
    ConfigError,
    is_loopback,
    parse_admin_key,
    parse_cost_ceiling,
    parse_entries,
    parse_mapping,
    parse_names,
    parse_non_negative_int,
    parse_positive_int,
    parse_retention_days,
    parse_token_ceiling,
)
from tokentrail.store.cluster import check_cluster_name

__all__ = ["MAX_RETENTION_DAYS", "SETTINGS", "ConfigError", "Settings", "is_loopback", "parse_mapping"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server needs to know at start."""

    data_dir: Path = field(default_factory=lambda: Path("~/.tokentrail").expanduser())
    #: ``chdb://<dir>`` (embedded, the default: ``<data_dir>/chdb``) or ``http(s)://host:8123[/database]``.
    store: str = ""
    database: str = "tokentrail"
    #: A ClickHouse cluster (``remote_servers``) the schema is created on; "" for one server.
    clickhouse_cluster: str = ""
    host: str = "127.0.0.1"
    port: int = 4318
    #: The OTLP/gRPC receiver's port, on the same host; 0 turns it off.
    grpc_port: int = 4317
    #: The names a request's ``Host`` header may carry (a web page elsewhere cannot then reach the server
    #: through a name it controls: DNS rebinding); "*" allows any.
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    max_body_bytes: int = 32 * 1024 * 1024
    #: The largest file (a Langfuse media upload) the store keeps.
    max_media_bytes: int = 32 * 1024 * 1024
    max_payload_chars: int = 65536
    max_spans_per_request: int = DEFAULT_MAX_SPANS
    max_attributes_per_span: int = DEFAULT_MAX_ATTRIBUTES
    max_attribute_depth: int = DEFAULT_MAX_DEPTH
    #: A TOML file of redaction rules (see tokentrail.ingest.redaction); None: the built-in rules alone.
    redaction_file: Path | None = None
    #: ``service.name`` -> project, for spans that arrive without a project header.
    projects: Mapping[str, str] = field(default_factory=dict)
    default_project: str = "default"
    batch_max_spans: int = 50_000
    flush_interval_ms: int = 500
    max_pending_spans: int = 500_000
    max_queued_requests: int = 64
    #: Free space (MiB) kept on the data directory's disk: below it ingest answers 503; 0 turns that off.
    min_free_disk_mb: int = 512
    #: A TOML file of price rules saved into the store at start (see tokentrail.pricing.rule_store).
    prices_file: Path | None = None
    #: A folder of tiktoken rank files (``<encoding>.tiktoken``) prompts are counted with; see
    #: tokentrail.pricing.tokenizers for where else they are looked for.
    tokenizer_dir: Path | None = None
    #: Processes that decode and normalize request bodies; None: one per core (at most 4; none on one).
    ingest_processes: int | None = None
    max_tokens_per_span: int = DEFAULT_MAX_TOKENS
    max_span_cost_usd: Decimal = DEFAULT_MAX_COST_USD
    #: The HMAC key API keys are kept under and sessions signed with; "": made once in the data dir.
    secret: str = field(default="", repr=False)
    #: A key that acts as admin without being stored (to bootstrap, or to recover); "": none.
    admin_key: str = field(default="", repr=False)
    session_hours: int = 12
    #: Days a project's rows are kept unless it has a retention of its own (0: forever); see
    #: tokentrail.store.retention.
    retention_days: int = 0
    #: Days before a trace's start whose spans tell how long spans of a name usually take (see
    #: tokentrail.analysis.blowup); a request may ask for another window.
    slow_baseline_days: int = 7
    #: Destinations every accepted span is forwarded to: ``NAME=URL`` or a preset (tokentrail.export).
    forward: tuple[str, ...] = ()
    #: Headers per destination, ``NAME=Header:Value`` (a ``$VAR`` value is read from the environment).
    forward_headers: tuple[str, ...] = ()
    #: MiB each destination's queue may hold on disk before ingest answers 503.
    forward_queue_mb: int = 1024
    #: Seconds between budget checks (tokentrail.budgets.watch); 0: no checks (pending webhooks still go).
    budget_check_s: int = 60
    eval_check_s: int = 30  # tokentrail.evaluators.watch
    #: Hours of recent spend a budget's projection takes its rate from (tokentrail.budgets.periods).
    budget_rate_hours: int = 6
    #: Attempts to send one budget alert's webhook before it is given up as failed.
    webhook_max_attempts: int = 8
    #: The server's address as people reach it, for links in webhooks; "": http://HOST:PORT.
    public_url: str = ""

    def __post_init__(self) -> None:
        # A redaction file that cannot be used stops the server at start, naming the rule at fault (it is
        # read once per process, so this costs nothing later).
        try:
            load_policy(self.redaction_file)
        except ValueError as exc:
            raise ConfigError(f"{SETTINGS['redaction_file'].env}={self.redaction_file}: {exc}") from None

    @property
    def limits(self) -> Limits:
        """The bounds each span's usage and stated cost are held to at ingest."""
        return Limits(self.max_tokens_per_span, self.max_span_cost_usd)

    @property
    def request_limits(self) -> RequestLimits:
        """The shape each OTLP request is held to at decoding."""
        return RequestLimits(
            self.max_spans_per_request,
            self.max_attributes_per_span,
            self.max_payload_chars,
            self.max_attribute_depth,
        )

    @property
    def store_url(self) -> str:
        return self.store or f"chdb://{self.data_dir / 'chdb'}"

    def wal_dir(self, database: str) -> Path:
        """Where the write-ahead log of one database lives (beside the embedded store's data)."""
        return self.data_dir / "wal" / database

    def quarantine_dir(self, database: str) -> Path:
        """Where rows the store refused are kept (see tokentrail.store.quarantine)."""
        return self.data_dir / "quarantine" / database

    @property
    def base_url(self) -> str:
        """Where links sent out of the server (webhooks) point."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def project_for(self, service: str) -> str:
        return self.projects.get(service, self.default_project)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``TOKENTRAIL_*`` variables; explicit overrides (not None) win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, spec in SETTINGS.items():
            raw = environ.get(spec.env)
            if raw is None or raw == "":
                continue
            try:
                values[name] = spec.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{spec.env}={raw!r}: {exc}") from None
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SettingSpec:
    env: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: dict[str, SettingSpec] = {
    "data_dir": SettingSpec(
        "TOKENTRAIL_DATA_DIR", lambda s: Path(s).expanduser(), "Data directory (default ~/.tokentrail)."
    ),
    "store": SettingSpec(
        "TOKENTRAIL_STORE",
        str,
        "Store URL: chdb://DIR (embedded, default DATA_DIR/chdb) or http(s)://host:8123 (ClickHouse server).",
    ),
    "database": SettingSpec("TOKENTRAIL_DATABASE", str, "ClickHouse database name (default tokentrail)."),
    "clickhouse_cluster": SettingSpec(
        "TOKENTRAIL_CLICKHOUSE_CLUSTER",
        check_cluster_name,
        "ClickHouse cluster to create the schema on (replicated tables, one Distributed table each; "
        "needs an http(s) store); unset: one server.",
    ),
    "host": SettingSpec("TOKENTRAIL_HOST", str, "Address to listen on (default 127.0.0.1)."),
    "port": SettingSpec(
        "TOKENTRAIL_PORT", parse_positive_int, "HTTP port for OTLP and the API (default 4318)."
    ),
    "grpc_port": SettingSpec(
        "TOKENTRAIL_GRPC_PORT",
        parse_non_negative_int,
        "gRPC port for OTLP, on the same host (default 4317; 0 turns the gRPC receiver off).",
    ),
    "allowed_hosts": SettingSpec(
        "TOKENTRAIL_ALLOWED_HOSTS",
        parse_names,
        "Host names requests may be addressed to, comma-separated; other Host headers get 400 "
        "(default localhost,127.0.0.1,::1; '*' allows any).",
    ),
    "max_body_bytes": SettingSpec(
        "TOKENTRAIL_MAX_BODY_BYTES",
        parse_positive_int,
        "Largest accepted request body, after decompression (default 33554432); larger gets 413.",
    ),
    "max_media_bytes": SettingSpec(
        "TOKENTRAIL_MAX_MEDIA_BYTES",
        parse_positive_int,
        "Largest file an SDK may upload beside its spans (Langfuse media) (default 33554432); larger gets "
        "413 and the span keeps its media reference.",
    ),
    "max_payload_chars": SettingSpec(
        "TOKENTRAIL_MAX_PAYLOAD_CHARS",
        parse_positive_int,
        "Any text value (input, output, attribute, event attribute, span name, status message) longer "
        "than this many characters is stored cut, ending with a '…[truncated N chars]' marker, and its "
        "span gets tokentrail.truncated=true (default 65536).",
    ),
    "max_spans_per_request": SettingSpec(
        "TOKENTRAIL_MAX_SPANS_PER_REQUEST",
        parse_positive_int,
        "A request with more spans than this is refused with 413, nothing stored (default 20000).",
    ),
    "max_attributes_per_span": SettingSpec(
        "TOKENTRAIL_MAX_ATTRIBUTES_PER_SPAN",
        parse_positive_int,
        "Attributes a span (an event, a resource) keeps; past it the surplus is dropped except the ones "
        "conventions read (usage, model, ids, session), counted in tokentrail.dropped_attributes "
        "(default 1000).",
    ),
    "max_attribute_depth": SettingSpec(
        "TOKENTRAIL_MAX_ATTRIBUTE_DEPTH",
        parse_positive_int,
        "Levels of arrays and maps an attribute value keeps; deeper parts become '…[nested too deep]' "
        "(default 16).",
    ),
    "redaction_file": SettingSpec(
        "TOKENTRAIL_REDACTION_FILE",
        lambda s: Path(s).expanduser(),
        "TOML file of redaction rules (regex -> mask, per project) and built-in rules switched off; "
        "see docs/redaction.md. Built-in rules are on without it.",
    ),
    "projects": SettingSpec(
        "TOKENTRAIL_PROJECTS",
        parse_mapping,
        "service.name to project mapping, e.g. 'checkout=shop,search=shop'.",
    ),
    "default_project": SettingSpec(
        "TOKENTRAIL_DEFAULT_PROJECT",
        str,
        "Project for spans no header or mapping places (default 'default').",
    ),
    "batch_max_spans": SettingSpec(
        "TOKENTRAIL_BATCH_MAX_SPANS",
        parse_positive_int,
        "Most spans the writer inserts at once (default 50000).",
    ),
    "flush_interval_ms": SettingSpec(
        "TOKENTRAIL_FLUSH_INTERVAL_MS",
        parse_positive_int,
        "Longest an accepted span waits in the write-ahead log before it is inserted and queryable "
        "(default 500).",
    ),
    "max_pending_spans": SettingSpec(
        "TOKENTRAIL_MAX_PENDING_SPANS",
        parse_positive_int,
        "Spans waiting for the writer before new requests get 503 + Retry-After (default 500000).",
    ),
    "prices_file": SettingSpec(
        "TOKENTRAIL_PRICES_FILE",
        lambda s: Path(s).expanduser(),
        "TOML file of price rules (model prices, per-call tool prices) saved into the store at start.",
    ),
    "tokenizer_dir": SettingSpec(
        "TOKENTRAIL_TOKENIZER_DIR",
        lambda s: Path(s).expanduser(),
        "Folder of tiktoken encoding files named '<encoding>.tiktoken' (o200k_base, cl100k_base) that "
        "OpenAI models' prompts are counted with (what filled the prompt, docs/costs.md); without it, the "
        "files a registry package bundles (litellm) are used if installed, else characters are counted. "
        "Nothing is ever downloaded.",
    ),
    "ingest_processes": SettingSpec(
        "TOKENTRAIL_INGEST_PROCESSES",
        parse_non_negative_int,
        "Processes that decode and normalize OTLP bodies; 0 runs that on a thread of the server's own "
        "process (default: one per core, at most 4; 0 on a single core).",
    ),
    "max_queued_requests": SettingSpec(
        "TOKENTRAIL_MAX_QUEUED_REQUESTS",
        parse_positive_int,
        "OTLP requests waiting to be decoded before new ones get 503 + Retry-After (default 64).",
    ),
    "min_free_disk_mb": SettingSpec(
        "TOKENTRAIL_MIN_FREE_DISK_MB",
        parse_non_negative_int,
        "Free space in MiB kept on the disk of the data directory and the embedded store: below it OTLP "
        "requests get 503 + Retry-After and reads go on (default 512; 0: never refuse).",
    ),
    "max_tokens_per_span": SettingSpec(
        "TOKENTRAIL_MAX_TOKENS_PER_SPAN",
        parse_token_ceiling,
        "A span stating more tokens of one type than this has its usage dropped and is unpriced "
        "(invalid_usage) (default 1000000000).",
    ),
    "max_span_cost_usd": SettingSpec(
        "TOKENTRAIL_MAX_SPAN_COST_USD",
        parse_cost_ceiling,
        "A cost a span states above this many USD is dropped: an LLM call is priced from its usage, "
        "anything else is unpriced (invalid_cost) (default 1000000).",
    ),
    "secret": SettingSpec(
        "TOKENTRAIL_SECRET",
        str,
        "Secret that API keys are kept under (as HMACs) and UI sessions signed with; every server of one "
        "store must share it (default: made once and kept in DATA_DIR/secret).",
    ),
    "admin_key": SettingSpec(
        "TOKENTRAIL_ADMIN_KEY",
        parse_admin_key,
        "A key (32 characters or more) that acts as admin without being stored: turns authentication on, "
        "to create the first projects and keys, or to recover when every admin key is lost.",
    ),
    "session_hours": SettingSpec(
        "TOKENTRAIL_SESSION_HOURS", parse_positive_int, "Hours a UI sign-in lasts (default 12)."
    ),
    "retention_days": SettingSpec(
        "TOKENTRAIL_RETENTION_DAYS",
        parse_retention_days,
        "Days the store keeps a project's spans unless the project has a retention of its own "
        "(tokentrail retention set); 0 keeps them forever (default 0).",
    ),
    "slow_baseline_days": SettingSpec(
        "TOKENTRAIL_SLOW_BASELINE_DAYS",
        parse_positive_int,
        "Days before a trace's start whose spans are the baseline its critical path is judged against "
        "(how long spans of the same name and service usually take), 1 to 90 (default 7).",
    ),
    "forward": SettingSpec(
        "TOKENTRAIL_FORWARD",
        parse_entries,
        "Destinations every accepted span is also sent to over OTLP/HTTP, ';'-separated: NAME=URL, "
        "'langsmith' (LANGSMITH_API_KEY, LANGSMITH_PROJECT, LANGSMITH_ENDPOINT) or 'langfuse' "
        "(LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL), ':eu' or ':us' for the region; "
        "see docs/forwarding.md.",
    ),
    "forward_headers": SettingSpec(
        "TOKENTRAIL_FORWARD_HEADERS",
        parse_entries,
        "Headers sent to a destination, ';'-separated NAME=Header:Value; a value $VAR is read from that "
        "environment variable.",
    ),
    "forward_queue_mb": SettingSpec(
        "TOKENTRAIL_FORWARD_QUEUE_MB",
        parse_positive_int,
        "MiB of spans each destination's queue holds on disk while it is behind; past it ingest gets 503 "
        "+ Retry-After (default 1024).",
    ),
    "budget_check_s": SettingSpec(
        "TOKENTRAIL_BUDGET_CHECK_S",
        parse_non_negative_int,
        "Seconds between checks of every budget's spend and projection (default 60; 0: no checks, "
        "pending webhooks are still sent); see docs/budgets.md.",
    ),
    "eval_check_s": SettingSpec(
        "TOKENTRAIL_EVAL_CHECK_S", parse_non_negative_int, "Seconds between online evaluations (0: none)."
    ),
    "budget_rate_hours": SettingSpec(
        "TOKENTRAIL_BUDGET_RATE_HOURS",
        parse_positive_int,
        "Hours of recent spend whose rate a budget's projection carries to the period's end (default 6).",
    ),
    "webhook_max_attempts": SettingSpec(
        "TOKENTRAIL_WEBHOOK_MAX_ATTEMPTS",
        parse_positive_int,
        "Attempts to send a budget alert's webhook (5xx, 429 or no answer are tried again) before it is "
        "marked failed (default 8).",
    ),
    "public_url": SettingSpec(
        "TOKENTRAIL_PUBLIC_URL",
        str,
        "The server's URL as people reach it (e.g. https://tokentrail.example.com), for the links in "
        "budget webhooks (default http://HOST:PORT).",
    ),
}

assert set(SETTINGS) == {f.name for f in fields(Settings)}, "every setting must be declared in SETTINGS"
