"""The tool's signing keys: rotation with a grace period, and what the JWKS publishes."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

import lti_tool.cli
from lti_tool.lti.protocol import keys
from lti_tool.models import ToolKey
from lti_tool.models import db
from lti_tool.models import utcnow


def published(client: FlaskClient) -> dict[str, dict[str, object]]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")
    return {key["kid"]: key for key in response.json["keys"]}


def verifies(token: str, jwks: dict[str, dict[str, object]]) -> bool:
    kid = jwt.get_unverified_header(token)["kid"]
    if kid not in jwks:
        return False
    key = jwt.PyJWK(jwks[kid]).key
    jwt.decode(token, key, algorithms=["RS256"], audience="platform")
    return True


def test_first_key_is_created_on_demand_and_published(client: FlaskClient) -> None:
    jwks = published(client)
    assert len(jwks) == 1
    ((kid, key),) = jwks.items()
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in key  # never the private part
    assert keys.active_key().kid == kid
    assert len(jwt.PyJWK(key).key.public_numbers().n.to_bytes(256, "big")) == 256


def test_rotation_keeps_the_old_key_published_during_the_grace_period(
    client: FlaskClient,
) -> None:
    now = utcnow()
    old_token = keys.sign({"aud": "platform", "iat": int(now.timestamp())})
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    new = keys.rotate(dt.timedelta(hours=72), now=now)
    new_token = keys.sign({"aud": "platform"})
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid != old_kid

    jwks = published(client)
    assert set(jwks) == {old_kid, new.kid}
    assert verifies(old_token, jwks) and verifies(new_token, jwks)

    # Nothing is retired before the grace period ends.
    assert keys.retire_expired(now + dt.timedelta(hours=71)) == 0
    assert set(keys.jwks(now + dt.timedelta(hours=71))["keys"][i]["kid"] for i in (0, 1)) == {
        old_kid,
        new.kid,
    }

    assert keys.retire_expired(now + dt.timedelta(hours=72, seconds=1)) == 1
    jwks = published(client)
    assert set(jwks) == {new.kid}
    assert not verifies(old_token, jwks)
    assert verifies(new_token, jwks)


def test_a_retired_key_is_not_published_even_before_it_is_deleted(app: Flask) -> None:
    now = utcnow()
    old = keys.active_key().kid
    keys.rotate(dt.timedelta(hours=1), now=now)
    later = now + dt.timedelta(hours=2)
    assert old not in {key["kid"] for key in keys.jwks(later)["keys"]}
    assert db.session.query(ToolKey).count() == 2


def test_negative_grace_is_refused(app: Flask) -> None:
    with pytest.raises(ValueError):
        keys.rotate(dt.timedelta(hours=-1))


def test_keys_commands(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(lti_tool.cli.cli, ["keys", "list"])
    assert first.exit_code == 0, first.output
    assert first.output.count("active") == 1
    rotated = runner.invoke(lti_tool.cli.cli, ["keys", "rotate", "--grace-hours", "24"])
    assert rotated.exit_code == 0, rotated.output
    assert "New active key" in rotated.output
    listed = runner.invoke(lti_tool.cli.cli, ["keys", "list"])
    assert listed.output.count("  active") == 1
    assert listed.output.count("published until") == 1
    bad = runner.invoke(lti_tool.cli.cli, ["keys", "rotate", "--grace-hours", "-3"])
    assert bad.exit_code != 0
    db.session.rollback()
    assert db.session.query(ToolKey).count() == 2
