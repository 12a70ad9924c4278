"""Who is making the request.

An LTI launch and a standalone sign-in both end in :func:`sign_in`, which keeps the user id
in the signed session cookie; everything else asks :func:`current_user`.
"""

from __future__ import annotations

import functools
import typing as t

from flask import abort
from flask import g
from flask import session

from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def sign_in(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    g.pop("current_user", None)


def sign_out() -> None:
    session.clear()
    g.pop("current_user", None)


def current_user() -> User | None:
    user_id = session.get("user_id")
    cached = g.get("current_user")
    # The cache is checked against the session because an application context (and its g)
    # may outlive one request, as it does in tests.
    if cached is not None and cached[0] == user_id:
        return t.cast(User | None, cached[1])
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    user = user if user is not None and user.is_active else None
    g.current_user = (user_id, user)
    return user


def require_user(view: F) -> F:
    """Refuse anonymous requests with 401."""

    @functools.wraps(view)
    def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if current_user() is None:
            abort(401, description="Sign in first.")
        return view(*args, **kwargs)

    return t.cast(F, wrapped)


def require_role(*roles: RoleName) -> t.Callable[[F], F]:
    """Refuse requests from people who hold none of *roles* (admins always pass)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
            user = current_user()
            if user is None:
                abort(401, description="Sign in first.")
            if not (user.role_names & {*roles, RoleName.ADMIN}):
                needed = " or ".join(role.value for role in roles)
                abort(403, description=f"This needs the {needed} role.")
            return view(*args, **kwargs)

        return t.cast(F, wrapped)

    return decorate
