"""Reading a synthesized CloudFormation template: the helpers every infrastructure test uses."""

from __future__ import annotations

from typing import Any

Resources = dict[str, dict[str, Any]]


def of_type(resources: Resources, kind: str) -> dict[str, dict[str, Any]]:
    """Properties of every resource of one type, by logical id."""
    return {lid: r.get("Properties", {}) for lid, r in resources.items() if r["Type"] == kind}


def ref_of(value: Any) -> str | None:
    """The logical id an ARN/URL expression points to (GetAtt, Ref, or a Join starting with one)."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::Join" in value:
            return next((lid for part in value["Fn::Join"][1] if (lid := ref_of(part))), None)
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
