"""Accounts: organisations, users, roles and the login pages."""
