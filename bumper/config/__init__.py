"""The config file: one loader, typed settings, the matrix and its workflow import."""
