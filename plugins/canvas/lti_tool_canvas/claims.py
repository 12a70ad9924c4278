"""Reading Canvas launches.

Canvas follows the generic mapping except for custom fields: a variable it cannot expand in the
launching context (``$Canvas.course.id`` from a user-level placement, ``$Canvas.user.id`` for a
user it does not expose) arrives as the variable's own name. Taking that text for a value would
make every such launch share the id ``$Canvas.course.id``, so those fields are dropped.

Canvas also adds the vendor claim ``https://www.instructure.com/placement``: the placement the
tool was opened from (``course_navigation``, ``link_selection``, ``assignment_selection``...).
It may be absent or null.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Mapping

from lti_tool.api import ClaimMapper

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.api import Launch

PLACEMENT = "https://www.instructure.com/placement"
#: A substitution variable's name: ``$`` then dotted identifiers (``$Canvas.user.id``,
#: ``$com.instructure.Person.pronouns``). A real value such as ``$5.00`` does not match.
UNEXPANDED_VARIABLE = re.compile(r"^\$[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")


def placement(launch: Launch) -> str | None:
    """The Canvas placement a launch came from, or None when Canvas did not say."""
    value = launch.claims.get(PLACEMENT)
    return value if isinstance(value, str) and value else None


class CanvasClaims(ClaimMapper):
    """The generic reading, without custom fields Canvas left unexpanded."""

    def custom(self, claims: Mapping[str, t.Any]) -> dict[str, str]:
        return {
            name: value
            for name, value in super().custom(claims).items()
            if not UNEXPANDED_VARIABLE.match(value)
        }
