"""The running program: settings, the composition root, the channels' transports, the outbox."""

import os

# Opt in to python-telegram-bot's timedelta values (RetryAfter.retry_after and friends) now, rather than
# carrying its deprecation warning; our code reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")
