"""Files the fake stores: uploads, registered fixtures, and what their bytes say they are."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    uploaded_by_bot: bool = False


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


def _image_size(data: bytes) -> tuple[int, int] | None:
    # Pillow is a project dependency; imported lazily so the fake has no import-time cost.
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


def _guess_ext(data: bytes, file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    for magic, ext in ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG", ".png"), (b"%PDF", ".pdf"), (b"OggS", ".oga")):
        if data.startswith(magic):
            return ext
    if data[8:12] == b"WEBP":
        return ".webp"
    return ".bin"
