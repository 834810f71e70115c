"""A GitHub-compatible server on loopback, backed by real bare git repositories."""
