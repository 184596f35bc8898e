"""Conformance suite for the voice-security audio API.

This module holds the version only and imports nothing, so that importing ``conformance.reference`` (the
reference server) never loads the suite, and the other way round.
"""

__version__ = "0.1.0"
