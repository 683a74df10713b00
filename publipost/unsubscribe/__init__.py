"""The unsubscribe endpoint and the mailto unsubscribe reader: both feed the suppression store."""
