"""Shared core of Achilles: settings, the event contract, the landing zone, vocabularies."""
