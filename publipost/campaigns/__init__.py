"""Campaigns: the YAML model, the audience drawn from customer files, and their checks."""
