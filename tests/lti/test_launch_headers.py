"""A launched page may be framed by the platform that launched it, and its cookie survives the
iframe over HTTPS."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.lti.conftest import Tool


def test_the_landing_page_of_a_launch_may_be_framed_by_its_platform(tool: Tool) -> None:
    response = tool.launch(custom={"subject": "algebra"})
    page = tool.follow(response)
    assert page.status_code == 200
    csp = dict(
        directive.strip().partition(" ")[::2]
        for directive in page.headers["Content-Security-Policy"].split(";")
    )
    platform = urlsplit(tool.platform.issuer)
    assert f"{platform.scheme}://{platform.netloc}" in csp["frame-ancestors"].split()
    assert "'self'" in csp["frame-ancestors"].split()
    assert "x-frame-options" not in {name.lower() for name in page.headers}
    assert page.headers["X-Content-Type-Options"] == "nosniff"
