"""The development LMS: a mock course at ``/dev/lms`` that launches the tool through the real
OIDC flow, so ``make run`` shows the LMS experience without an LMS.

``platform`` is the LTI 1.3 platform it plays (its registration, key, people and id_tokens);
``views`` its pages. Its blueprint is always registered, and answers 404 outside development
mode, where the core's login also refuses its registration. Its script, ``dev_lms.js``, is
the one file it leaves in the core: it sits with the LTI scripts the ``lti`` blueprint serves
under ``/static/lti/``, the address its pages load it from.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint

from lti_tool import hookimpl
from lti_tool.default_plugins.dev_lms import views


@hookimpl
def register_blueprints(register: t.Callable[[Blueprint], None]) -> None:
    register(views.bp)
