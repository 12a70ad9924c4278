"""LTI 1.3 itself: OIDC login, launch, id_token checks, claims, keys and service tokens."""
