"""The mailer: MIME composition, SMTP delivery, the send journal."""
