"""The committed JSON Schema of the archived summary matches the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vpndiag.model.response import parse_result
from vpndiag.model.schema import main, render_schema, summary_json_schema
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "schema" / "diagnosis-summary.schema.json"
REGENERATE = "python -m vpndiag.model.schema > docs/schema/diagnosis-summary.schema.json"


def test_committed_schema_is_current() -> None:
    """docs/schema/diagnosis-summary.schema.json equals the schema generated from the model."""
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""

    assert committed == render_schema(), (
        f"{COMMITTED.relative_to(ROOT)} is stale; regenerate it from the repo root with: "
        f"{REGENERATE}"
    )


def test_schema_is_rendered_with_sorted_keys_and_a_final_newline() -> None:
    """The file format is stable: 2-space indent, sorted keys, trailing newline."""
    text = render_schema()

    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_main_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m vpndiag.model.schema`` writes exactly the rendered schema to stdout."""
    main()

    assert capsys.readouterr().out == render_schema()


def test_schema_declares_its_dialect() -> None:
    """The schema names its JSON Schema dialect (2020-12)."""
    assert summary_json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_requires_every_summary_field() -> None:
    """Every summary field is always written, so the schema lists all of them as required."""
    schema = summary_json_schema()

    assert set(schema["required"]) == set(DiagnosisSummary.model_fields)
    assert set(schema["properties"]) == set(DiagnosisSummary.model_fields)


def test_dumped_summary_uses_the_schema_keys() -> None:
    """A dumped summary and its checks carry exactly the keys the schema describes."""
    schema = summary_json_schema()
    body = (ROOT / "events" / "responses" / "finished-all-checks.json").read_bytes()
    dumped = normalize(parse_result(body), region="cn-shanghai").model_dump(mode="json")

    assert set(dumped) == set(schema["properties"])
    check_keys = set(schema["$defs"]["CheckSummary"]["properties"])
    assert all(set(check) == check_keys for check in dumped["checks"])


def test_detail_union_is_discriminated_by_kind() -> None:
    """The schema tells readers to pick a detail's shape by its ``kind``."""
    detail = summary_json_schema()["$defs"]["CheckSummary"]["properties"]["detail"]

    assert detail["discriminator"]["propertyName"] == "kind"
    assert set(detail["discriminator"]["mapping"]) == {
        "quota",
        "connectivity",
        "config_consistency",
        "route_conflict",
        "unknown",
        "unparsed",
    }
