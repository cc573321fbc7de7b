"""Configuration, read once at start from the environment and `.env`.

A wrong or missing key stops the program with one line naming it (`SettingsError`); the bot token is a
`SecretStr`, so it never appears in a repr, a log line or a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.common.errors import LaporNetralError

if TYPE_CHECKING:
    from handlers.common.routing import Routing

TELEGRAM_DEFAULT_API: Final = "https://api.telegram.org"
WHATSAPP_DEFAULT_API: Final = "https://graph.facebook.com"
_TOKEN_RE: Final = re.compile(r"^\d{3,12}:[A-Za-z0-9_-]{30,}$")
# What setWebhook accepts as secret_token, at least 16 characters long: a guessable one protects nothing.
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_WEBHOOK_SECRET_RE: Final = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
WEBHOOK_SECRET_HELP: Final = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingsError(LaporNetralError):
    """A setting is missing or wrong; the message names the key and never its secret value."""


class Settings(BaseSettings):
    """Every key documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_DEFAULT_API
    supervisor_chat_id: int | None = None
    summary_chat_id: int | None = None
    supervisor_ids: str = ""
    evidence_custodian_ids: str = ""
    database_path: Path = Path("data/lapor-netral.sqlite3")
    evidence_dir: Path = Path("data/evidence")
    default_locale: str = "id"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    timezone: str = "Asia/Jakarta"
    region_file: Path | None = None
    # Regional supervisors' groups (issue 13): empty = every report to SUPERVISOR_CHAT_ID.
    region_groups_file: Path | None = None
    digest_minutes: int = Field(default=60, ge=5, le=1440)
    max_image_mb: float = Field(default=20.0, gt=0, le=2000)
    max_photos: int = Field(default=10, ge=1, le=10)
    messages_per_minute: int = Field(default=30, ge=1)
    reports_per_day: int = Field(default=10, ge=1)
    # Disk a sender's evidence may take in 24 hours (originals and clean copies); 0 turns the cap off.
    max_evidence_mb_per_day: float = Field(default=200.0, ge=0)
    summary_time: time = time(7, 0)
    # A forwarded report still without an outcome this many days later is listed in the daily summary.
    summary_referral_overdue_days: int = Field(default=30, ge=1, le=365)
    triage_reminder_time: time = time(7, 30)
    contact_retention_days: int = Field(default=180, ge=1)
    # Operations (issue 13): warn the provincial group when a group's oldest card waits this long.
    stale_card_minutes: int = Field(default=10, ge=1)
    log_level: str = "INFO"
    # The bot's own HTTP server (bot/web/server.py): WhatsApp's webhook, health and metrics. Port 0: any free one.
    http_listen: str = "127.0.0.1"
    http_port: int = Field(default=8444, ge=0, le=65535)
    # WhatsApp Cloud API (issue 6): off while WHATSAPP_TOKEN is empty.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_url: str = WHATSAPP_DEFAULT_API
    whatsapp_template_notice: str = "lapor_netral_notice"
    # The Mini App for supervisors and the office (issue 15): the public https URL of /app; empty = off.
    miniapp_url: str = ""

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOKEN_RE.match(value.strip()):
            # Never echo the value: a mistyped token is still mostly a secret.
            raise ValueError("does not look like a BotFather token (digits:letters)")
        return value.strip()

    @field_validator("supervisor_chat_id", "summary_chat_id", "region_file", "region_groups_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret_shape(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not _WEBHOOK_SECRET_RE.match(value.strip()):
            # Never echo the value; say how to make a good one.
            raise ValueError(f"must be 16 to 256 letters, digits, _ or - (make one with {WEBHOOK_SECRET_HELP})")
        return value.strip()

    @field_validator("whatsapp_token", "whatsapp_app_secret", "whatsapp_verify_token", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("whatsapp_api_url")
    @classmethod
    def _http_api(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://graph.facebook.com")
        return value.rstrip("/")

    @field_validator("whatsapp_template_notice")
    @classmethod
    def _template_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]{1,512}", value):
            raise ValueError("must be a WhatsApp template name: lower-case letters, digits and underscores")
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("id", "en"):
            raise ValueError("must be 'id' or 'en'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not an IANA time zone such as Asia/Jakarta") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram only calls HTTPS webhooks)")
        return value

    @field_validator("miniapp_url")
    @classmethod
    def _https_miniapp(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram opens Mini Apps only over HTTPS)")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("supervisor_chat_id")
    @classmethod
    def _group_id(cls, value: int | None) -> int | None:
        # Groups and supergroups have negative ids; a positive one is a person's private chat, where
        # reports (and reporters' identities) must never go.
        if value is not None and value >= 0:
            raise ValueError(
                "must be a group's id, which is negative (-100… for a supergroup); a positive id is a private chat"
            )
        return value

    @field_validator("region_file", "region_groups_file")
    @classmethod
    def _region_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"names no readable file ({value})")
        return value

    @field_validator("supervisor_ids", "evidence_custodian_ids")
    @classmethod
    def _id_list(cls, value: str) -> str:
        for part in value.replace(",", " ").split():
            if not (part.lstrip("-").isascii() and part.lstrip("-").isdigit()):  # "፩".isdigit() too
                raise ValueError("must be Telegram user ids separated by commas")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # Checked where the keys are read, so no way of starting the bot can serve an open webhook:
        # without the secret, anyone who reaches /telegram could post updates in a supervisor's name.
        if self.webhook_url and self.webhook_secret is None:
            raise PydanticCustomError(
                "webhook_secret",
                "WEBHOOK_SECRET is missing: with WEBHOOK_URL set it is required, so forged"
                f" webhook calls are refused (make one with {WEBHOOK_SECRET_HELP}).",
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def supervisor_allow_list(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.supervisor_ids.replace(",", " ").split())

    @property
    def evidence_custodians(self) -> frozenset[int]:
        """Who may receive evidence originals (device identity and all) in a private chat: /bukti."""
        return frozenset(int(p) for p in self.evidence_custodian_ids.replace(",", " ").split())

    @property
    def max_image_bytes(self) -> int:
        return int(self.max_image_mb * 1024 * 1024)

    @property
    def evidence_bytes_per_day(self) -> int:
        return int(self.max_evidence_mb_per_day * 1024 * 1024)

    @property
    def custom_api_server(self) -> bool:
        """A self-hosted Bot API server lifts Telegram's 20 MB download limit."""
        return self.telegram_api_url.rstrip("/") != TELEGRAM_DEFAULT_API

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_token is not None

    def require_whatsapp(self) -> None:
        """With WHATSAPP_TOKEN set, check the keys the WhatsApp channel cannot run safely without."""
        if self.whatsapp_token is None:
            return
        if self.whatsapp_app_secret is None:
            raise SettingsError(
                "WHATSAPP_APP_SECRET is missing: without it forged webhook calls cannot be refused"
                " (Meta app dashboard → App settings → Basic → App secret)."
            )
        if not self.whatsapp_phone_number_id.strip():
            raise SettingsError("WHATSAPP_PHONE_NUMBER_ID is missing: the id of the business number (see README).")
        if self.whatsapp_verify_token is None:
            raise SettingsError("WHATSAPP_VERIFY_TOKEN is missing: any random string, also entered at Meta.")
        if self.telegram_bot_token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is missing: WhatsApp reports go to the supervisors'"
                " Telegram group, so WhatsApp needs Telegram configured too."
            )

    def require_telegram(self) -> None:
        """Check the keys the Telegram channel cannot run without."""
        if self.supervisor_chat_id is None:
            raise SettingsError("SUPERVISOR_CHAT_ID is missing: the supervisors' group id (see README).")


# Pydantic's own wording ("Input should be a valid integer, unable to parse string as an integer") is
# for programmers; an operator reading one line at start-up gets ours.
_PHRASES: Final = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "time_parsing": "must be a time of day such as 07:00",
    "time_type": "must be a time of day such as 07:00",
    "path_type": "must be a file path",
    "string_type": "must be text",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def _phrase(error: Mapping[str, Any]) -> str:
    if error["type"] == "value_error":  # our own validators: their message is already ours
        return str(error["msg"]).removeprefix("Value error, ")
    phrase = _PHRASES.get(str(error["type"]))
    if phrase is None:
        return "has a value that cannot be used"
    return phrase.format(**(error.get("ctx") or {}))


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read settings, turning pydantic's report into one line, in our words, that names the first bad key."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule across keys: its message names them
            raise SettingsError(str(first["msg"]).removeprefix("Value error, ")) from None
        key = str(first["loc"][0]).upper()
        raise SettingsError(f"{key} {_phrase(first)}.") from None


def check_paths(settings: Settings) -> None:
    """The database's and the evidence's folders exist (made if missing) and can be written, or one line says
    which key is wrong: before anything opens them, so no traceback reaches the operator."""
    for key, path, folder in (
        ("DATABASE_PATH", settings.database_path, settings.database_path.parent),
        ("EVIDENCE_DIR", settings.evidence_dir, settings.evidence_dir),
    ):
        if key == "DATABASE_PATH" and path.is_dir():
            raise SettingsError(f"{key} names a folder ({path}); it must name the database file in one.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise SettingsError(
                f"{key}: {folder} cannot be made a folder: a file of that name is in the way."
            ) from None
        except OSError as exc:
            raise SettingsError(f"{key}: the folder {folder} cannot be created ({exc.strerror}).") from None
        if not folder.is_dir():
            raise SettingsError(f"{key}: {folder} is not a folder.")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SettingsError(f"{key}: the folder {folder} is not writable by this user.")
        if key == "DATABASE_PATH" and path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise SettingsError(f"{key}: the file {path} cannot be read and written by this user.")


def check_regions(settings: Settings) -> None:
    """A REGION_FILE that is not a region catalog stops the start with one line, not a traceback."""
    if settings.region_file is None:
        return
    from handlers.common.regions import RegionCatalog

    try:
        RegionCatalog.load(settings.region_file)
    except ValidationError as exc:  # the catalog is a pydantic model: its first complaint, on one line
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where}: {first['msg']}" if where else str(first["msg"])
        raise SettingsError(f"REGION_FILE {settings.region_file} is not a usable region list ({reason}).") from None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        raise SettingsError(f"REGION_FILE {settings.region_file} is not a usable region list: {reason}.") from None


def load_routing(settings: Settings) -> Routing:
    """The routing table of REGION_GROUPS_FILE checked against the region list, or one line saying what is
    wrong (an unknown id, a region covered twice, a private chat's id, the provincial group reused)."""
    from handlers.common.regions import RegionCatalog
    from handlers.common.routing import Routing, RoutingError

    assert settings.supervisor_chat_id is not None
    catalog = RegionCatalog.load(settings.region_file)
    try:
        return Routing.load(settings.region_groups_file, catalog, settings.supervisor_chat_id)
    except RoutingError as exc:
        raise SettingsError(f"REGION_GROUPS_FILE {settings.region_groups_file}: {exc}.") from None


def check_routing(settings: Settings) -> None:
    """At start-up, before anything is opened: a routing table that cannot be used stops the start."""
    if settings.region_groups_file is not None and settings.supervisor_chat_id is not None:
        load_routing(settings)
