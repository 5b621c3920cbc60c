"""Inquiries that prospective firms send from the public form, and their follow-up."""
