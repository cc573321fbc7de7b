"""The bot's own HTTP server and what it serves besides Telegram: WhatsApp's webhook, operators' endpoints."""
