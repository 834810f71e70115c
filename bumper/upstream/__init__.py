"""Upstream look-ups: branch heads by GraphQL or git smart HTTP, compares and commit dates."""
