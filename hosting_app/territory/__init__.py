"""The territory: communes and their intercommunalities."""
