"""Sites (incubators, business hotels, activity zones…) and their premises."""
