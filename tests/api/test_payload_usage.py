"""Usage read from a provider's raw response, end to end: a span with the response but no usage
attributes is priced from the payload, and the tree says where the numbers came from."""

from __future__ import annotations

import json
from decimal import Decimal

from otlp_builders import NOW_NS, new_trace_id, protobuf_request, span
from prices import MTOK, per_mtok

ANTHROPIC_RESPONSE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Your key rotates from Settings > Keys."}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 30,
        "output_tokens": 12,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 2000,
    },
}


def test_an_observed_call_with_only_the_raw_response_is_priced_from_it(server):
    trace_id = new_trace_id()
    observed = span(
        "claude-call",
        trace_id,
        start_ns=NOW_NS,
        attributes={
            "langfuse.observation.type": "generation",
            "langfuse.observation.output": json.dumps(ANTHROPIC_RESPONSE),
        },
    )

    assert server.post_otlp(protobuf_request([observed]), "application/x-protobuf").status_code == 200

    (node,) = server.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    assert node["kind"] == "llm"
    assert node["response_model"] == "claude-haiku-4-5-20251001"
    assert node["response_id"] == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert node["usage"] == {"input": 2030, "output": 12, "cache_read": 2000}
    assert set(node["usage_source"].values()) == {"payload"}
    assert node["usage_parser"] == "genai-prices:anthropic/default"
    prices = per_mtok("claude-haiku-4-5", "anthropic", NOW_NS)
    # Anthropic's input_tokens leave the cache reads out: 30 uncached, 2000 read, 12 out.
    expected = (
        30 * prices["input_mtok"] + 2000 * prices["cache_read_mtok"] + 12 * prices["output_mtok"]
    ) / MTOK
    assert node["cost"]["origin"] == "inferred"
    assert Decimal(node["cost"]["total"]) == expected
