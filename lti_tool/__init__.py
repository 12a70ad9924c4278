"""One-to-one tutoring inside any LMS (LTI 1.3) or on its own as a public site."""

from __future__ import annotations

from lti_tool.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
