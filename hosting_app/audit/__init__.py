"""The audit log: who created, changed, merged, exported or viewed personal data, and when."""
