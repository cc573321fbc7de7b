"""What the fake's tests share: the token, a user and a group, and small images."""

from __future__ import annotations

import io

from PIL import Image

TOKEN = "123456789:TEST-fake-token"
USER = 1001
GROUP = -1001234567890


def _image(fmt: str, color: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()
