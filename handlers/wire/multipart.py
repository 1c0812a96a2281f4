"""Read the ``file`` part of a multipart upload, with or without a filename.

Starlette's form parser turns a part without ``filename`` into a text field, but 2.x Anthropic SDKs send raw
bytes exactly that way, so the gateway parses the parts itself (python-multipart's streaming parser).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from handlers.errors import invalid_request


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        return self._disposition().get(b"name", b"").decode() or None

    @property
    def filename(self) -> str | None:
        value = self._disposition().get(b"filename")
        return value.decode() if value else None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type") or None

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks)

    def _disposition(self) -> dict[bytes, bytes]:
        return parse_options_header(self.headers.get("content-disposition", ""))[1]


def parse_parts(content_type: str, body: bytes) -> list[Part]:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise invalid_request("upload a file as multipart/form-data with a part named 'file'")
    parts: list[Part] = []
    header_name: list[bytes] = []
    header_value: list[bytes] = []

    def on_part_begin() -> None:
        parts.append(Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.append(data[start:end])

    def on_header_end() -> None:
        parts[-1].headers[b"".join(header_name).decode("latin-1").lower()] = b"".join(header_value).decode(
            "latin-1"
        )
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].chunks.append(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart raises its own error types for malformed bodies
        raise invalid_request(f"malformed multipart body: {exc}") from exc
    return parts


def upload_form(content_type: str, body: bytes) -> tuple[Part, dict[str, str]]:
    """The part named ``file``, and the other fields of the form as text (e.g. ``expires_in_seconds``)."""
    file, fields = None, {}
    for part in parse_parts(content_type, body):
        if part.name == "file" and file is None:
            file = part
        elif part.name:
            fields[part.name] = part.content.decode("utf-8", errors="replace")
    if file is None:
        raise invalid_request("multipart body has no file part named 'file'")
    return file, fields
