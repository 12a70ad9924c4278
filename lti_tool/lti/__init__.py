"""LTI 1.3: platforms, launches, and the per-LMS products that tell them apart."""
