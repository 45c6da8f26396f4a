"""Limits on the knowledge files."""

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
