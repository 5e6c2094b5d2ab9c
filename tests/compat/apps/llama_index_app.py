"""A LlamaIndex RAG app traced by OpenInference: a query engine over a tiny in-memory ``VectorStoreIndex``,
its embeddings and chat completions served by the stand-in OpenAI API.

Two traces of one session, each under the app's own root span carrying ``session.id`` and ``user.id``:

- ``ask``: the index is built (one batch of document embeddings), then a ``gpt-4o-mini`` query engine
  answers a question: query embedding, retrieval, synthesis, one chat completion;
- ``reason``: an ``o4-mini`` query engine (``reasoning_effort="low"``) over the same index answers another.

Runs in its own virtual environment (LlamaIndex's OpenAI integration needs ``openai`` 2). With
``LLAMA_APP_OPENAI_INSTRUMENTOR=1`` the ``openai`` client is traced by openinference-instrumentation-openai
as well, as apps do to get the embeddings' usage, which LlamaIndex's own spans do not carry.
"""

from __future__ import annotations

import os

from common import report, stand_in_url, trace_id_of, tracer_provider
from openinference.instrumentation.llama_index import LlamaIndexInstrumentor

provider = tracer_provider("llama-index-app")
LlamaIndexInstrumentor().instrument(tracer_provider=provider)
if os.environ.get("LLAMA_APP_OPENAI_INSTRUMENTOR") == "1":
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)

from llama_index.core import Document, Settings, VectorStoreIndex  # noqa: E402  (after instrumenting)
from llama_index.embeddings.openai import OpenAIEmbedding  # noqa: E402
from llama_index.llms.openai import OpenAI  # noqa: E402

SESSION = os.environ["LLAMA_APP_SESSION"]
USER = os.environ["LLAMA_APP_USER"]
DOCUMENTS = ["tokentrail prices every LLM call exactly.", "Cached prompt tokens cost less."]

api_base = stand_in_url() + "/v1"
Settings.embed_model = OpenAIEmbedding(
    model="text-embedding-3-small", api_base=api_base, api_key="test", max_retries=0
)
tracer = provider.get_tracer("llama-index-app")
identity = {"session.id": SESSION, "user.id": USER}

with tracer.start_as_current_span("ask", attributes=identity) as ask:
    index = VectorStoreIndex.from_documents([Document(text=text) for text in DOCUMENTS])
    gpt = OpenAI(model="gpt-4o-mini", api_base=api_base, api_key="test", max_retries=0)
    answer = index.as_query_engine(llm=gpt, similarity_top_k=2).query("Why is a cached prompt cheaper?")

with tracer.start_as_current_span("reason", attributes=identity) as reason:
    o4 = OpenAI(model="o4-mini", api_base=api_base, api_key="test", max_retries=0, reasoning_effort="low")
    reasoned = index.as_query_engine(llm=o4, similarity_top_k=2).query("Think hard: what do caches save?")

report(
    {
        "ask": trace_id_of(ask),
        "reason": trace_id_of(reason),
        "answers": [str(answer), str(reasoned)],
        "retrieved": [node.node.get_content() for node in answer.source_nodes],
    },
    provider,
)
