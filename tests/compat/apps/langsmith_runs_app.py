"""An app traced with the unmodified LangSmith SDK in its default mode (the runs API), pointed at tokentrail
by ``LANGSMITH_ENDPOINT`` and ``LANGSMITH_API_KEY`` alone.

``APP_MODE``: ``zstd`` (the SDK's default: multipart, compressed as /info allows), ``plain`` (zstandard
not importable, so multipart uncompressed) or ``batch`` (the server's info says no multipart, so
``/runs/batch``). It traces: a ``@traceable`` chain over a tool and two llm runs (one priced by its model,
one stating its cost), the thread id on the root only; a ``RunTree`` posted, then patched; a run that
raises; feedback on the root. It prints the run ids as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import sys

if os.environ["APP_MODE"] == "plain":
    sys.modules["zstandard"] = None  # type: ignore[assignment]  # import zstandard now fails

import contextlib

import httpx
import langsmith
from langsmith import Client, traceable
from langsmith.run_helpers import get_current_run_tree
from langsmith.run_trees import RunTree

THREAD = "ls-runs-thread-7"
RUN_IDS: dict[str, str] = {}


@traceable(run_type="tool", name="lookup_order")
def lookup_order(order_id: str) -> dict[str, str]:
    return {"order_id": order_id, "status": "shipped"}


@traceable(
    run_type="llm", name="gpt_call", metadata={"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"}
)
def gpt_call(question: str) -> dict[str, object]:
    usage = {"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280}
    usage["input_token_details"] = {"cache_read": 1000}  # type: ignore[assignment]
    usage["output_token_details"] = {"reasoning": 30}  # type: ignore[assignment]
    return {"role": "assistant", "content": "It shipped.", "usage_metadata": usage}


@traceable(
    run_type="llm", name="priced_call", metadata={"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"}
)
def priced_call(question: str) -> dict[str, object]:
    usage = {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_cost": 0.25,
        "output_cost": 0.5,
    }
    return {"role": "assistant", "content": "ok", "usage_metadata": usage}


@traceable(run_type="chain", name="support_turn")
def support_turn(question: str) -> str:
    RUN_IDS["root"] = str(get_current_run_tree().id)
    lookup_order("A-17")
    priced_call(question)
    return str(gpt_call(question)["content"])


@traceable(run_type="tool", name="broken_tool")
def broken_tool() -> None:
    RUN_IDS["error"] = str(get_current_run_tree().id)
    raise RuntimeError("inventory service unreachable")


def main() -> None:
    mode = os.environ["APP_MODE"]
    info = None
    if mode == "batch":
        info = httpx.get(
            os.environ["LANGSMITH_ENDPOINT"] + "/info", headers={"x-api-key": os.environ["LANGSMITH_API_KEY"]}
        ).json()
        info["batch_ingest_config"]["use_multipart_endpoint"] = False  # as a server without multipart says
    client = Client(info=info)
    with langsmith.tracing_context(enabled=True, client=client, project_name="shop-support"):
        support_turn("Where is A-17?", langsmith_extra={"metadata": {"thread_id": THREAD}})
        with contextlib.suppress(RuntimeError):
            broken_tool()
    tree = RunTree(
        name="manual_step", run_type="chain", inputs={"step": 1}, client=client, project_name="shop-support"
    )
    tree.post()
    client.flush()  # the post reaches the server alone, before the patch
    RUN_IDS["manual"] = str(tree.id)
    tree.end(outputs={"done": True})
    tree.patch()
    client.flush()
    client.create_feedback(
        RUN_IDS["root"], key="helpfulness", score=0.9, comment="solid", trace_id=RUN_IDS["root"]
    )
    client.flush()
    sys.stdout.write("\n" + json.dumps(RUN_IDS) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
