"""Fault modes a test injects into the fake, and their JSON form for the control API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
ChatId = int | str

# --------------------------------------------------------------------------------------------
# Fault modes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryAfter:
    """HTTP 429 flood-control answer; PTB raises ``telegram.error.RetryAfter``."""

    seconds: int = 1


@dataclass(frozen=True)
class ServerError:
    """HTTP 5xx with a Telegram-like body; PTB raises ``telegram.error.NetworkError``."""

    status: int = 500
    description: str = "Internal Server Error"


@dataclass(frozen=True)
class Timeout:
    """Hold the request for ``seconds`` so the client's read timeout fires (PTB ``TimedOut``).

    ``deliver=True`` then performs the call anyway (Telegram did send the message, the
    client just never saw the answer) - the classic source of duplicate sends on retry.
    Without ``deliver`` the late answer is a 502 that nobody is expected to read.
    """

    seconds: float = 5.0
    deliver: bool = False


@dataclass(frozen=True)
class SlowAnswer:
    """Accepted, answered after the client's timeout: the call is performed (the message IS recorded
    and visible at once, as on Telegram), and its answer is held ``seconds`` before it is sent, so a
    client with a shorter read timeout sees ``TimedOut`` for a send that happened."""

    seconds: float = 6.0


@dataclass(frozen=True)
class Drop:
    """Close the TCP connection without any response (PTB ``NetworkError``).

    ``deliver=True`` performs the call first, i.e. the response is lost after the side effect.
    """

    deliver: bool = False


@dataclass(frozen=True)
class ApiError:
    """Any other Telegram error, e.g. ``ApiError(403, "Forbidden: bot was blocked by the user")``."""

    status: int
    description: str


Fault = RetryAfter | ServerError | Timeout | SlowAnswer | Drop | ApiError


# Pseudo method name for faults on file downloads (``/file/bot<token>/<path>``).
DOWNLOAD = "download"

# Hard ceiling for any server-side sleep so a mis-configured fault can never hang a test run.
MAX_SLEEP_SECONDS = 60.0


def fault_to_json(fault: Fault) -> JSON:
    """Serialise a fault for the control API."""
    match fault:
        case RetryAfter(seconds):
            return {"type": "retry_after", "seconds": seconds}
        case ServerError(status, description):
            return {"type": "server_error", "status": status, "description": description}
        case Timeout(seconds, deliver):
            return {"type": "timeout", "seconds": seconds, "deliver": deliver}
        case SlowAnswer(seconds):
            return {"type": "slow_answer", "seconds": seconds}
        case Drop(deliver):
            return {"type": "drop", "deliver": deliver}
        case ApiError(status, description):
            return {"type": "api_error", "status": status, "description": description}
    raise TypeError(f"not a fault: {fault!r}")


def fault_from_json(data: JSON) -> Fault:
    """Parse ``{"type": "retry_after", "seconds": 1}`` and friends (control API)."""
    kind = data.get("type")
    if kind == "retry_after":
        return RetryAfter(int(data.get("seconds", 1)))
    if kind == "server_error":
        return ServerError(int(data.get("status", 500)), str(data.get("description", "Internal Server Error")))
    if kind == "timeout":
        return Timeout(float(data.get("seconds", 5.0)), bool(data.get("deliver", False)))
    if kind == "slow_answer":
        return SlowAnswer(float(data.get("seconds", 6.0)))
    if kind == "drop":
        return Drop(bool(data.get("deliver", False)))
    if kind == "api_error":
        return ApiError(int(data["status"]), str(data["description"]))
    raise ValueError(f"unknown fault type: {kind!r}")
