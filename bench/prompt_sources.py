"""Prompt attribution throughput: what the ingest ``Attribute`` stage costs per LLM call, against merely
parsing the same captured inputs as JSON, measured in the same run.

The load: conversations of 1 to ``--turns`` turns (a system prompt, user questions, assistant answers and
tool calls, tool results of a few hundred characters), each turn's input carrying the whole history, as an
agent's calls do. Prints calls per second of ``json.loads`` (the baseline), of attribution with the model's
tokenizer (``gpt-4o-mini``: o200k_base) and in characters (``claude-haiku-4-5``), and each as a ratio to
the baseline.

    python bench/prompt_sources.py --calls 2000 --turns 30
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

from tokentrail.pricing.prompt import attribute
from tokentrail.pricing.tokenizers import counter_for

WORDS = [
    "the",
    "key",
    "rotation",
    "policy",
    "says",
    "every",
    "token",
    "older",
    "than",
    "ninety",
    "days",
    "must",
    "be",
    "replaced",
    "at",
    "once",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def conversations(calls: int, turns: int, seed: int = 7) -> list[str]:
    """``calls`` captured inputs: turn n of a conversation holds the n - 1 turns before it."""
    rng = random.Random(seed)
    inputs = []
    while len(inputs) < calls:
        messages: list[dict[str, object]] = [{"role": "system", "content": _text(rng, 60)}]
        for turn in range(turns):
            messages.append({"role": "user", "content": _text(rng, 25)})
            inputs.append(json.dumps(messages))
            call_id = f"call_{turn}"
            call = {"id": call_id, "type": "function", "function": {"name": "web_search", "arguments": "{}"}}
            messages += [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call_id, "content": _text(rng, 80)},
                {"role": "assistant", "content": _text(rng, 40)},
            ]
    return inputs[:calls]


def rate(work: Callable[[str], object], inputs: list[str]) -> float:
    """Inputs per second (CPU time) ``work`` gets through."""
    started = time.process_time()
    for text in inputs:
        work(text)
    return len(inputs) / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    inputs = conversations(args.calls, args.turns)
    tokenizer, chars = counter_for("gpt-4o-mini", None), counter_for("claude-haiku-4-5", None)
    tokenizer.count("warm up")  # the encoding is built once per process, not per call
    baseline = rate(json.loads, inputs)
    figures = {
        "json.loads": baseline,
        tokenizer.method: rate(lambda text: attribute(text, 10**6, tokenizer), inputs),
        chars.method: rate(lambda text: attribute(text, 10**6, chars), inputs),
    }
    average = sum(map(len, inputs)) // len(inputs)
    print(f"{len(inputs)} captured inputs, {average} characters on average")
    for name, per_second in figures.items():
        print(f"{name:24} {per_second:10.0f} calls/s   ratio to json.loads {per_second / baseline:.3f}")


if __name__ == "__main__":
    main()
