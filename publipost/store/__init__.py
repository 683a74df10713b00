"""The suppression store: who must not be mailed again, across all of a sender's campaigns."""
