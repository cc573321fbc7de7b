"""The fake Graph API takes documents as Meta does: uploaded first, then sent by media id, within limits."""

from __future__ import annotations

import httpx
import pytest

from tests.whatsapp.fake_graph import PHONE_ID, TOKEN, FakeGraphApi

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def upload(graph: FakeGraphApi, data: bytes, mime: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=graph.url, headers=AUTH) as client:
        return await client.post(
            f"/v21.0/{PHONE_ID}/media",
            data={"messaging_product": "whatsapp", "type": mime},
            files={"file": ("formulir.pdf", data, mime)},
        )


async def send(graph: FakeGraphApi, document: dict[str, str]) -> httpx.Response:
    body = {"messaging_product": "whatsapp", "to": "6281200000001", "type": "document", "document": document}
    async with httpx.AsyncClient(base_url=graph.url, headers=AUTH) as client:
        return await client.post(f"/v21.0/{PHONE_ID}/messages", json=body)


async def test_an_uploaded_pdf_is_sent_by_its_media_id(graph: FakeGraphApi) -> None:
    uploaded = await upload(graph, b"%PDF-1.4 form", "application/pdf")
    media_id = uploaded.json()["id"]
    assert uploaded.status_code == 200 and media_id.isdigit()
    sent = await send(graph, {"id": media_id, "filename": "formulir.pdf", "caption": "Formulir"})
    assert sent.status_code == 200
    assert graph.document_of(graph.sent[-1]) == (b"%PDF-1.4 form", "application/pdf", "formulir.pdf")
    assert graph.sent[-1].text == "Formulir"


@pytest.mark.parametrize(
    ("data", "mime"),
    [(b"", "application/pdf"), (b"MZ", "application/x-msdownload")],
)
async def test_empty_or_unsupported_uploads_are_refused(graph: FakeGraphApi, data: bytes, mime: str) -> None:
    refused = await upload(graph, data, mime)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 131009
    assert graph.uploads == {}


@pytest.mark.parametrize(
    "document",
    [{"id": "123456"}, {"caption": "no media"}, {"id": "1", "link": "https://x.test/a.pdf"}],
)
async def test_a_document_naming_no_uploaded_media_is_refused(graph: FakeGraphApi, document: dict[str, str]) -> None:
    refused = await send(graph, document)
    assert refused.status_code == 400 and graph.sent == []


async def test_a_caption_over_1024_units_is_refused(graph: FakeGraphApi) -> None:
    media_id = (await upload(graph, b"%PDF-1.4", "application/pdf")).json()["id"]
    refused = await send(graph, {"id": media_id, "caption": "😀" * 513})  # 1,026 UTF-16 units
    assert refused.status_code == 400 and graph.sent == []
