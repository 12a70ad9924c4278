"""Who is making the request.

An LTI launch and a standalone sign-in both end in :func:`sign_in`, which keeps the user id
and the user's session epoch in the signed session cookie; everything else asks
:func:`current_user`. A signed cookie cannot be taken back from the browser that holds it, so
a session is ended for good by raising the user's epoch (:func:`end_every_session`): every
cookie carrying an older one stops counting as signed in.
"""

from __future__ import annotations

import functools
import typing as t

import sqlalchemy as sa
from flask import abort
from flask import g
from flask import has_request_context
from flask import session

from lti_tool.models import RoleName
from lti_tool.models import User
from lti_tool.models import db

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


USER_KEY = "user_id"
EPOCH_KEY = "session_epoch"


def sign_in(user: User) -> None:
    session.clear()
    session[USER_KEY] = user.id
    session[EPOCH_KEY] = user.session_epoch
    session.permanent = True
    g.pop("current_user", None)


def sign_out() -> None:
    """End this browser's session; sessions elsewhere stay (see :func:`end_every_session`)."""
    session.clear()
    g.pop("current_user", None)


def end_every_session(user: User) -> None:
    """Sign *user* out everywhere, this browser included, and commit.

    After a password change the caller signs the current browser in again with
    :func:`sign_in`, so only the other sessions end.
    """
    # Incremented in SQL so two changes at once both count instead of both writing n + 1.
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(user)
    if has_request_context() and session.get(USER_KEY) == user.id:
        sign_out()


def current_user() -> User | None:
    user_id = session.get(USER_KEY)
    # Sessions signed before epochs existed carry none; every user started at 0, so they
    # count as epoch 0 and end with the first revocation like any other.
    epoch = session.get(EPOCH_KEY, 0)
    key = (user_id, epoch)
    cached = g.get("current_user")
    # The cache is checked against the session because an application context (and its g)
    # may outlive one request, as it does in tests.
    if cached is not None and cached[0] == key:
        return t.cast(User | None, cached[1])
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or epoch != user.session_epoch:
        user = None
    g.current_user = (key, user)
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
