"""Personal data (GDPR): the privacy notice, consent records, retention, access and erasure."""
