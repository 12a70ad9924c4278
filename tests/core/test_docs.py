from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from lti_tool.plugins import pm

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugin-hooks.md"


def hook_signatures() -> list[str]:
    signatures = []
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name)
        spec = getattr(caller, "spec", None)
        if spec is None:
            continue
        arguments = ", ".join(inspect.signature(spec.function).parameters)
        signatures.append(f"{name}({arguments})")
    return sorted(signatures)


def test_there_are_hooks_to_document() -> None:
    assert "booking_event(event, booking, detail)" in hook_signatures()


@pytest.mark.parametrize("signature", hook_signatures())
def test_plugin_hook_is_documented(signature: str) -> None:
    assert f"## {signature}" in DOCS.read_text()


@pytest.mark.parametrize("signature", hook_signatures())
def test_plugin_hook_has_a_contract(signature: str) -> None:
    spec = getattr(pm.hook, signature.split("(")[0]).spec
    doc = inspect.getdoc(spec.function) or ""
    assert len(doc.splitlines()) >= 3
    for argument in inspect.signature(spec.function).parameters:
        assert f":param {argument}:" in doc
