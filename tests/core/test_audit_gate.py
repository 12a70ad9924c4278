"""The CI gate over pip-audit's report: a known vulnerability fails the run unless it is on the
allow-list, and a run that could audit nothing says so without failing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

GATE = Path(__file__).resolve().parents[2] / ".ci" / "audit.py"


@pytest.fixture(scope="module")
def gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", GATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The shape of ``pip-audit -f json``: audited packages carry ``vulns``, others a skip reason.
REPORT = {
    "dependencies": [
        {
            "name": "setuptools",
            "version": "65.5.0",
            "vulns": [
                {
                    "id": "PYSEC-2022-43012",
                    "fix_versions": ["65.5.1"],
                    "aliases": ["CVE-2022-40897"],
                    "description": "ReDoS in package_index.py",
                }
            ],
        },
        {"name": "flask", "version": "3.1.2", "vulns": []},
        {"name": "lti-tool", "skip_reason": "Dependency not found on PyPI"},
    ],
    "fixes": [],
}


def test_a_known_vulnerability_fails_the_run(gate: ModuleType) -> None:
    code, lines = gate.judge(REPORT, set())

    assert code == 1
    assert "setuptools 65.5.0: PYSEC-2022-43012 (fixed in 65.5.1)" in lines
    assert "2 of 3 packages audited" in lines


def test_an_allowed_vulnerability_passes_by_any_of_its_names(gate: ModuleType) -> None:
    assert gate.judge(REPORT, {"CVE-2022-40897"})[0] == 0
    assert gate.judge(REPORT, {"PYSEC-2022-43012"})[0] == 0


def test_nothing_audited_is_said_and_does_not_fail(gate: ModuleType) -> None:
    skipped = {"dependencies": [{"name": "flask", "skip_reason": "not found"}], "fixes": []}

    code, lines = gate.judge(skipped, set())

    assert code == 0 and lines[0].startswith("NOT AUDITED")


def test_the_allow_list_reads_ids_and_ignores_comments(gate: ModuleType, tmp_path: Path) -> None:
    listed = tmp_path / "allow.txt"
    listed.write_text("# why\nGHSA-aaaa-bbbb-cccc  no network use; look again 2027-03\n\n")

    assert gate.allowed_ids(listed) == {"GHSA-aaaa-bbbb-cccc"}
    assert gate.allowed_ids() == set()
