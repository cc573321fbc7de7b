"""The referral after Teruskan: the receiving office's reference number, then its outcome.

Bawaslu registers a report under a *nomor registrasi*, BKN's task force and SP4N-LAPOR! under a *nomor
aduan*; weeks later the case ends as proven with a sanction, not proven, or stopped. Supervisors record
both from the group (`/rujukan`, `/hasil`); each is an audited event (not a state change: the workflow
already says *diteruskan* or *selesai*), is shown on the card and in the packet's timeline, and is told
to the reporter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from handlers.triage.machine import ForwardTarget
from storage.models import ReportState

REFERRAL_ACTION: Final = "referral"
OUTCOME_ACTION: Final = "referral_outcome"
# A reference is an office's own code ("001/LP/PL/Kab/14.10/XI/2023"): letters, digits and its separators.
_REFERENCE: Final = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./\-_ ]{0,79}$")
NOTE_MAX: Final = 500
# Only what was handed over can be registered or decided; a closed report may still hear its outcome.
REFERRABLE: Final = frozenset({ReportState.DITERUSKAN, ReportState.SELESAI})


class ReferralOutcome(StrEnum):
    PROVEN_SANCTION = "terbukti_sanksi"
    PROVEN = "terbukti"
    NOT_PROVEN = "tidak_terbukti"
    STOPPED = "dihentikan"


# What supervisors type, in both languages; the longest words are tried first ("tidak terbukti").
_OUTCOME_WORDS: Final = (
    (("tidak terbukti", "tidak_terbukti", "not proven", "not_proven"), ReferralOutcome.NOT_PROVEN),
    (("terbukti sanksi", "terbukti_sanksi", "sanksi", "sanction"), ReferralOutcome.PROVEN_SANCTION),
    (("terbukti", "proven"), ReferralOutcome.PROVEN),
    (("dihentikan", "berhenti", "stopped", "henti"), ReferralOutcome.STOPPED),
)


class ReferralError(ValueError):
    """What a supervisor typed is not a reference or an outcome; the key names the polite answer."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class OutcomeEntry:
    outcome: ReferralOutcome
    note: str | None


def parse_reference(text: str) -> str:
    reference = " ".join(text.split())
    if not _REFERENCE.match(reference):
        raise ReferralError("triage.referral_bad_number")
    return reference


def parse_outcome(text: str) -> OutcomeEntry:
    """`terbukti sanksi teguran tertulis` → PROVEN_SANCTION with the note "teguran tertulis"."""
    words = " ".join(text.split())
    lowered = words.lower()
    for spellings, outcome in _OUTCOME_WORDS:
        for spelling in spellings:
            if lowered == spelling or lowered.startswith(spelling + " "):
                note = words[len(spelling) :].strip(" -—:") or None
                return OutcomeEntry(outcome, note[:NOTE_MAX] if note else None)
    raise ReferralError("triage.referral_bad_outcome")


def referral_detail(reference: str) -> str:
    return f"ref:{reference}"


def outcome_detail(outcome: ReferralOutcome) -> str:
    return f"outcome:{outcome.value}"


def reference_of(detail: str | None) -> str | None:
    return detail[4:] if detail and detail.startswith("ref:") else None


def outcome_of(detail: str | None) -> ReferralOutcome | None:
    if detail and detail.startswith("outcome:"):
        try:
            return ReferralOutcome(detail[8:])
        except ValueError:
            return None
    return None


def target_of(detail: str | None) -> ForwardTarget | None:
    """The target a Teruskan event names (`target:bawaslu`); None for another detail or an unknown target."""
    if detail and detail.startswith("target:"):
        try:
            return ForwardTarget(detail[7:])
        except ValueError:
            return None
    return None


def outcome_key(outcome: ReferralOutcome) -> str:
    return f"triage.outcome_{outcome.value}"
