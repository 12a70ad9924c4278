"""LTI 1.3: platforms, launches, and the per-LMS products that tell them apart.

``views`` serves the OIDC login, the launch and the key set; ``state`` binds a login to the
browser; ``validation`` checks the id_token; the product's ``claims`` capability maps it to a
neutral ``launch.Launch``; ``provision`` writes the person, course and enrollment. ``keys``
holds the tool's signing keys, ``tokens`` gets access tokens for platform services,
``platforms`` and ``commands`` register platforms, ``dynamic_registration`` lets a platform
register the tool itself. The product's service capabilities are ``grading`` (AGS),
``roster`` (NRPS) and ``deep_linking``; ``picker`` is the activity picker, ``activities`` and
``passback`` credit attendance in the gradebook, ``members`` feeds the course view's roster.
``dev_platform`` and ``dev_lms`` are a platform for development. See ``docs/lti.md``.
"""
