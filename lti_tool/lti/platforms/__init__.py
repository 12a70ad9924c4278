"""Platform administration: registrations, deployments, dynamic registration, the commands."""
