"""bumper: keep commit-sha pins in Makefiles current, one pull request per pin."""

__version__ = "0.1.0"
