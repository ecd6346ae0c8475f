"""Checking a results folder or a hand-over bundle: verify, compare, bundle."""
