"""Audit the installed dependencies for known vulnerabilities, as part of CI.

Runs pip-audit on the venv and fails on any vulnerability not listed in ``audit-allow.txt``.
When the vulnerability database cannot be reached, or knows none of the installed versions,
nothing was audited: that is said loudly and does not fail the run, since it says nothing
about the code.

    python .ci/audit.py                  # audit this interpreter's environment
    python .ci/audit.py --report r.json  # judge a saved ``pip-audit -f json`` report
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ALLOW_LIST = Path(__file__).with_name("audit-allow.txt")


def allowed_ids(path: Path = ALLOW_LIST) -> set[str]:
    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            ids.add(entry.split()[0])
    return ids


def judge(report: dict[str, Any], allowed: set[str]) -> tuple[int, list[str]]:
    """The exit code for *report* and the lines to print."""
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    lines = []
    found = []
    for dep in audited:
        for vuln in dep.get("vulns", []):
            names = {vuln["id"], *vuln.get("aliases", [])}
            if names & allowed:
                lines.append(f"allowed: {dep['name']} {dep['version']} {vuln['id']}")
                continue
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if not audited:
        lines.append(
            f"NOT AUDITED: the vulnerability database knew none of the {len(dependencies)} "
            "installed packages (unreachable, or versions it does not list)"
        )
        return 0, lines
    lines.append(f"{len(audited)} of {len(dependencies)} packages audited")
    if found:
        lines.extend(["known vulnerabilities:", *found])
        return 1, lines
    lines.append("no known vulnerability outside the allow-list")
    return 0, lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path, help="a saved pip-audit JSON report")
    options = parser.parse_args()
    if options.report:
        text = options.report.read_text(encoding="utf-8")
    else:
        run = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "-f", "json"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        text = run.stdout
        if not text.strip():
            print(f"NOT AUDITED: pip-audit gave no report\n{run.stderr[-2000:]}")
            return 0
    code, lines = judge(json.loads(text), allowed_ids())
    print("\n".join(f"audit: {line}" for line in lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
