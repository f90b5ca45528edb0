"""townhall: the comment section under a news article, with moderation that cites its guideline."""

__version__ = "0.1.0"
