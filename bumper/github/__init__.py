"""GitHub I/O: the one HTTP client, GraphQL text and answers, the Forge and its PyGithub forge."""
