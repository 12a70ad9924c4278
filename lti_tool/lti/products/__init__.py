"""LMS products: the generic LTI 1.3 platform, its capabilities, and the registry of products."""
