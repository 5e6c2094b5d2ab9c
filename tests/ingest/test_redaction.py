"""Redaction rules: each built-in masks real-looking secrets and leaves near misses alone; a rules file adds
rules per project, switches built-ins off, and a bad one is refused naming the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokentrail.config import ConfigError, Settings
from tokentrail.ingest.redaction import (
    BUILTIN_RULES,
    Policy,
    load_policy,
    luhn_valid,
    redact_span,
    redact_spans,
)
from tokentrail.model import Span

BUILTINS = Policy().for_project("any")
assert BUILTINS is not None

# (rule, text with a secret, the secret) for every built-in rule: each must be masked with its rule's name.
POSITIVES = [
    (
        "openai_key",
        "key=sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789 in use",
        "sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz",
    ),
    (
        "openai_key",
        "OPENAI_API_KEY sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0 set",
        "sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    ),
    (
        "anthropic_key",
        "use sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AA now",
        "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3",
    ),
    ("aws_access_key", "aws id AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    (
        "github_token",
        "token ghp_16C7e42F292c6912E7710c838347Ae178B4a ok",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "github_token",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "github_pat_11ABCDEFG0123456789",
    ),
    (
        "slack_token",
        "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
        "xoxb-123456789012-1234567890123",
    ),
    (
        "google_api_key",
        "maps AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI key",
        "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
    ),
    ("authorization", '{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}', "dXNlcjpwYXNzd29yZA=="),
    ("authorization", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGciOiJIUzI1NiJ9"),
    ("bearer_token", "curl -H 'x: bearer 4f9a8b7c6d5e4f3a2b1c' url", "4f9a8b7c6d5e4f3a2b1c"),
    ("api_key", '{"api_key": "d41d8cd98f00b204e980"}', "d41d8cd98f00b204e980"),
    ("api_key", "https://x.example/v1?apikey=Zq8Wn3Rt5Yp1&q=1", "Zq8Wn3Rt5Yp1"),
    ("api_key", "client_secret: Gh7-Kl9_Mn2.Pq4 and more", "Gh7-Kl9_Mn2.Pq4"),
    ("api_key", "PASSWORD=hunter2hunter2", "hunter2hunter2"),
    ("email", "write to jane.doe+billing@mail.example.co.uk today", "jane.doe+billing@mail.example.co.uk"),
    ("card_number", "card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"),
    ("card_number", "amex 3782-822463-10005 on file", "3782-822463-10005"),
    ("card_number", "pan=5555555555554444", "5555555555554444"),
]

# Text that looks close to a secret and must pass unchanged.
NEAR_MISSES = [
    "the risk-assessment-framework-version-two is ready",  # "sk-" inside a word
    "sk-short",  # too short for a key
    "AKIAIOSFODNN7EXAMPL",  # one character short
    "ghp_tooShort123",
    "AIzaShort",
    "Bearer abc",  # too short for a token
    "the api_key_name=default setting",  # a name, not a value
    "password_reset_url is sent by mail",
    "decorator @param and user@localhost",  # no domain with a dot-suffix
    "order 4111 1111 1111 1112 shipped",  # fails the Luhn check
    "order id 1234567890123456",  # starts with 1: no card number does, and fails Luhn too
    "created 1712345678901 ms",  # a millisecond timestamp
    '{"msToFinish":312.4111111111111111}',  # a float's fraction is no card number, Luhn or not
    "span ids 00f067aa0ba902b7 and 4bf92f3577b34da6a3ce929d0e0e4736",
    "model gpt-4o-mini-2024-07-18 with 1500 input tokens cost 0.000225",
]


@pytest.mark.parametrize(("rule", "text", "secret"), POSITIVES)
def test_each_builtin_rule_masks_a_real_looking_secret(rule, text, secret):
    redacted = BUILTINS.redact(text)

    assert secret not in redacted
    assert f"[REDACTED:{rule}]" in redacted


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_left_alone(text):
    assert BUILTINS.redact(text) == text


def test_every_builtin_rule_has_a_positive_case():
    assert {rule.name for rule in BUILTIN_RULES} == {rule for rule, _, _ in POSITIVES}


def test_what_a_header_says_is_kept_and_only_the_secret_masked():
    assert (
        BUILTINS.redact("Authorization: Bearer abcdefgh12345678")
        == "Authorization: Bearer [REDACTED:authorization]"
    )
    assert BUILTINS.redact('{"api_key":"abcdef123456"}') == '{"api_key":"[REDACTED:api_key]"}'


def test_masks_inside_json_keep_it_json():
    import json

    text = json.dumps(
        {"messages": [{"content": 'my key is sk-abcdefghijklmnopqrstuvwx and password="pa55word\\"x"'}]}
    )

    redacted = BUILTINS.redact(text)

    assert "sk-abcdefghijklmnopqrstuvwx" not in redacted and "pa55word" not in redacted
    json.loads(redacted)


@pytest.mark.parametrize(
    "text",
    ['{"auth_token":12345678}', '[{"apiKey":["abcdefgh"]}]', '{"password":{"x":"y"},"secret_key":99999999}'],
)
def test_a_value_in_json_is_masked_without_eating_the_json_around_it(text):
    import json

    json.loads(BUILTINS.redact(text))


def test_a_card_number_as_a_bare_json_number_is_masked_as_a_string():
    import json

    redacted = BUILTINS.redact('{"pan": 4111111111111111, "ids": [5555555555554444]}')

    assert json.loads(redacted) == {"pan": "[REDACTED:card_number]", "ids": ["[REDACTED:card_number]"]}
    assert BUILTINS.redact("card: 4111111111111111 thanks") == "card: [REDACTED:card_number] thanks"


def test_luhn():
    assert luhn_valid("4111 1111 1111 1111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111 1111 1111 1112")


def _span(**fields) -> Span:
    values = {
        "project": "p",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "parent_span_id": "",
        "name": "chat",
        "service": "svc",
        "start_ns": 1,
        "end_ns": 2,
    }
    values.update(fields)
    return Span(**values)


def test_a_span_has_every_text_masked_and_its_ids_models_and_numbers_kept():
    secret = "sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz0123"
    span = _span(
        name=f"call with {secret}",
        input=f'[{{"role":"user","content":"my email is bob@example.com and key {secret}"}}]',
        output="card 4111-1111-1111-1111",
        error_message=f"401 for {secret}",
        events=f'[{{"name":"log","attributes":{{"msg":"{secret}"}}}}]',
        tags=[secret],
        metadata={"note": secret},
        attributes={"http.request.header.authorization": "Bearer abcdefghijklmnop"},
        resource={"deploy.token": f"api_key={secret}"},
        request_model="gpt-4o",
        session_id="bob@example.com",
        usage={"input": 4111111111111111},
    )
    shared_resource = span.resource

    redact_span(span, BUILTINS)

    texts = [span.name, span.input, span.output, span.error_message, span.events, *span.tags]
    texts += [*span.metadata.values(), *span.attributes.values(), *span.resource.values()]
    assert not any(secret in text or "bob@example.com" in text or "4111-1111" in text for text in texts)
    assert "[REDACTED:email]" in span.input and "[REDACTED:card_number]" in span.output
    assert span.attributes["http.request.header.authorization"] == "Bearer [REDACTED:bearer_token]"
    # Ids and numbers are not text to redact.
    assert (span.trace_id, span.span_id, span.request_model) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
        "gpt-4o",
    )
    assert span.session_id == "bob@example.com" and span.usage == {"input": 4111111111111111}
    # The decoder shares one resource dict among a request's spans: it is replaced, not changed.
    assert shared_resource == {"deploy.token": f"api_key={secret}"}


def test_a_batch_is_checked_at_once_and_only_its_spans_with_secrets_change():
    spans = [_span(input=f"hello {i}", attributes={"n": str(i)}) for i in range(50)]
    spans[17].output = "reach me at bob@example.com"
    before = [(span.input, span.output, span.attributes) for span in spans]

    redact_spans(spans, BUILTINS)

    assert spans[17].output == "reach me at [REDACTED:email]"
    after = [(span.input, span.output, span.attributes) for span in spans]
    assert [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new] == [17]


def test_a_clean_span_is_left_as_it_was():
    span = _span(input="hello", output="hi there", attributes={"a": "b"})

    redact_span(span, BUILTINS)

    assert (span.input, span.output, span.attributes) == ("hello", "hi there", {"a": "b"})


RULES_FILE = """
[[rule]]
name = "employee_id"
pattern = 'EMP-\\d{6}'
project = "hr"

[[rule]]
name = "ticket"
pattern = 'TICKET-[0-9]+'
mask = "[ticket]"

[[disable]]
project = "support"
rules = ["email"]

[[disable]]
project = "lab"
rules = ["*"]
"""


def _policy(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "redaction.toml"
    path.write_text(text)
    return load_policy(path)


def _redact(policy: Policy, project: str, text: str) -> str:
    redactor = policy.for_project(project)
    return text if redactor is None else redactor.redact(text)


def test_a_rules_file_adds_rules_per_project_and_switches_builtins_off(tmp_path):
    policy = _policy(tmp_path, RULES_FILE)

    assert _redact(policy, "hr", "EMP-123456 bob@example.com") == "[REDACTED:employee_id] [REDACTED:email]"
    assert _redact(policy, "shop", "EMP-123456 TICKET-42") == "EMP-123456 [ticket]"  # not hr's rule
    assert _redact(policy, "support", "bob@example.com sk-abcdefghijklmnopqrstuvwx") == (
        "bob@example.com [REDACTED:openai_key]"
    )
    assert _redact(policy, "lab", "bob@example.com TICKET-7") == "bob@example.com [ticket]"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[rule]]\nname = "broken"\npattern = "([a-z"\n', "'broken'"),
        ('[[rule]]\nname = "empty"\npattern = "x*"\n', "'empty'"),
        ('[[rule]]\nname = "email"\npattern = "x"\n', "'email'"),
        ('[[rule]]\nname = "twice"\npattern = "(a)\\\\1"\n', "'twice'"),
        ('[[disable]]\nrules = ["emails"]\n', "emails"),
        ('[rules]\nname = "x"\n', "rules"),
    ],
)
def test_a_bad_rules_file_stops_the_server_naming_the_rule(tmp_path, text, named):
    path = tmp_path / "bad.toml"
    path.write_text(text)

    with pytest.raises(ConfigError) as error:
        Settings.from_env({"TOKENTRAIL_REDACTION_FILE": str(path)})

    assert "TOKENTRAIL_REDACTION_FILE" in str(error.value) and named in str(error.value)


def test_settings_given_directly_are_checked_too(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[rule]]\nname = "broken"\npattern = "(x"\n')

    with pytest.raises(ConfigError, match=r"TOKENTRAIL_REDACTION_FILE.*'broken'"):
        Settings(redaction_file=path)
