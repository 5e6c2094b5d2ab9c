"""Budgets: spend limits per project, tag, user or service and UTC day or month, the alerts they fire
(thresholds crossed, or projected to be by the period's end) and the webhooks that carry them.
See docs/budgets.md."""
