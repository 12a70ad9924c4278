"""Which outside services the tests may use, and what happens when one is missing.

PostgreSQL, Redis and Chromium tests skip on a machine that lacks them, loudly; with
``LTI_TOOL_REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing service fails the test instead,
so CI always runs everything.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def services_required() -> bool:
    return os.environ.get("LTI_TOOL_REQUIRE_SERVICES", "") not in {"", "0", "false"}


def missing(reason: str) -> None:
    """Skip (or, when services are required, fail) the current test."""
    message = f"SERVICE MISSING: {reason}"
    if services_required():
        pytest.fail(message + " (LTI_TOOL_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(message)


def postgres_url() -> str:
    url = os.environ.get("LTI_TOOL_TEST_POSTGRES_URL", "")
    if not url:
        missing("LTI_TOOL_TEST_POSTGRES_URL is not set; PostgreSQL tests did not run")
    return url


def redis_url() -> str:
    url = os.environ.get("LTI_TOOL_TEST_REDIS_URL", "")
    if not url:
        missing("LTI_TOOL_TEST_REDIS_URL is not set; Redis tests did not run")
    return url


def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"{CHROMIUM} not found; browser tests did not run")
    return CHROMIUM
