"""The Telegram Mini App for supervisors and the governor's office, served under /app (see site.py)."""
