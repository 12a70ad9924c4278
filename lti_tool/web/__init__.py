"""Pages and JSON endpoints of the core tutoring flow."""
