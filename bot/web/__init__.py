"""The bot's own HTTP side: what it serves behind the reverse proxy (the Mini App under /app)."""
