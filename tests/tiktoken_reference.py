"""tiktoken's own encodings, for tests to count tokens independently of tokentrail's offline loader.

tiktoken downloads an encoding's file on first use unless its cache holds it; litellm (a test dependency)
ships that cache, so pointing ``TIKTOKEN_CACHE_DIR`` at it makes ``tiktoken.get_encoding`` read the file
locally, checked against tiktoken's own hash, with no network.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import tiktoken

__all__ = ["reference_count"]


def _litellm_cache() -> str:
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations, "litellm (a test dependency) is missing"
    return str(Path(spec.submodule_search_locations[0]) / "litellm_core_utils" / "tokenizers")


def _encoding(name: str) -> Any:
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = _litellm_cache()
    try:
        return tiktoken.get_encoding(name)  # tiktoken keeps it: the variable is needed once
    finally:
        if previous is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def reference_count(text: str, encoding: str = "o200k_base") -> int:
    """``text``'s tokens in ``encoding``, as tiktoken itself counts them."""
    return len(_encoding(encoding).encode_ordinary(text))
