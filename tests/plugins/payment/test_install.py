"""The plugin is its own distribution, found through the ``lti_tool`` entry-point group, and it
starts only with settings it can use."""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path

import pytest
from lti_tool_payment import StripeProvider
from lti_tool_payment import settings

from lti_tool.config import ConfigError
from lti_tool.plugins import get_plugins
from lti_tool.plugins import pm
from lti_tool.testing import make_test_app as make_app

from .conftest import SECRET_KEY
from .conftest import WEBHOOK_SECRET

HOOKS = (
    "booking_event, migration_directory, payment_provider, register_blueprints, register_commands"
)


def run(venv_bin: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv_bin / "lti-tool"), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**clean_env, "LTI_TOOL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}


def test_entry_point_names_the_package() -> None:
    (point,) = importlib.metadata.entry_points(group="lti_tool", name="payment")
    assert point.value == "lti_tool_payment"
    assert point.dist is not None and point.dist.name == "lti-tool-payment"
    assert importlib.metadata.version("stripe")


def test_command_line_lists_the_plugin_and_its_report(venv_bin: Path, env: dict[str, str]) -> None:
    version = importlib.metadata.version("lti-tool-payment")

    listing = run(venv_bin, env, "plugins")
    report = run(venv_bin, env, "payments", "institution-report", "--help")

    assert listing.returncode == 0, listing.stderr
    assert f"payment {version}: {HOOKS}" in listing.stdout.splitlines()
    assert report.returncode == 0, report.stderr
    assert "--month YYYY-MM" in report.stdout


def test_a_secret_key_without_a_webhook_secret_stops_start_up(
    venv_bin: Path, env: dict[str, str]
) -> None:
    result = run(
        venv_bin, {**env, settings.SECRET_KEY: SECRET_KEY}, "payments", "institution-report"
    )

    assert result.returncode == 2
    assert settings.WEBHOOK_SECRET in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"stripe_secret_key": "pk_test_publishable"}, settings.SECRET_KEY),
        ({"stripe_webhook_secret": "not-a-signing-secret"}, settings.WEBHOOK_SECRET),
        ({"platform_fee_percent": "120"}, settings.FEE_PERCENT),
        ({"platform_fee_percent": "ten"}, settings.FEE_PERCENT),
        ({"stripe_api_base": "ftp://stripe.example"}, settings.API_BASE),
        ({"hold_minutes": 15}, settings.HOLD_MINUTES),
        ({"stripe_fee_percent": "-1"}, settings.PROCESSING_PERCENT),
        ({"stripe_fee_fixed": "lots"}, settings.PROCESSING_FIXED),
        ({"stripe_connect_webhook_secret": "nope"}, settings.CONNECT_WEBHOOK_SECRET),
        # Settles days later, after any hold has run out.
        ({"stripe_payment_methods": "card,sepa_debit"}, "sepa_debit confirms days after"),
        ({"stripe_payment_methods": "card,carrier_pigeon"}, "'carrier_pigeon' is not"),
        ({"stripe_payment_methods": " , "}, settings.PAYMENT_METHODS),
    ],
)
def test_a_wrong_setting_is_named(sqlite_url: str, changes: dict[str, object], named: str) -> None:
    config = {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        **changes,
    }
    with pytest.raises(ConfigError, match=named):
        make_app(sqlite_url, **config)


def test_the_environment_wins_over_the_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.FEE_PERCENT, "12.5")
    app = make_app(
        sqlite_url,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        platform_fee_percent="5",
    )
    with app.app_context():
        provider = pm.hook.payment_provider()
    assert isinstance(provider, StripeProvider)
    assert str(provider.settings.platform_fee_percent) == "12.5"


def test_without_a_secret_key_the_free_default_answers(sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    with app.app_context():
        provider = pm.hook.payment_provider()
        webhook = app.test_client().post("/payments/stripe/webhook", data=b"{}")
    assert provider.name == "none"
    assert webhook.status_code == 404
    info = {plugin.name: plugin for plugin in get_plugins()}["payment"]
    assert ", ".join(info.hooks) == HOOKS
