"""One module per CLI verb; each exposes main(args) -> exit code."""
