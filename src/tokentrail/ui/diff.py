"""What changed between two outputs, word by word: the pieces of the new text, each the same as in the
old one, added, or (shown struck out) removed. Lines change as the words and line breaks on them do."""

from __future__ import annotations

import difflib
import re

__all__ = ["KINDS", "word_diff"]

#: What a piece of the new text is, against the old one.
KINDS = ("same", "added", "removed")
# Words, runs of white space (line breaks among them) and single other characters: each a token.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """``after`` against ``before`` as (kind, text) pieces; text of one kind next to each other is one
    piece. Removed text comes before what replaced it."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            _add(pieces, "same", new[j1:j2])
            continue
        _add(pieces, "removed", old[i1:i2])
        _add(pieces, "added", new[j1:j2])
    return pieces


def _add(pieces: list[tuple[str, str]], kind: str, tokens: list[str]) -> None:
    if not tokens:
        return
    if pieces and pieces[-1][0] == kind:
        pieces[-1] = (kind, pieces[-1][1] + "".join(tokens))
    else:
        pieces.append((kind, "".join(tokens)))
