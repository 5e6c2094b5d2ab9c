"""LlamaIndex traced by openinference-instrumentation-llama-index, exporting over OTLP to a live server: a
query engine over a tiny in-memory ``VectorStoreIndex`` (``apps/llama_index_app.py``), its embeddings and
chat completions answered by the stand-in OpenAI API.

LlamaIndex's LLM spans come in two layers: ``OpenAI.predict`` (no usage) around ``OpenAI.chat`` (the call's
usage, cached input and reasoning included). A wrapper is not a call: the outer span is marked
``duplicate_of`` the call, is never reported unpriced, and the trace costs what the calls cost. LlamaIndex's
embedding spans carry no usage at all, so alone they are one unpriced call per request to the provider;
with openinference-instrumentation-openai tracing the ``openai`` client as well, every call is priced.

The app runs in its own virtual environment: LlamaIndex's OpenAI integration needs ``openai`` 2, the test
environment has 3.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.compat.expected import named, nonzero, openai_call, openai_cost, priced_facts
from tests.compat.isolated import library_python, run_app
from tests.compat.traces import one, shape, tree_of

from prices import MTOK, per_mtok
from providers import openai_api as stand_in
from providers.openai_api import EmbeddingReply, OpenAIAPI, Reply

if TYPE_CHECKING:
    from conftest import LiveServer

openai_api = stand_in.openai_api  # the stand-in OpenAI API, as this module's fixture

#: LlamaIndex and its instrumentation, pinned; ``openai`` 2.x as ``llama-index-llms-openai`` 0.8 requires.
PINS = (
    "llama-index-core==0.14.25",
    "llama-index-llms-openai==0.8.3",
    "llama-index-embeddings-openai==0.7.0",
    "openinference-instrumentation-llama-index==4.6.1",
    "openai==2.54.0",
    "openinference-instrumentation-openai==0.1.66",
)

SESSION = "s-llama"
USER = "ana@example.com"
EMBEDDER = "text-embedding-3-small"
#: What the stand-in says served the calls (LlamaIndex's spans only name the requested alias).
GPT_4O_MINI = "gpt-4o-mini-2024-07-18"
O4_MINI = "o4-mini-2025-04-16"

#: The calls the app makes, in order, and the stand-in's answer to each.
DOCUMENTS = EmbeddingReply(model=EMBEDDER, prompt_tokens=14)  # both documents, one batch
QUESTION = EmbeddingReply(model=EMBEDDER, prompt_tokens=8)
ANSWER = Reply(
    text="Cached prompts are cheaper.",
    model=GPT_4O_MINI,
    prompt_tokens=1200,
    completion_tokens=80,
    cached_tokens=1000,
)
SECOND_QUESTION = EmbeddingReply(model=EMBEDDER, prompt_tokens=9)
REASONED = Reply(
    text="They save recomputing the prompt.",
    model=O4_MINI,
    prompt_tokens=2000,
    completion_tokens=900,
    cached_tokens=1536,
    reasoning_tokens=768,
)
ANSWER_USAGE = {"input": 1200, "output": 80, "cache_read": 1000}
REASONED_USAGE = {"input": 2000, "output": 900, "cache_read": 1536, "reasoning": 768}

#: What a query engine's ``query`` makes, below the app's root span (``None`` here): retrieval (with the
#: question's embedding), then synthesis (compact-and-refine, one LLM call in two layers).
_QUERY: list[tuple[str, str | None, str]] = [
    ("RetrieverQueryEngine.query", None, "chain"),
    ("RetrieverQueryEngine._query", "RetrieverQueryEngine.query", "chain"),
    ("VectorIndexRetriever.retrieve", "RetrieverQueryEngine._query", "retrieval"),
    ("VectorIndexRetriever._retrieve", "VectorIndexRetriever.retrieve", "retrieval"),
    ("OpenAIEmbedding.get_query_embedding", "VectorIndexRetriever._retrieve", "embedding"),
    ("OpenAIEmbedding._get_query_embedding", "OpenAIEmbedding.get_query_embedding", "embedding"),
    ("CompactAndRefine.synthesize", "RetrieverQueryEngine._query", "chain"),
    ("CompactAndRefine.get_response", "CompactAndRefine.synthesize", "chain"),
    ("TokenTextSplitter.split_text", "CompactAndRefine.get_response", "chain"),
    ("CompactAndRefine.get_response", "CompactAndRefine.get_response", "chain"),
    ("TokenTextSplitter.split_text", "CompactAndRefine.get_response", "chain"),
    ("DefaultRefineProgram.__call__", "CompactAndRefine.get_response", "chain"),
    ("OpenAI.predict", "DefaultRefineProgram.__call__", "llm"),
    ("OpenAI.chat", "OpenAI.predict", "llm"),
]
#: What ``VectorStoreIndex.from_documents`` makes: node parsing, then one batch of embeddings.
_INDEX: list[tuple[str, str | None, str]] = [
    ("SentenceSplitter.__call__", None, "chain"),
    ("SentenceSplitter._parse_nodes", "SentenceSplitter.__call__", "chain"),
    ("SentenceSplitter.split_text_metadata_aware", "SentenceSplitter._parse_nodes", "chain"),
    ("SentenceSplitter.split_text_metadata_aware", "SentenceSplitter._parse_nodes", "chain"),
    ("OpenAIEmbedding.get_text_embedding_batch", None, "embedding"),
]
#: The spans openinference-instrumentation-openai adds, each the child of the LlamaIndex span named.
_CLIENT_SPANS = {
    "OpenAIEmbedding.get_text_embedding_batch": ("CreateEmbeddings", "embedding"),
    "OpenAIEmbedding._get_query_embedding": ("CreateEmbeddings", "embedding"),
    "OpenAI.chat": ("ChatCompletion", "llm"),
}


def expected_shape(root: str, *, indexing: bool, client_spans: bool) -> list[tuple[str, str | None, str]]:
    """The tree below the app's span ``root``, depth first in start order: (name, parent's name, kind)."""
    shape: list[tuple[str, str | None, str]] = [(root, None, "other")]
    for name, parent, kind in (_INDEX if indexing else []) + _QUERY:
        shape.append((name, parent or root, kind))
        if client_spans and name in _CLIENT_SPANS:
            child, child_kind = _CLIENT_SPANS[name]
            shape.append((child, name, child_kind))
    return shape


@pytest.fixture(scope="module")
def llama_index_python() -> Path:
    """The Python of LlamaIndex's own virtual environment (built once, cached between runs)."""
    return library_python("llama-index", PINS)


def run_rag_app(
    server: LiveServer, openai_api: OpenAIAPI, python: Path, *, openai_instrumentor: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the app against the stand-in; the ``ask`` and ``reason`` trace trees once the server has them."""
    openai_api.reply(DOCUMENTS, QUESTION, ANSWER, SECOND_QUESTION, REASONED)
    facts = run_app(
        "llama_index_app.py",
        server_url=server.url,
        stand_in_url=openai_api.url,
        python=python,
        env={
            "LLAMA_APP_SESSION": SESSION,
            "LLAMA_APP_USER": USER,
            "LLAMA_APP_OPENAI_INSTRUMENTOR": "1" if openai_instrumentor else "0",
        },
    )
    assert facts["answers"] == [ANSWER.text, REASONED.text]
    # The stand-in embeds every text alike: both documents are retrieved, in either order.
    assert sorted(facts["retrieved"]) == [
        "Cached prompt tokens cost less.",
        "tokentrail prices every LLM call exactly.",
    ]
    assert openai_api.pending == 0
    requests = [(request.path, request.body.get("model")) for request in openai_api.requests]
    assert requests == [
        ("/v1/embeddings", EMBEDDER),
        ("/v1/embeddings", EMBEDDER),
        ("/v1/chat/completions", "gpt-4o-mini"),
        ("/v1/embeddings", EMBEDDER),
        ("/v1/chat/completions", "o4-mini"),
    ]
    assert openai_api.requests[4].body["reasoning_effort"] == "low"
    # openinference-instrumentation-openai adds a span per request: three in ``ask``, two in ``reason``.
    ask = tree_of(server, facts["ask"], spans=23 if openai_instrumentor else 20)
    reason = tree_of(server, facts["reason"], spans=17 if openai_instrumentor else 15)
    return ask, reason


def trace_rows(server: LiveServer) -> dict[str, dict[str, Any]]:
    return {row["trace_id"]: row for row in server.get("/api/v1/traces", limit=10).json()["traces"]}


def assert_wrapper(wrapper: dict[str, Any], call: dict[str, Any]) -> None:
    """``wrapper`` is the usage-less outer layer of the call counted on ``call``: not a call of its own."""
    assert wrapper["duplicate_of"] == call["span_id"], wrapper["name"]
    reason = wrapper["duplicate_reason"]
    assert reason.startswith("a wrapper, not a call") and reason.endswith(f"span {call['span_id']}"), reason
    assert nonzero(wrapper["usage"]) == {}
    assert wrapper["cost"]["unpriced_reason"] is None
    assert wrapper["cost"]["origin"] is None
    assert wrapper["subtree_cost"]["total"] == call["subtree_cost"]["total"]


def embedding_cost(tokens: int, node: dict[str, Any]) -> Decimal:
    return tokens * per_mtok(EMBEDDER, "openai", node["start_ns"])["input_mtok"] / MTOK


def test_query_engine_llm_calls_are_priced_once_and_the_predict_wrapper_is_not_an_unpriced_call(
    server: LiveServer, openai_api: OpenAIAPI, llama_index_python: Path
) -> None:
    ask, reason = run_rag_app(server, openai_api, llama_index_python, openai_instrumentor=False)

    assert shape(ask) == expected_shape("ask", indexing=True, client_spans=False)
    assert shape(reason) == expected_shape("reason", indexing=False, client_spans=False)
    chat, predict = one(ask, "OpenAI.chat"), one(ask, "OpenAI.predict")
    # LlamaIndex's LLM spans name the model asked for (``llm.model_name``), not the one that answered.
    answered = openai_call(chat, model="gpt-4o-mini", usage=ANSWER_USAGE)
    assert priced_facts(chat) == answered
    assert chat["cost"]["price_source"] == "genai-prices:openai/gpt-4o-mini"
    prices = per_mtok("gpt-4o-mini", "openai", chat["start_ns"])
    assert {key: Decimal(value) for key, value in chat["cost"]["by_type"].items()} == {
        "input": 200 * prices["input_mtok"] / MTOK,
        "cache_read": 1000 * prices["cache_read_mtok"] / MTOK,
        "output": 80 * prices["output_mtok"] / MTOK,
    }
    assert_wrapper(predict, chat)
    assert (predict["provider"], predict["response_model"] or predict["request_model"]) == (
        "openai",
        "gpt-4o-mini",
    )
    assert (
        "Why is a cached prompt cheaper?" in chat["input"]
        and "Cached prompt tokens cost less." in chat["input"]
    )
    assert chat["output"] == "assistant: Cached prompts are cheaper."
    assert chat["attributes"]["llm.token_count.total"] == "1280"

    chat, predict = one(reason, "OpenAI.chat"), one(reason, "OpenAI.predict")
    reasoned = openai_call(chat, model="o4-mini", usage=REASONED_USAGE)
    assert priced_facts(chat) == reasoned
    prices = per_mtok("o4-mini", "openai", chat["start_ns"])
    assert (
        reasoned["cost"]
        == (464 * prices["input_mtok"] + 1536 * prices["cache_read_mtok"] + 900 * prices["output_mtok"])
        / MTOK
    )
    assert_wrapper(predict, chat)

    # No LLM span is unpriced: the wrappers are no calls that went missing.
    for tree in (ask, reason):
        assert [
            node["name"]
            for node in tree["spans"]
            if node["kind"] == "llm" and node["cost"]["unpriced_reason"]
        ] == []
        llm_layers = [
            node["name"] for node in tree["spans"] if node["kind"] == "llm" and node["duplicate_of"]
        ]
        assert llm_layers == ["OpenAI.predict"]
    unpriced = server.get("/api/v1/costs/unpriced").json()
    assert [group["model"] for group in unpriced["groups"]] == [EMBEDDER]  # LlamaIndex's embeddings: below
    assert '">wrapper</span>' in server.get(f"/traces/{reason['trace_id']}").text  # OpenAI.predict

    # The traces cost their LLM calls (the embeddings' cost is unknown: see the next test).
    assert Decimal(ask["cost"]) == answered["cost"]
    assert Decimal(reason["cost"]) == reasoned["cost"]
    rows = trace_rows(server)
    assert {(row["session_id"], row["user_id"]) for row in rows.values()} == {(SESSION, USER)}
    assert Decimal(rows[ask["trace_id"]]["cost"]) == answered["cost"]
    assert sorted(rows[ask["trace_id"]]["models"]) == ["gpt-4o-mini", EMBEDDER]
    assert sorted(rows[reason["trace_id"]]["models"]) == ["o4-mini", EMBEDDER]
    assert nonzero(rows[reason["trace_id"]]["usage"]) == REASONED_USAGE
    session = server.get(f"/api/v1/sessions/{SESSION}").json()
    assert (session["trace_count"], session["user_id"]) == (2, USER)
    assert Decimal(session["cost"]) == answered["cost"] + reasoned["cost"]
    assert nonzero(session["usage"]) == {
        "input": 3200,
        "output": 980,
        "cache_read": 2536,
        "reasoning": 768,
    }


def test_llama_index_embeddings_without_usage_are_one_unpriced_call_each_not_one_per_layer(
    server: LiveServer, openai_api: OpenAIAPI, llama_index_python: Path
) -> None:
    # LlamaIndex's OpenAIEmbedding drops the API's usage, and its spans state none: the cost of the three
    # embedding requests is unknown, and each is reported unpriced, once. ``get_query_embedding`` wraps
    # ``_get_query_embedding``: one request, two layers, one unpriced call.
    ask, reason = run_rag_app(server, openai_api, llama_index_python, openai_instrumentor=False)

    batch = one(ask, "OpenAIEmbedding.get_text_embedding_batch")
    assert batch["input"] == (
        '{"texts": ["tokentrail prices every LLM call exactly.", "Cached prompt tokens cost less."], '
        '"show_progress": false}'
    )
    assert batch["attributes"]["embedding.embeddings.1.embedding.text"] == "Cached prompt tokens cost less."
    calls = [batch]
    for tree in (ask, reason):
        outer, inner = (
            one(tree, "OpenAIEmbedding.get_query_embedding"),
            one(tree, "OpenAIEmbedding._get_query_embedding"),
        )
        assert inner["parent_span_id"] == outer["span_id"]
        assert outer["duplicate_of"] == inner["span_id"], "a wrapper of the request, not a second request"
        assert outer["cost"]["unpriced_reason"] is None
        calls.append(inner)
    for call in calls:
        assert priced_facts(call) == {
            "kind": "embedding",
            "provider": None,  # LlamaIndex's embedding spans name the model only
            "model": EMBEDDER,
            "usage": {},
            "usage_source": {},
            "cost": Decimal(0),
            "origin": None,
            "unpriced_reason": "no_usage",
            "duplicate_of": None,
        }, call["name"]

    page = server.get(f"/traces/{reason['trace_id']}").text
    assert page.count('">wrapper</span>') == 2  # OpenAI.predict, OpenAIEmbedding.get_query_embedding
    assert page.count('">unpriced</span>') == 1  # OpenAIEmbedding._get_query_embedding
    rows = trace_rows(server)
    assert (rows[ask["trace_id"]]["unpriced_count"], rows[reason["trace_id"]]["unpriced_count"]) == (2, 1)
    unpriced = server.get("/api/v1/costs/unpriced").json()
    assert (unpriced["span_count"], unpriced["trace_count"]) == (3, 2)
    (group,) = unpriced["groups"]
    assert (group["reason"], group["model"], group["span_count"], group["trace_count"]) == (
        "no_usage",
        EMBEDDER,
        3,
        2,
    )


def test_with_the_openai_instrumentor_every_call_is_priced_once_and_nothing_is_unpriced(
    server: LiveServer, openai_api: OpenAIAPI, llama_index_python: Path
) -> None:
    ask, reason = run_rag_app(server, openai_api, llama_index_python, openai_instrumentor=True)

    assert shape(ask) == expected_shape("ask", indexing=True, client_spans=True)
    assert shape(reason) == expected_shape("reason", indexing=False, client_spans=True)

    # Embeddings: the client's CreateEmbeddings span is the call; LlamaIndex's spans above it wrap it.
    documents, question = named(ask, "CreateEmbeddings")
    (second_question,) = named(reason, "CreateEmbeddings")
    embedded = {
        "documents": openai_call(documents, model=EMBEDDER, usage={"input": 14}, kind="embedding"),
        "question": openai_call(question, model=EMBEDDER, usage={"input": 8}, kind="embedding"),
        "second question": openai_call(second_question, model=EMBEDDER, usage={"input": 9}, kind="embedding"),
    }
    assert priced_facts(documents) == embedded["documents"]
    assert priced_facts(question) == embedded["question"]
    assert priced_facts(second_question) == embedded["second question"]
    assert embedded["documents"]["cost"] == embedding_cost(14, documents)
    assert_wrapper(one(ask, "OpenAIEmbedding.get_text_embedding_batch"), documents)
    for tree, call in ((ask, question), (reason, second_question)):
        assert_wrapper(one(tree, "OpenAIEmbedding.get_query_embedding"), call)
        assert_wrapper(one(tree, "OpenAIEmbedding._get_query_embedding"), call)

    # Chat: ChatCompletion (the served model) is the call; OpenAI.chat is a second layer with the same
    # usage, OpenAI.predict a wrapper without.
    answered = openai_call(one(ask, "ChatCompletion"), model=GPT_4O_MINI, usage=ANSWER_USAGE)
    reasoned = openai_call(one(reason, "ChatCompletion"), model=O4_MINI, usage=REASONED_USAGE)
    for tree, expected in ((ask, answered), (reason, reasoned)):
        call, chat = one(tree, "ChatCompletion"), one(tree, "OpenAI.chat")
        assert priced_facts(call) == expected
        assert nonzero(chat["usage"]) == expected["usage"]
        assert chat["duplicate_of"] == call["span_id"]
        assert_wrapper(one(tree, "OpenAI.predict"), call)
    assert answered["cost"] == openai_cost(
        "gpt-4o-mini", one(ask, "ChatCompletion")["start_ns"], ANSWER_USAGE
    )

    # Each trace costs the sum of its calls, each counted once; nothing is unpriced.
    ask_cost = embedded["documents"]["cost"] + embedded["question"]["cost"] + answered["cost"]
    reason_cost = embedded["second question"]["cost"] + reasoned["cost"]
    assert Decimal(ask["cost"]) == ask_cost
    assert Decimal(reason["cost"]) == reason_cost
    for tree in (ask, reason):
        assert [node["name"] for node in tree["spans"] if node["cost"]["unpriced_reason"]] == []
    rows = trace_rows(server)
    assert [row["unpriced_count"] for row in rows.values()] == [0, 0]
    assert {(row["session_id"], row["user_id"]) for row in rows.values()} == {(SESSION, USER)}
    assert Decimal(rows[ask["trace_id"]]["cost"]) == ask_cost
    assert nonzero(rows[ask["trace_id"]]["usage"]) == {
        "input": 14 + 8 + 1200,
        "output": 80,
        "cache_read": 1000,
    }
    assert nonzero(rows[reason["trace_id"]]["usage"]) == {**REASONED_USAGE, "input": 9 + 2000}
    unpriced = server.get("/api/v1/costs/unpriced").json()
    assert (unpriced["span_count"], unpriced["groups"]) == (0, [])
    assert ">+?</span>" not in server.get("/traces").text
    page = server.get(f"/traces/{ask['trace_id']}").text
    assert page.count('">wrapper</span>') == 4 and '">unpriced</span>' not in page
    session = server.get(f"/api/v1/sessions/{SESSION}").json()
    assert (session["trace_count"], session["user_id"]) == (2, USER)
    assert Decimal(session["cost"]) == ask_cost + reason_cost
    assert nonzero(session["usage"]) == {"input": 3231, "output": 980, "cache_read": 2536, "reasoning": 768}

    # Each wrapper wraps one call: OpenAI.chat and ChatCompletion are two layers of it, not two calls.
    why = [
        node["duplicate_reason"] for tree in (ask, reason) for node in tree["spans"] if node["duplicate_of"]
    ]
    assert [text for text in why if " calls" in text] == []
