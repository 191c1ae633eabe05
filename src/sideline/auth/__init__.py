"""Passwords, tokens, API keys and the principal that every request acts as."""
