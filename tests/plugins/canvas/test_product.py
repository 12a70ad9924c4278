"""How the Canvas product recognises a platform and picks an environment's endpoints."""

from __future__ import annotations

import pytest
from lti_tool_canvas import CanvasProduct
from lti_tool_canvas.product import SSO_ORIGINS

from lti_tool.lti.products.product import Product
from lti_tool.lti.products.registry import ProductRegistry
from lti_tool.testing import make_test_app as make_app

from .conftest import BETA
from .conftest import PRODUCTION
from .conftest import TEST

SELF_HOSTED = "https://canvas.school.edu"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ProductRegistry:
    """The products of an application built with every installed plugin."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('canvas') / 'unused.sqlite'}")
    found: ProductRegistry = app.extensions["lti_tool.products"]
    return found


@pytest.mark.parametrize("code", [None, "canvas", "Canvas"])
@pytest.mark.parametrize("issuer", [PRODUCTION, BETA, TEST, PRODUCTION + "/", SELF_HOSTED])
def test_recognised_by_hosted_issuer_or_family_code(
    registry: ProductRegistry, issuer: str, code: str | None
) -> None:
    expected = Product if issuer == SELF_HOSTED and code is None else CanvasProduct
    assert registry.for_platform(issuer, code) is expected


@pytest.mark.parametrize(
    ("issuer", "sent", "environment"),
    [
        (PRODUCTION, "production", "production"),
        # Canvas documents "production" and has been seen to send "prod".
        (PRODUCTION, "prod", "production"),
        (BETA, "beta", "beta"),
        (TEST, " Test ", "test"),
        (PRODUCTION, "", None),
        (PRODUCTION, "staging", None),
        # A self-hosted Canvas says "production" but serves its endpoints itself.
        (SELF_HOSTED, "production", None),
    ],
)
def test_the_login_names_the_environment(issuer: str, sent: str, environment: str | None) -> None:
    params = {"canvas_environment": sent, "canvas_region": "us-east-1"}
    assert CanvasProduct.login_environment(issuer, params) == environment


@pytest.mark.parametrize("environment", list(SSO_ORIGINS))
def test_each_environment_has_its_own_endpoints(environment: str) -> None:
    origin = SSO_ORIGINS[environment]
    assert CanvasProduct.endpoints_for_environment(environment) == {
        "auth_login_url": f"{origin}/api/lti/authorize_redirect",
        "auth_token_url": f"{origin}/login/oauth2/token",
        "key_set_url": f"{origin}/api/lti/security/jwks",
    }
