"""What the pages show, shaped from the API's documents."""

from __future__ import annotations

import json

from tokentrail.ui.views import turn


def test_a_session_turn_is_the_last_question_and_the_answer():
    trace = {
        "input": json.dumps(
            [{"role": "system", "content": "s"}, {"role": "user", "content": "Where is my order?"}]
        ),
        "output": "It shipped yesterday.",
    }

    assert turn(trace) == {
        "trace": trace,
        "question": "Where is my order?",
        "answer": "It shipped yesterday.",
    }
