"""Parses Prometheus text format from stdin with the Prometheus project's Python client
(prometheus_client.parser, Debian package python3-prometheus-client) and prints the families as
JSON: {name: {"type": ..., "help": ..., "samples": [[sample name, labels, value], ...]}}.
A malformed exposition makes the parser raise, and this script exit non-zero."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    if family.name in families:
        raise SystemExit("family %s appears twice" % family.name)
    families[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [[s.name, s.labels, s.value if math.isfinite(s.value) else str(s.value)]
                    for s in family.samples],
    }
json.dump(families, sys.stdout)
