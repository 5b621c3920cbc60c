"""Firms, leads and contacts shared by the organisations (the CRM)."""
