"""Every attribute the SDK writes is one the server's tokentrail convention reads."""

from __future__ import annotations

from tokentrail.sdk import attributes
from tokentrail.semconv.common import TOKENTRAIL

READ = {rule.attribute for rule in TOKENTRAIL.rules} | {family.prefix for family in TOKENTRAIL.families}


def test_the_sdk_writes_only_names_the_server_reads():
    written = {
        attributes.SPAN_KIND,
        attributes.INPUT,
        attributes.OUTPUT,
        attributes.TOOL_NAME,
        attributes.COST,
        attributes.SESSION,
        attributes.USER,
        attributes.TAGS,
        attributes.METADATA_PREFIX,
    }
    assert written <= READ
