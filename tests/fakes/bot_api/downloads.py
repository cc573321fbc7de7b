"""Files: registering what users uploaded, getFile, and the download endpoint."""

from __future__ import annotations

import hashlib
import time

from aiohttp import web

from tests.fakes.bot_api.calls import Call
from tests.fakes.bot_api.faults import (
    DOWNLOAD,
    JSON,
)
from tests.fakes.bot_api.files import _guess_ext, _StoredFile
from tests.fakes.bot_api.state import _error, _Req, _State
from tests.fakes.bot_api.validation import (
    _MAX_DOWNLOAD,
    _ApiFailure,
)


class Downloads(_State):
    """Registered files, getFile and the download endpoint."""

    def add_file(
        self,
        data: bytes,
        file_id: str | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_unique_id: str | None = None,
    ) -> str:
        """Register downloadable content (as if a user had uploaded it); returns its file_id."""
        self._counter += 1
        file_id = file_id or f"FILE{self._counter:06d}-{hashlib.sha1(data).hexdigest()[:10]}"
        # Content-derived like Telegram: the same bytes keep the same unique id across file_ids.
        unique = file_unique_id or "U" + hashlib.sha256(data).hexdigest()[:15]
        ext = _guess_ext(data, file_name)
        folder = "photos" if ext in {".jpg", ".jpeg", ".png", ".webp"} else "documents"
        stored = _StoredFile(file_id, unique, bytes(data), f"{folder}/file_{self._counter}{ext}", file_name, mime_type)
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return file_id

    def file_data(self, file_id: str) -> bytes:
        return self._files[file_id].data

    async def _get_file(self, req: _Req) -> JSON:
        stored = self._files.get(str(req.params.get("file_id")))
        if stored is None:
            raise _ApiFailure(400, "Bad Request: invalid file_id")
        if len(stored.data) > _MAX_DOWNLOAD:
            raise _ApiFailure(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["file_path"]

        async def proceed() -> web.StreamResponse:
            stored = self._files_by_path.get(path)
            if stored is None:
                return _error(404, "Not Found")
            return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

        fault = self._next_fault(DOWNLOAD)
        if fault is None:
            return await proceed()
        failed = Call(DOWNLOAD, {"file_path": path}, {}, None, time.monotonic(), fault, type(fault).__name__)
        return await self._apply_fault(request, fault, failed, proceed)

    def _size_of(self, file_id: str) -> int:
        stored = self._files.get(file_id)
        return len(stored.data) if stored else 0

    def _file_obj(self, file_id: str, file_size: int | None) -> JSON:
        stored = self._files.get(file_id)
        unique = stored.file_unique_id if stored else "U" + hashlib.sha1(file_id.encode()).hexdigest()[:15]
        size = file_size if file_size is not None else self._size_of(file_id)
        return {"file_id": file_id, "file_unique_id": unique, "file_size": size}
