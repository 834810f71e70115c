"""One pass: read the target, plan each pin (pure), write branches and pull requests."""
