"""Importers: bring a newsroom's comments over from Disqus, WordPress, Isso and Coral."""
