"""The one exception root of Lapor Netral, and its family tree.

LaporNetralError
├── SettingsError          — bot/settings.py: a missing or invalid setting; the program says which and stops
├── MissingTranslation     — locales: a key absent from a catalog (a programming error, caught by tests)
├── DeliveryError          — bot/outbox.py: how an outbox deliverer's failure is to be treated
│   ├── RetryLater         — try again after `delay` seconds (rate limits, a group not yet writable)
│   └── GiveUp             — can never be delivered; kept as 'dead' for the record
├── CallbackDataError      — handlers/common/callbacks.py: button data longer than Telegram's 64 bytes
├── FetchFailed            — handlers/common/events.py: a photo could not be downloaded from the channel
├── ImageRejected          — handlers/report/images.py: a file that is not an acceptable photo
├── DateError              — handlers/common/when.py: an incident date the conversation answers
│   └── DateInFuture
├── SearchError            — handlers/triage/search.py: a /cari or /ekspor query the group is told about
└── RoutingError           — handlers/common/routing.py: a REGION_GROUPS_FILE that cannot be used as written

Errors a user can cause (dates, searches, images) are values the conversation answers; the others are
the machine's, logged with exc_info first, then reported.
"""

from __future__ import annotations


class LaporNetralError(Exception):
    """Root of every exception this program raises on purpose."""
