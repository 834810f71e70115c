"""`bumper audit`: every commit pin in a repository, tracked or not, and what to do about it."""
