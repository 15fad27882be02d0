"""The API's OpenAPI schema as /api/schema/ serves it, for tests of what it documents."""

from __future__ import annotations

from typing import Any


def served_schema(client) -> dict[str, Any]:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The node a local $ref points at (the node itself if it is no reference)."""
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = schema["components"]["schemas"][name]
    return node


def response_schema(schema: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The JSON body an operation documents for a status, references resolved once."""
    response = schema["paths"][path][method.lower()]["responses"][str(status)]
    return resolve(schema, response["content"]["application/json"]["schema"])
