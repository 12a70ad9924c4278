"""Learn's issuer and the developer portal's endpoints, shared by the product and the
registration steps."""

from __future__ import annotations

from collections.abc import Mapping

ISSUER = "https://blackboard.com"
GATEWAY = "https://developer.blackboard.com/api/v1"
#: Fixed portal endpoints. The key set is per application, so its template needs the client id
#: (``{client_id}``) as well.
TEMPLATES: Mapping[str, str] = {
    "auth_login_url": f"{GATEWAY}/gateway/oidcauth",
    "auth_token_url": f"{GATEWAY}/gateway/oauth2/jwttoken",
    "key_set_url": f"{GATEWAY}/management/applications/{{client_id}}/jwks.json",
}
