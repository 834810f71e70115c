"""`bumper serve`: the scheduled daemon, its HTTP endpoints, metrics, state and status page."""
