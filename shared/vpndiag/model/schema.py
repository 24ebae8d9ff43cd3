"""JSON Schema of the archived diagnosis summary.

Regenerate the committed copy with::

    python -m vpndiag.model.schema > docs/schema/diagnosis-summary.schema.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from vpndiag.model.summary import DiagnosisSummary

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def summary_json_schema() -> dict[str, Any]:
    """Schema of ``DiagnosisSummary.model_dump(mode="json")``, i.e. of the archived document."""
    schema = DiagnosisSummary.model_json_schema(mode="serialization")
    return {"$schema": SCHEMA_DIALECT, **schema}


def render_schema() -> str:
    """The schema as committed: 2-space indent, sorted keys, trailing newline."""
    return json.dumps(summary_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write the schema to standard output."""
    sys.stdout.write(render_schema())


if __name__ == "__main__":
    main()
