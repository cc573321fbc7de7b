"""The report being written: its step, its answers so far, and how the citizen got there."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from handlers.common.regions import UNKNOWN_REGION_ID
from storage.models import Category, Contact, PhotoEvidence, SubjectStatus, Witness


class Step(StrEnum):
    IDLE = "idle"
    CATEGORY = "category"
    SUBJECT_NAME = "subject_name"
    SUBJECT_AGENCY = "subject_agency"
    SUBJECT_STATUS = "subject_status"
    REGION_GROUP = "region_group"
    REGION = "region"
    WORKPLACE = "workplace"
    PLACE = "place"
    LOCATION = "location"
    WHEN = "when"
    KNOWN = "known"
    DESCRIPTION = "description"
    EVIDENCE = "evidence"
    EVIDENCE_REMOVE = "evidence_remove"
    WITNESSES = "witnesses"
    CONTACT = "contact"
    REVIEW = "review"
    EDIT_MENU = "edit_menu"
    CONFIRM_CANCEL = "confirm_cancel"


# The order a first pass takes; `Kembali` walks the history, which may differ after edits.
FLOW: tuple[Step, ...] = (
    Step.CATEGORY,
    Step.SUBJECT_NAME,
    Step.SUBJECT_AGENCY,
    Step.SUBJECT_STATUS,
    Step.REGION_GROUP,
    Step.REGION,
    Step.WORKPLACE,
    Step.PLACE,
    Step.LOCATION,
    Step.WHEN,
    Step.KNOWN,
    Step.DESCRIPTION,
    Step.EVIDENCE,
    Step.WITNESSES,
    Step.CONTACT,
    Step.REVIEW,
)

# An edit of one field walks these steps, then returns to the review.
EDIT_FIELDS: dict[str, tuple[Step, ...]] = {
    "category": (Step.CATEGORY,),
    "subject": (Step.SUBJECT_NAME, Step.SUBJECT_AGENCY, Step.SUBJECT_STATUS),
    "region": (Step.REGION_GROUP, Step.REGION, Step.WORKPLACE),
    "place": (Step.PLACE, Step.LOCATION),
    "when": (Step.WHEN, Step.KNOWN),
    "description": (Step.DESCRIPTION,),
    "evidence": (Step.EVIDENCE,),
    "witnesses": (Step.WITNESSES,),
    "contact": (Step.CONTACT,),
}


class Draft(BaseModel):
    step: Step = Step.IDLE
    history: list[Step] = Field(default_factory=list)
    edit_queue: list[Step] = Field(default_factory=list)
    editing: bool = False
    resume_step: Step | None = None

    category: Category | None = None
    subject_name: str | None = None
    subject_agency: str | None = None
    subject_status: SubjectStatus | None = None
    region_group: str | None = None
    region_id: str | None = None
    region_candidates: list[str] = Field(default_factory=list)
    # Where the ASN works, asked instead when the reporter does not know the kabupaten/kota.
    workplace: str | None = None
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    incident_date: date | None = None
    # The day the reporter learned of it (Bawaslu's 7-day window runs from it).
    known_date: date | None = None
    description: str | None = None
    # The pieces of the story sent so far at the description step; joined into `description` at Selesai.
    story: list[str] = Field(default_factory=list)
    # Text sent at the evidence step that is not a link, waiting for "Tambahkan ke kronologi".
    pending_text: str | None = None
    photos: list[PhotoEvidence] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    album_id: str | None = None
    album_count: int = 0
    witnesses: list[Witness] = Field(default_factory=list)
    contact: Contact | None = None

    @property
    def region_unknown(self) -> bool:
        return self.region_id == UNKNOWN_REGION_ID

    def asks(self, step: Step) -> bool:
        """Whether `step` is asked of this draft: the kab/kota list or the workplace, never both."""
        if step is Step.REGION:
            return not self.region_unknown
        if step is Step.WORKPLACE:
            return self.region_unknown
        return True

    @property
    def active(self) -> bool:
        return self.step is not Step.IDLE

    def dump(self) -> str | None:
        """The stored form; an idle draft is not stored at all."""
        return self.model_dump_json(exclude_defaults=True) if self.active else None

    @classmethod
    def load(cls, data: str | None) -> Draft:
        return cls.model_validate_json(data) if data else cls()
