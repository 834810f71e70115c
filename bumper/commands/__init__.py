"""One module per CLI verb; each exposes main(args) -> exit code."""


def count(n: int, noun: str) -> str:
    """``1 request``, ``2 requests``: what every verb prints of a number of things."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
