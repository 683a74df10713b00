"""Closing the loop: who got what (the manifest), what came back (responses), what it was worth
(the report)."""
