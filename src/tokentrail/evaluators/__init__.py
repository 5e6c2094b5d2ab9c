"""LLM-as-judge evaluators: definitions, the judge (template, provider call, parsed score, traced call), the
online watch and offline runs. See docs/evaluations.md."""
