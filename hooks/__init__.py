"""Thin console-script entry points, one per pre-commit hook."""
