"""The plugin is its own distribution, found through the ``lti_tool`` entry-point group, and it
starts only with settings it can use."""

from __future__ import annotations

import importlib.metadata
import subprocess
import typing as t
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
    "booking_jobs, migration_directory, payment_provider, register_blueprints, register_commands"
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


@pytest.mark.parametrize("prefix", ["LTI_TOOL_PAYMENT_", "LTI_TOOL_"])
def test_a_secret_key_without_a_webhook_secret_stops_start_up(
    venv_bin: Path, env: dict[str, str], prefix: str
) -> None:
    secret = {f"{prefix}STRIPE_SECRET_KEY": SECRET_KEY}
    result = run(venv_bin, {**env, **secret}, "payments", "institution-report")

    assert result.returncode == 2
    assert f"{prefix}STRIPE_WEBHOOK_SECRET is required" in result.stderr
    assert "Traceback" not in result.stderr


WRONG_VALUES = [
    ("stripe_secret_key", "pk_test_publishable", "expected a Stripe secret key"),
    ("stripe_webhook_secret", "not-a-signing-secret", "expected a signing secret"),
    ("platform_fee_percent", "120", "expected 0 to 100"),
    ("platform_fee_percent", "ten", "expected a number"),
    ("stripe_api_base", "ftp://stripe.example", "expected an http(s) URL"),
    ("stripe_fee_percent", "-1", "expected 0 to 50"),
    ("stripe_fee_fixed", "lots", "expected a number"),
    ("stripe_connect_webhook_secret", "nope", "expected a signing secret"),
    # Settles days later, after any hold has run out.
    ("stripe_payment_methods", "card,sepa_debit", "sepa_debit confirms days after"),
    ("stripe_payment_methods", "card,carrier_pigeon", "'carrier_pigeon' is not"),
    ("stripe_payment_methods", " , ", "name at least one payment method"),
]
#: Each way of giving a setting, and the name a message must use for it.
FORMS = {
    "table": lambda key: f"plugins.payment.{key}",
    "environment": settings.env_name,
    "top level": lambda key: key,
    "flat environment": settings.flat_env_name,
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("key", "value", "fault"), WRONG_VALUES)
def test_a_wrong_setting_is_named_as_it_was_given(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, form: str, key: str, value: str, fault: str
) -> None:
    config: dict[str, t.Any] = {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
    }
    if form == "table":
        config[key] = value
    elif form == "top level":
        config = {**config, key: value}
    if form in ("table", "environment"):
        config = {"plugins": {"payment": config}}
    if form == "environment":
        monkeypatch.setenv(settings.env_name(key), value)
    elif form == "flat environment":
        monkeypatch.setenv(settings.flat_env_name(key), value)

    with pytest.raises(ConfigError) as raised:
        make_app(sqlite_url, **config)

    message = str(raised.value)
    assert message.startswith(f"{FORMS[form](key)}: "), message
    assert fault in message


@pytest.mark.parametrize(
    ("environ", "named"),
    [({}, "hold_minutes: "), ({settings.HOLD_MINUTES: "15"}, f"{settings.HOLD_MINUTES}: ")],
)
def test_a_hold_no_checkout_can_last_is_named_as_it_was_given(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], named: str
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    table = {"stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET}
    config: dict[str, t.Any] = {"plugins": {"payment": table}}
    if not environ:
        config["hold_minutes"] = 15

    with pytest.raises(ConfigError) as raised:
        make_app(sqlite_url, **config)

    assert str(raised.value).startswith(named)
    assert "must be 30 to 1438 minutes; got 15" in str(raised.value)


def test_the_environment_wins_over_the_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LTI_TOOL_PLATFORM_FEE_PERCENT", "12.5")
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
