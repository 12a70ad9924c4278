"""LTI 1.3: platforms, launches, and the per-LMS products that tell them apart.

Four rooms, each a subpackage:

- ``protocol``: what speaks LTI 1.3 itself. The OIDC login, the launch and the key set
  (``views``), the login's state (``state``), the id_token checks (``validation``), claims to a
  neutral ``launch.Launch`` (``claims``), writing a launch (``provision``), the launch the
  session remembers (``session``), the tool's keys and the platforms' (``keys``,
  ``platform_keys``), access tokens for platform services (``tokens``).
- ``products``: what differs between LMSs. The ``Product`` base class and its capabilities
  (``grading``, ``roster``, ``deep_linking``, the registration document in ``tool_config``),
  and the ``registry`` of the products plugins registered.
- ``platforms``: administering them. Registrations and deployments (``registrations``),
  dynamic registration and its invitations, the ``lti-tool platform`` commands.
- ``course``: what happens inside a course. Where a launch lands, the instructor's course
  page and roster, the activity picker, activities and the attendance passback.

The development LMS is a default plugin, :mod:`lti_tool.default_plugins.dev_lms`. See
``docs/lti.md``.
"""
