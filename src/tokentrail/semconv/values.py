"""Attribute values read into canonical values: the converters the convention tables name.

Each converter returns None when it cannot read a value (the raw attribute is then kept), or
:data:`EMPTY` when it read a value that says nothing and must not outrank a weaker convention.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from tokentrail.marker import truncate
from tokentrail.model import AttributeValue, SpanKind
from tokentrail.semconv.common import Encoding, Target

Converter = Callable[[AttributeValue], Any]

# e.g. openinference.span.kind=UNKNOWN: read, but it says nothing.
EMPTY: Any = object()


def json_default(value: object) -> object:
    # OTLP bytesValue is base64 in OTLP/JSON too, so readers see the same text either way.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return str(value)


_stdlib_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=json_default).encode
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


#: What a value nested too deep to read or write is replaced by.
NESTED_TOO_DEEP = "…[nested too deep]"
#: ... as JSON text, when an encoder cannot recurse that deep.
TOO_DEEP = orjson.dumps(NESTED_TOO_DEEP).decode()


def dumps(value: object) -> str:
    """Compact JSON text, non-ASCII kept as is: orjson, or the standard library for what orjson refuses
    (integers beyond 64 bits, nesting beyond 255 levels)."""
    try:
        return orjson.dumps(value, default=json_default, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        try:
            return _stdlib_dumps(value)
        except RecursionError:
            return TOO_DEEP


def loads(text: str | bytes) -> Any:
    """Parse JSON; any unreadable text, nesting over 1024 levels included, raises ValueError.

    (The standard library's parser raises RecursionError on deep nesting, which would escape callers
    that treat unreadable values as raw.)
    """
    return orjson.loads(text)


def capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else truncate(text, limit)


def stringify(value: AttributeValue, limit: int) -> str:
    if type(value) is str:
        text = value
    elif type(value) is int:
        text = str(value)
    elif isinstance(value, bytes):
        text = base64.b64encode(value).decode("ascii")
    else:
        text = dumps(value)
    return text if len(text) <= limit else truncate(text, limit)


def as_text(value: AttributeValue) -> str | None:
    if type(value) is str:
        return value or None
    if type(value) is int or type(value) is float:  # `type is` on purpose: True is not an id
        return str(value)
    return None


#: What Logfire's default scrubbing leaves of a value whose name looks sensitive (``session.id`` matches
#: "session"): not an id.
_SCRUBBED = re.compile(r"\[Scrubbed due to '[^']*'\]")


def as_id(value: AttributeValue) -> str | None:
    """An id as text. One written as a JSON string (MLflow JSON-encodes every value it sets on a span, so
    its ``session.id`` arrives as ``"\\"s-1\\""``) is unwrapped: no id is a quoted string on purpose.
    A value a scrubber replaced is no id, and is kept raw."""
    text = as_text(value)
    if text is not None and text.startswith("[Scrubbed") and _SCRUBBED.fullmatch(text):
        return None
    if text is not None and len(text) > 2 and text[0] == '"' and text[-1] == '"':
        try:
            inner = json.loads(text)
        except ValueError:
            return text
        return inner if type(inner) is str and inner else text
    return text


def _whole(number: float) -> int | None:
    return int(number) if number >= 0 and number.is_integer() else None


def as_count(value: AttributeValue) -> int | None:
    """A token count: a non-negative integer, also from a float or a numeric string (OTLP/JSON intValue)."""
    if type(value) is int:
        return value if value >= 0 else None
    if type(value) is str:
        try:
            number = int(value)
        except ValueError:
            try:
                return _whole(float(value))
            except ValueError:
                return None
        return number if number >= 0 else None
    if type(value) is float:
        return _whole(value)
    return None


def as_decimal(value: AttributeValue) -> Decimal | None:
    """An amount of USD: floats go through repr so 0.1 stays 0.1, not its binary expansion."""
    if type(value) is float:
        value = repr(value)
    elif type(value) is not int and type(value) is not str:
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def as_payload(value: AttributeValue) -> str | None:
    # Structured values (OTLP kvlist/array) become JSON; capping happens once, after precedence.
    if type(value) is str:
        return value or None
    return None if value is None else dumps(value)


def as_tags(value: AttributeValue) -> list[str] | None:
    if isinstance(value, str):
        if not value.startswith("["):
            return [value] if value else None
        try:  # a list some exporters JSON-encode into one string
            parsed = loads(value)
        except ValueError:
            return [value]
        value = parsed
    if isinstance(value, list):
        tags = [item if isinstance(item, str) else dumps(item) for item in value if item not in (None, "")]
        return tags or None
    return None


def as_metadata(value: AttributeValue) -> dict[str, str] | None:
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    return {str(key): item if isinstance(item, str) else dumps(item) for key, item in value.items()}


def kind_lookup(values: Mapping[str, str]) -> Converter:
    kinds = {key.lower(): SpanKind(kind) for key, kind in values.items()}
    table = {key: (EMPTY if kind is SpanKind.OTHER else kind) for key, kind in kinds.items()}

    def convert(value: AttributeValue) -> Any:
        return table.get(value.lower()) if isinstance(value, str) else None

    return convert


#: A provider table's key for every value it does not list; without it such a value passes through.
OTHER_VALUES = "*"


def provider_lookup(aliases: Mapping[str, str]) -> Converter:
    """Aliases matched whole, then without trailing ``.segments`` (``openai.chat`` -> ``openai``); a value
    listed nowhere passes through lower-cased, or is read as :data:`OTHER_VALUES` says when listed."""
    table: dict[str, Any] = {key.lower(): (name or EMPTY) for key, name in aliases.items()}
    other = table.pop(OTHER_VALUES, None)

    def convert(value: AttributeValue) -> Any:
        if not isinstance(value, str) or not value:
            return None
        lowered = value.lower()
        name = table.get(lowered)
        if name is not None:
            return name
        stem = lowered
        while "." in stem:
            stem = stem.rpartition(".")[0]
            name = table.get(stem)
            if name is not None:
                return name
        return lowered if other is None else other

    return convert


def flag_lookup(values: Mapping[str, str]) -> Converter:
    """True for a listed value (Langfuse ``level=ERROR``); any other text is read and says nothing."""
    listed = frozenset(key.lower() for key in values)

    def convert(value: AttributeValue) -> Any:
        if not isinstance(value, str):
            return None
        return True if value.lower() in listed else EMPTY

    return convert


def implied(kind: SpanKind) -> Converter:
    def convert(value: AttributeValue) -> SpanKind | None:
        return kind if as_text(value) is not None else None

    return convert


# -- encodings: what a value is written as, before its target's converter reads it ------------------------

#: Longest Python literal parsed (LangSmith's token details are a few dozen characters; LiteLLM's usage
#: object a few hundred).
PYTHON_LITERAL_LIMIT = 4096
_MISSING: Any = object()


def python_literal(text: str) -> Any:
    """The value of a Python ``repr``/``str`` of plain data, read without evaluating anything.

    Literals as :func:`ast.literal_eval` reads them, plus what ``str(dict)`` of SDK objects writes: a call
    with keyword arguments only (``PromptTokensDetailsWrapper(cached_tokens=80, audio_tokens=None)``)
    reads as the dict of its arguments. Raises ValueError for anything else.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _literal(tree.body)
    except (SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"not a Python literal: {exc}") from None


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        if not all(node.keys):
            raise ValueError("a dict unpacked into another is not plain data")
        return {_literal(key): _literal(value) for key, value in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Call) and not node.args and all(keyword.arg for keyword in node.keywords):
        return {keyword.arg: _literal(keyword.value) for keyword in node.keywords}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _literal(node.operand)
        if type(operand) in (int, float):
            return -operand if isinstance(node.op, ast.USub) else operand
    raise ValueError(f"not plain data: {ast.dump(node)[:80]}")


def _from_json(value: AttributeValue) -> Any:
    # Only a JSON string literal is unwrapped; an object or a number stays as written.
    if type(value) is str and value.startswith('"'):
        try:
            return loads(value)
        except ValueError:
            return _MISSING
    return value


def _from_python(value: AttributeValue) -> Any:
    if type(value) is not str:
        return value
    if len(value) > PYTHON_LITERAL_LIMIT:
        return _MISSING
    try:  # plain data only: never eval
        return python_literal(value)
    except (ValueError, TypeError):
        return _MISSING


def _from_csv(value: AttributeValue) -> Any:
    if type(value) is not str:
        return value
    return [part.strip() for part in value.split(",") if part.strip()]


_DECODERS: dict[Encoding, Callable[[AttributeValue], Any]] = {
    Encoding.JSON: _from_json,
    Encoding.PYTHON: _from_python,
    Encoding.CSV: _from_csv,
}


def decoded(encoding: Encoding, convert: Converter) -> Converter:
    """``convert`` applied to the value once decoded from ``encoding``."""
    if encoding is Encoding.PLAIN:
        return convert
    decode = _DECODERS[encoding]

    def run(value: AttributeValue) -> Any:
        plain = decode(value)
        return None if plain is _MISSING else convert(plain)

    return run


def plain_reader(encoding: Encoding) -> Converter:
    """A map family's value as metadata text: decoded from ``encoding``; non-strings as compact JSON."""
    decode = _DECODERS.get(encoding)

    def read(value: AttributeValue) -> str | None:
        plain = value if decode is None else decode(value)
        if plain is _MISSING or plain is None:
            return None
        return plain if type(plain) is str else dumps(plain)

    return read


def object_reader(encoding: Encoding, roots: frozenset[str] | None = None) -> Converter:
    """An object, as a flat ``{dotted.path: leaf}`` dict; None when the value is not an object.

    JSON text, a Python literal (``encoding=PYTHON``) or a structured OTLP kvlist are accepted. With
    ``roots``, only those top-level keys are flattened (a payload whose usage sits under one key).
    """
    python = encoding is Encoding.PYTHON

    def read(value: AttributeValue) -> dict[str, Any] | None:
        parsed: Any = value
        if type(value) is str:
            parsed = _from_python(value) if python else _loads(value)
        if type(parsed) is not dict:
            return None
        flat: dict[str, Any] = {}
        for key, item in parsed.items():
            if roots is None or key in roots:
                _flatten(str(key), item, flat)
        return flat

    return read


def _loads(text: str) -> Any:
    try:
        return loads(text)
    except ValueError:
        return None


def _flatten(path: str, value: Any, into: dict[str, Any]) -> None:
    if type(value) is dict:
        for key, item in value.items():
            _flatten(f"{path}.{key}", item, into)
    else:
        into[path] = value


CONVERTERS: dict[Target, Converter] = {
    Target.REQUEST_MODEL: as_text,
    Target.RESPONSE_MODEL: as_text,
    Target.RESPONSE_ID: as_text,
    Target.SESSION_ID: as_id,
    Target.USER_ID: as_id,
    Target.TRACE_NAME: as_text,
    Target.TOOL_NAME: as_text,
    Target.ERROR_TYPE: as_text,
    Target.ERROR_MESSAGE: as_text,
    Target.USAGE: as_count,
    Target.COST: as_decimal,
    Target.CUSTOM_COST: as_decimal,
    Target.TAGS: as_tags,
    Target.METADATA: as_metadata,
    Target.INPUT: as_payload,
    Target.OUTPUT: as_payload,
    Target.SYSTEM_INSTRUCTIONS: as_payload,
}
