"""The auth service: log-in (JWTs) and admin user management."""

from reference_services.auth.app import create_app

__all__ = ["create_app"]
