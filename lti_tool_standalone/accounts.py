"""Local accounts: sign up, confirm the e-mail address, log in, and reset a forgotten password.

Logging out of this browser is the core's ``POST /sign-out``; the account page signs a person
out everywhere, and changing or resetting the password does the same for every other browser.
Nothing here tells a visitor whether an e-mail
address has an account: a wrong password and an unknown address get the same page after the
same amount of hashing, sign-up with a taken address looks like any other sign-up (the owner
gets an e-mail about it), and so do reset requests.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from lti_tool.api import MailError
from lti_tool.api import RoleName
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import current_user
from lti_tool.api import db
from lti_tool.api import end_every_session
from lti_tool.api import local_path
from lti_tool.api import never_framed
from lti_tool.api import require_user
from lti_tool.api import sign_in
from lti_tool.api import timezones
from lti_tool_standalone import messages
from lti_tool_standalone import throttle
from lti_tool_standalone import tokens
from lti_tool_standalone.passwords import WeakPassword
from lti_tool_standalone.passwords import check_new_password
from lti_tool_standalone.passwords import check_password
from lti_tool_standalone.passwords import hash_password
from lti_tool_standalone.passwords import needs_rehash

log = logging.getLogger(__name__)
bp = never_framed(Blueprint("accounts", __name__))

NO_MATCH = "That e-mail address and password do not match an account."
TOO_MANY = "Too many failed attempts. Wait a while, or reset your password."
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def safe_next(value: str | None) -> str:
    """A local path to continue to after logging in; anything else becomes the dashboard."""
    return local_path(value) or url_for("dashboard.dashboard")


def _user_by_email(email: str) -> User | None:
    if not email:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def _deliver(send: messages.Sender, user: User) -> bool:
    # Past the limit the visitor sees the usual page, so it cannot tell a flooded inbox, or an
    # address without an account, from any other.
    if not throttle.mail_allowed(user.email or "", request.remote_addr):
        log.warning("mail limit reached; no e-mail sent to user %s", user.id)
        return True
    try:
        send(user)
    except MailError:
        log.exception("could not e-mail user %s", user.id)
        flash("We could not send you an e-mail just now; please try again later.", "error")
        return False
    return True


def _signup_page(form: dict[str, str], errors: dict[str, str]) -> str:
    zones = sorted(timezones())
    return render_template("standalone/signup.html", form=form, errors=errors, zones=zones)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str | tuple[str, int]:
    """Create a learner account; the browser fills in its timezone."""
    form = {
        "name": request.form.get("name", "").strip(),
        "email": normalize_email(request.form.get("email")),
        "timezone": request.form.get("timezone", ""),
    }
    if request.method == "GET":
        return _signup_page(form, {})
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not 1 <= len(form["name"]) <= 200:
        errors["name"] = "Tell us your name (up to 200 characters)."
    if len(form["email"]) > 320 or not _EMAIL.fullmatch(form["email"]):
        errors["email"] = "Enter an e-mail address such as ada@example.org."
    if form["timezone"] not in timezones():
        errors["timezone"] = "Pick your timezone from the list."
    try:
        check_new_password(password, form["email"])
    except WeakPassword as exc:
        errors["password"] = str(exc)
    if errors:
        return _signup_page(form, errors), 400
    # Hashed before looking the address up, so a taken address costs the same time.
    password_hash = hash_password(password)
    existing = _user_by_email(form["email"])
    if existing is not None:
        _deliver(messages.send_signup_notice, existing)
    else:
        user = User(
            name=form["name"],
            email=form["email"],
            timezone=form["timezone"],
            password_hash=password_hash,
        )
        user.add_role(RoleName.LEARNER)
        db.session.add(user)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Someone signed up with this address a moment ago; answer as for a taken one.
            db.session.rollback()
        else:
            _deliver(messages.send_verification, user)
    return render_template("standalone/check_inbox.html", email=form["email"])


@bp.get("/verify/<token>")
def verify(token: str) -> Response | tuple[str, int]:
    """Confirm the address a sign-up link was sent to."""
    user = tokens.user_for_verification(token)
    if user is None:
        return render_template("standalone/link_invalid.html", kind="confirmation"), 400
    if user.email_verified_at is None:
        user.email_verified_at = current_time()
        db.session.commit()
    viewer = current_user()
    if viewer is not None and viewer.id == user.id:
        flash("Your e-mail address is confirmed.", "success")
        return redirect(url_for("dashboard.dashboard"))
    flash("Your e-mail address is confirmed. Log in to continue.", "success")
    return redirect(url_for(".login", email=user.email))


@bp.post("/verify/resend")
def resend_verification() -> str:
    email = normalize_email(request.form.get("email"))
    user = _user_by_email(email)
    if user is not None and user.is_active and user.email_verified_at is None:
        _deliver(messages.send_verification, user)
    return render_template("standalone/check_inbox.html", email=email)


def _login_page(email: str, next_url: str, status: int = 200) -> Response:
    page = render_template("standalone/login.html", email=email, next_url=next_url)
    return make_response(page, status)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    next_url = safe_next(request.values.get("next"))
    email = normalize_email(request.values.get("email"))
    if request.method == "GET":
        return _login_page(email, next_url)
    attempt = throttle.login_attempt(email, request.remote_addr)
    if attempt.retry_after:
        flash(TOO_MANY, "error")
        response = _login_page(email, next_url, 429)
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    user = _user_by_email(email)
    matched = check_password(user, request.form.get("password", ""))
    if not matched or user is None or not user.is_active:
        flash(NO_MATCH, "error")
        return _login_page(email, next_url)
    if user.email_verified_at is None:
        if _deliver(messages.send_verification, user):
            flash("Confirm your e-mail address first: we have sent you a new link.", "error")
        return _login_page(email, next_url, 403)
    if needs_rehash(user):
        user.password_hash = hash_password(request.form.get("password", ""))
        db.session.commit()
    throttle.login_succeeded(attempt)
    sign_in(user)
    return redirect(next_url)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str:
    email = normalize_email(request.values.get("email"))
    if request.method == "GET":
        return render_template("standalone/forgot.html", email=email, sent=False)
    user = _user_by_email(email)
    if user is not None and user.is_active:
        _deliver(messages.send_reset, user)
    return render_template("standalone/forgot.html", email=email, sent=True)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password; the link stops working once it has been used."""
    user = tokens.user_for_reset(token)
    if user is None:
        return render_template("standalone/link_invalid.html", kind="password reset"), 400
    if request.method == "GET":
        return render_template("standalone/reset.html", token=token, error="")
    password = request.form.get("password", "")
    try:
        check_new_password(password, user.email)
        if password != request.form.get("confirm", ""):
            raise WeakPassword("The two passwords differ.")
    except WeakPassword as exc:
        return render_template("standalone/reset.html", token=token, error=str(exc)), 400
    user.password_hash = hash_password(password)
    # Following a link sent to the address proves the address, as confirming it would.
    user.email_verified_at = user.email_verified_at or current_time()
    # Whoever knew the old password may still hold a session; it ends with the new one.
    end_every_session(user)
    throttle.forget_account(user.email or "", request.remote_addr)
    current_app.logger.info("password reset for user %s", user.id)
    flash("Your password is changed. Log in with the new one.", "success")
    return redirect(url_for(".login", email=user.email))


def _account_page(user: User, error: str = "", status: int = 200) -> Response:
    page = render_template("standalone/account.html", user=user, error=error)
    return make_response(page, status)


@bp.get("/account")
@require_user
def account() -> Response:
    """Change the password, or sign out on every device."""
    user = current_user()
    assert user is not None
    return _account_page(user)


@bp.post("/account/password")
@require_user
def change_password() -> Response:
    """Replace the password; every other browser signed in as this person is signed out."""
    user = current_user()
    assert user is not None
    if user.password_hash is None:
        return _account_page(user, "This account signs in through an LMS and has no password.", 400)
    attempt = throttle.login_attempt(user.email or "", request.remote_addr)
    if attempt.retry_after:
        response = _account_page(user, TOO_MANY, 429)
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    if not check_password(user, request.form.get("current", "")):
        return _account_page(user, "Your current password is not the one you entered.", 400)
    throttle.login_succeeded(attempt)
    password = request.form.get("password", "")
    try:
        check_new_password(password, user.email)
        if password != request.form.get("confirm", ""):
            raise WeakPassword("The two new passwords differ.")
    except WeakPassword as exc:
        return _account_page(user, str(exc), 400)
    user.password_hash = hash_password(password)
    end_every_session(user)
    sign_in(user)
    current_app.logger.info("password changed for user %s", user.id)
    flash("Your password is changed. You are signed out everywhere else.", "success")
    return redirect(url_for(".account"))


@bp.post("/account/sign-out-everywhere")
@require_user
def sign_out_everywhere() -> Response:
    """End every session of this person, in this browser and all others."""
    user = current_user()
    assert user is not None
    end_every_session(user)
    current_app.logger.info("user %s signed out everywhere", user.id)
    flash("You are signed out on every device.", "success")
    return redirect(url_for(".login", email=user.email))
