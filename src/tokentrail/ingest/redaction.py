"""Redaction rules: secrets and personal data masked in a span's text before it reaches the log or the store.

A rule is a regular expression and a mask (``[REDACTED:email]``). The built-in rules (:data:`BUILTIN_RULES`:
API keys, bearer tokens and ``Authorization`` values, emails, card numbers) are on for every project; a
TOML file (``TOKENTRAIL_REDACTION_FILE``, format in docs/redaction.md) adds rules, for one project or all,
and switches built-ins off per project.

Speed matters (ingest runs tens of thousands of spans a second), so a project's rules are compiled once
per process, and a span's text is first checked with plain substring tests (each built-in names the
lower-case text any match contains): only rules whose hint is present run, as one combined pattern.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from tokentrail.model import Span

__all__ = [
    "BUILTIN_RULES",
    "Policy",
    "Redactor",
    "Rule",
    "load_policy",
    "luhn_valid",
    "redact_span",
    "redact_spans",
    "span_texts",
]

#: How a project is named in a rule that applies to every project.
ALL_PROJECTS = "*"


def luhn_valid(text: str) -> bool:
    """Whether the digits of ``text`` pass the Luhn check every payment card number passes."""
    digits = [int(char) for char in text if char.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class Rule:
    """One redaction rule: text matching ``keep`` + ``pattern`` becomes the ``keep`` part and the mask."""

    name: str
    pattern: str
    mask: str = ""
    #: A part of the match left as it is (``Authorization: `` before the secret), so the text still says
    #: what was there.
    keep: str = ""
    project: str = ALL_PROJECTS
    #: Lower-case strings one of which every match contains: a span's text without any skips the rule.
    #: Empty: the rule's own pattern is the check.
    hints: tuple[str, ...] = ()
    #: A match ``accept`` refuses is left alone (a 16-digit order id that is no card number).
    accept: Callable[[str], bool] | None = None

    @property
    def masked(self) -> str:
        return self.mask or f"[REDACTED:{self.name}]"


# Values stop at quotes, backslashes, brackets, spaces and separators, so a mask inside JSON text keeps it
# JSON (a number after "auth_token": ends at the object's closing brace).
_TOKEN = r"[A-Za-z0-9\-._~+/]{8,}=*"
_NOT_AFTER_WORD = r"(?<![A-Za-z0-9_])"

#: The rules every project has unless its file switches them off; the first one matching at a place wins.
BUILTIN_RULES: tuple[Rule, ...] = (
    Rule("anthropic_key", _NOT_AFTER_WORD + r"sk-ant-[A-Za-z0-9_\-]{20,}", hints=("sk-ant-",)),
    Rule("openai_key", _NOT_AFTER_WORD + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", hints=("sk-",)),
    Rule("aws_access_key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", hints=("akia", "asia")),
    Rule(
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Rule("slack_token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", hints=("xox",)),
    Rule("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}", hints=("aiza",)),
    Rule(
        "authorization",
        r"[A-Za-z0-9\-._~+/]{8,}=*",
        keep=r"(?i:\b(?:proxy-)?authorization\\?[\"']?\s*[:=]\s*\\?[\"']?(?:(?:basic|bearer|token)\s+)?)",
        hints=("authorization",),
    ),
    Rule("bearer_token", _TOKEN, keep=r"(?i:\bbearer\s+)", hints=("bearer",)),
    Rule(
        "api_key",
        # Not a bare number: masked, a JSON number would stop being JSON.
        r"(?![\d.eE+\-]+(?:[\s\"'\\,;&{}\[\]()<>]|\Z))[^\s\"'\\,;&{}\[\]()<>]{6,}",
        keep=r"(?i:\b(?:x-)?(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?key|client[_-]?secret"
        r"|password|passwd)\\?[\"']?\s*[:=]\s*\\?[\"']?)",
        hints=("api_key", "api-key", "apikey", "access", "auth", "secret", "passw"),
    ),
    # Bounded parts: an unbounded local part would retry a long run of letters from every position.
    Rule(
        "email",
        r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}"
        r"\.[A-Za-z]{2,24}\b",
        hints=("@",),
    ),
    # 13 to 19 digits, spaces or dashes between, starting as issuers' numbers do (2 to 6), and Luhn-valid.
    # (The look-behind follows the first digit so the search can skip to a 2-6 before trying a match; a
    # run of digits after a decimal point is a fraction, as in a float's 312.4567891234567.)
    Rule("card_number", r"[2-6](?<![\d\-.][2-6])\d{3}(?:[ \-]?\d){9,15}(?!\d)", accept=luhn_valid),
)
_BUILTIN_NAMES = frozenset(rule.name for rule in BUILTIN_RULES)


class Redactor:
    """A project's rules, compiled: :meth:`redact` masks every match in one text, :meth:`scan` says which
    rules a span's text may need."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)

    def scan(self, texts: list[str], among: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """The rules (of ``among``, else all) whose hint or pattern is in ``texts``: usually none, so
        nothing else runs."""
        hints, checks = self._tables(among)
        joined = texts[0] if len(texts) == 1 else "\n".join(texts)
        if self._nothing_to_look_for(joined):
            return ()
        lowered = joined.lower()
        found = {index for hint, index in hints if hint in lowered}
        found.update(index for check, index in checks if check.search(joined) is not None)
        return tuple(sorted(found))

    @cached_property
    def _nothing_to_look_for(self) -> Callable[[str], bool]:
        """Whether a text has none of any rule's hints and matches no rule without hints: the common
        answer for short texts (the SDK redacts every call's input and output), found with plain substring
        tests and one search per rule without hints."""
        hints, checks = self._tables(None)
        words = tuple(dict.fromkeys(hint for hint, _index in hints))
        patterns = tuple(check for check, _index in checks)

        def nothing(text: str) -> bool:
            lowered = text.lower()
            if any(word in lowered for word in words):
                return False
            return all(pattern.search(text) is None for pattern in patterns)

        return nothing

    @cache  # noqa: B019 - a few subsets of rules, for the redactor's (the process's) life
    def _tables(self, among: tuple[int, ...] | None) -> tuple[tuple[tuple[str, int], ...], tuple[Any, ...]]:
        def chosen(index: int) -> bool:
            return among is None or index in among

        # One flat table of (hint, rule): a plain loop of substring tests is the cheapest check in Python.
        hints = tuple(
            (hint, index) for index, rule in enumerate(self.rules) for hint in rule.hints if chosen(index)
        )
        checks = tuple(
            (re.compile(rule.pattern), index)
            for index, rule in enumerate(self.rules)
            if not rule.hints and chosen(index)
        )
        return hints, checks

    def redact(self, text: str) -> str:
        """``text`` with every match of this redactor's rules masked."""
        if self._nothing_to_look_for(text):
            return text
        rules = self.scan([text])
        return self.masker(rules)(text) if rules else text

    @cache  # noqa: B019 - one compiled pattern per set of rules, for the redactor's (the process's) life
    def masker(self, rules: tuple[int, ...]) -> Callable[[str], str]:
        """A function masking every match of the given rules (indexes in :attr:`rules`) in a text."""
        parts = []
        for index in rules:
            rule = self.rules[index]
            keep = f"(?P<k{index}>{rule.keep})" if rule.keep else ""
            parts.append(f"(?P<r{index}>{keep}(?P<v{index}>{rule.pattern}))")
        pattern = re.compile("|".join(parts))
        chosen = {f"r{index}": (index, self.rules[index]) for index in rules}

        def mask(match: re.Match[str]) -> str:
            index, rule = chosen[match.lastgroup or ""]
            if rule.accept is not None and not rule.accept(match[f"v{index}"]):
                return match[0]
            masked = f'"{rule.masked}"' if _bare_json_number(match, f"v{index}") else rule.masked
            return (match[f"k{index}"] if rule.keep else "") + masked

        return lambda text: pattern.sub(mask, text)


def _bare_json_number(match: re.Match[str], group: str) -> bool:
    """Whether the match is a number standing alone as a JSON value (``"id": 4111111111111111``): its mask
    is then quoted, so JSON text stays JSON."""
    if not match[group].isdigit():
        return False
    text, start, end = match.string, match.start(group), match.end(group)
    before = text[max(0, start - 16) : start].rstrip()[-1:]
    after = text[end : end + 16].lstrip()[:1]
    return before in (":", "[", ",") and after in (",", "}", "]")


class Policy:
    """Every project's rules: the built-ins less those switched off, and the file's own."""

    def __init__(
        self, rules: tuple[Rule, ...] = BUILTIN_RULES, disabled: dict[str, frozenset[str]] | None = None
    ) -> None:
        self.rules = rules
        #: Project (or ``*``) -> built-in rule names (or ``*``) switched off for it.
        self.disabled = disabled or {}
        self._redactors: dict[str, Redactor | None] = {}

    def for_project(self, project: str) -> Redactor | None:
        """The compiled rules of ``project`` (compiled on first use); None when it has none."""
        if project not in self._redactors:
            rules = [rule for rule in self.rules if self._applies(rule, project)]
            self._redactors[project] = Redactor(rules) if rules else None
        return self._redactors[project]

    def _applies(self, rule: Rule, project: str) -> bool:
        if rule.project not in (ALL_PROJECTS, project):
            return False
        if rule.name not in _BUILTIN_NAMES:
            return True
        off = self.disabled.get(project, frozenset()) | self.disabled.get(ALL_PROJECTS, frozenset())
        return rule.name not in off and ALL_PROJECTS not in off


@cache
def load_policy(path: Path | None) -> Policy:
    """The policy of a redaction file (None: the built-ins alone), read and compiled once per process; a
    file that cannot be used raises ValueError naming the rule at fault."""
    if path is None:
        return Policy()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read redaction file {path}: {exc}") from None
    unknown = set(document) - {"rule", "disable"}
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {sorted(unknown)}; expected [[rule]] and [[disable]]")
    custom = [_custom_rule(entry) for entry in document.get("rule", [])]
    names = [rule.name for rule in custom]
    clashes = sorted({name for name in names if names.count(name) > 1 or name in _BUILTIN_NAMES})
    if clashes:
        raise ValueError(f"{path}: rule name(s) {clashes} used twice or by a built-in rule")
    disabled: dict[str, frozenset[str]] = {}
    for entry in document.get("disable", []):
        project, off = _disabled(entry)
        disabled[project] = disabled.get(project, frozenset()) | off
    return Policy(BUILTIN_RULES + tuple(custom), disabled)


def _custom_rule(entry: object) -> Rule:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise ValueError(f"each [[rule]] needs a name: got {entry!r}")
    name = entry["name"]
    extra = set(entry) - {"name", "pattern", "mask", "project", "keep"}
    if extra:
        raise ValueError(f"rule {name!r}: unknown key(s) {sorted(extra)}")
    if not all(isinstance(entry.get(key, ""), str) for key in ("pattern", "mask", "project", "keep")):
        raise ValueError(f"rule {name!r}: pattern, mask, project and keep must be strings")
    pattern, keep = entry.get("pattern", ""), entry.get("keep", "")
    try:
        compiled = re.compile(keep + pattern)
    except re.error as exc:
        raise ValueError(f"rule {name!r}: invalid pattern {pattern!r}: {exc}") from None
    if not pattern or compiled.fullmatch("") is not None:
        raise ValueError(f"rule {name!r}: the pattern must not match empty text")
    if compiled.groups and re.search(r"\\\d|\(\?P=", keep + pattern):
        raise ValueError(f"rule {name!r}: back-references cannot be used (rules are combined)")
    return Rule(
        name, pattern, entry.get("mask", ""), keep, entry.get("project", ALL_PROJECTS) or ALL_PROJECTS
    )


def _disabled(entry: object) -> tuple[str, frozenset[str]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("rules"), list):
        raise ValueError(f"each [[disable]] needs a list of rules: got {entry!r}")
    off = frozenset(str(name) for name in entry["rules"])
    unknown = sorted(off - _BUILTIN_NAMES - {ALL_PROJECTS})
    if unknown:
        raise ValueError(
            f"[[disable]]: no built-in rule named {unknown}; built-ins: {sorted(_BUILTIN_NAMES)}"
        )
    return str(entry.get("project", ALL_PROJECTS)), off


def redact_spans(spans: list[Span], redactor: Redactor) -> None:
    """Mask matches in every text of ``spans`` (:func:`redact_span`). The batch's text is checked first,
    in one go: most batches carry no hint of any rule, and then no span is looked at again."""
    texts = [text for span in spans for text in span_texts(span)]
    found = redactor.scan(texts) if texts else ()
    if found:
        for span in spans:
            redact_span(span, redactor, found)


def redact_span(span: Span, redactor: Redactor, among: tuple[int, ...] | None = None) -> None:
    """Mask matches of the redactor's rules (of ``among``, else all) in every text of ``span`` a person
    or a program may have written (:func:`span_texts`). Ids, model and provider names, usage and costs
    are left alone."""
    rules = redactor.scan(span_texts(span), among)
    if not rules:
        return
    redact = redactor.masker(rules)
    span.name, span.input, span.output = redact(span.name), redact(span.input), redact(span.output)
    span.error_message, span.error_stack = redact(span.error_message), redact(span.error_stack)
    span.events, span.trace_name = redact(span.events), redact(span.trace_name)
    span.tags = [redact(tag) for tag in span.tags]
    span.metadata = {key: redact(text) for key, text in span.metadata.items()}
    span.attributes = {key: redact(text) for key, text in span.attributes.items()}
    span.resource = {key: redact(text) for key, text in span.resource.items()}  # a new dict: it is shared


def span_texts(span: Span) -> list[str]:
    """The texts of a span redaction reads: its name, input, output, error, events, trace name, tags,
    metadata, attributes and resource."""
    return [
        span.name,
        span.input,
        span.output,
        span.error_message,
        span.error_stack,
        span.events,
        span.trace_name,
        *span.tags,
        *span.metadata.values(),
        *span.attributes.values(),
        *span.resource.values(),
    ]
