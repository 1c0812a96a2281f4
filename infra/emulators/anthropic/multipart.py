"""A binary-safe multipart/form-data reader for file uploads."""

from __future__ import annotations

import email.message

from infra.emulators.anthropic.errors import invalid


def parse_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/form-data body exactly (binary-safe, parts with or without a filename)."""
    header = email.message.Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data" or not header.get_param("boundary"):
        raise invalid("Expected a multipart/form-data body with a boundary")
    delimiter = b"--" + str(header.get_param("boundary")).encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise invalid("Malformed multipart body")
    parts = []
    for chunk in chunks[1:-1]:
        raw_headers, separator, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise invalid("Malformed multipart part")
        headers = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, data.removesuffix(b"\r\n")))
    return parts


def disposition_params(value: str) -> tuple[str | None, str | None]:
    header = email.message.Message()
    header["content-disposition"] = value
    name = header.get_param("name", header="content-disposition")
    return (str(name) if name is not None else None), header.get_filename()
