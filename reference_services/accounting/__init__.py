"""The accounting service: credit allocations with expiry, balances, and charging completed streams."""

from reference_services.accounting.app import create_app

__all__ = ["create_app"]
