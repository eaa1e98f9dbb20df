"""The JSON API's one source of truth: each route is declared once, with its parameters and
its answer's schema, and both the request parsing and ``/openapi.json`` are made from that.

Why not a framework (flask-smorest, apispec): they document what marshmallow or docstring
YAML says, a second description beside the code that parses the request; here the
declaration *is* the parser, so a parameter cannot be documented and ignored or read and
undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request

from web.problems import problem

API_TITLE = "VUSTA knowledge graph API"


@dataclass(frozen=True)
class Param:
    """One query or path parameter."""

    name: str
    description: str
    type: str = "string"           # string | integer | boolean
    default: Any = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    repeated: bool = False
    required: bool = False
    where: str = "query"           # query | path

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.default is not None:
            schema["default"] = self.default
        return {"type": "array", "items": schema} if self.repeated else schema

    def read(self, raw: list[str]) -> Any:
        """The parameter's value from the request's strings; ValueError names what is wrong."""
        if not raw:
            if self.required:
                raise ValueError(f"{self.name} is required")
            return [] if self.repeated else self.default
        values = [self._one(text) for text in raw]
        if not self.repeated and len(values) > 1:
            raise ValueError(f"{self.name} is given {len(values)} times; it takes one value")
        return values if self.repeated else values[0]

    def _one(self, text: str) -> Any:
        value: Any = text
        if self.type == "integer":
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{self.name} must be a whole number, not {text!r}") from None
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{self.name} must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{self.name} must be at most {self.maximum}")
        elif self.type == "boolean":
            if text not in ("true", "false"):
                raise ValueError(f"{self.name} must be true or false")
            value = text == "true"
        if self.enum and value not in self.enum:
            raise ValueError(f"{self.name} must be one of {', '.join(self.enum)}, "
                             f"not {text!r}")
        return value


@dataclass(frozen=True)
class Answer:
    """One media type of an answer with its schema (JSON Schema; ``None``: a text format)."""

    media_type: str
    schema: dict[str, Any] | None = None


@dataclass
class Operation:
    path: str                      # Flask rule, e.g. /api/v1/datasets/<path:id>
    summary: str
    description: str
    tag: str
    params: list[Param]
    answers: list[Answer]
    operation_id: str
    errors: tuple[int, ...] = (400,)
    examples: dict[str, str] = field(default_factory=dict)   # path params for a check

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.path)


@dataclass(frozen=True)
class Write:
    """One write operation (it reads its own body): its method, the body it takes and what
    it answers, for the document."""

    path: str
    method: str
    summary: str
    description: str
    tag: str
    operation_id: str
    body: dict[str, str | None]                 # media type -> schema name (None: text)
    answers: dict[int, str]                     # status -> description
    params: tuple[Param, ...] = ()
    schema: str | None = None                   # the schema of a 200 or 201 answer

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.path)


class Api:
    """The registry of one API: ``route`` declares and registers, ``document`` describes."""

    def __init__(self, blueprint: Blueprint, version: str) -> None:
        self.blueprint = blueprint
        self.version = version
        self.operations: list[Operation] = []
        self.writes: list[Write] = []
        self.schemas: dict[str, dict[str, Any]] = {}

    def schema(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Keep ``schema`` among the document's components; returns a reference to it."""
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def route(self, path: str, *, summary: str, description: str, tag: str,
              params: list[Param], answers: list[Answer], errors: tuple[int, ...] = (400,),
              examples: dict[str, str] | None = None
              ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Register a GET route whose view receives the parsed parameters as keywords."""
        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            operation = Operation(path, summary, description, tag, params, answers,
                                  view.__name__, errors, examples or {})
            self.operations.append(operation)

            def parsed(**path_values: str) -> Response:
                values: dict[str, Any] = {}
                try:
                    for param in params:
                        raw = [path_values[param.name]] if param.where == "path" else \
                            request.args.getlist(param.name)
                        values[param.name] = param.read(raw)
                except ValueError as bad:
                    return problem(400, "Bad parameter", str(bad))
                known = {p.name for p in params} | COMMON_PARAMS
                unknown = sorted(set(request.args) - known)
                if unknown:
                    return problem(400, "Unknown parameter",
                                   f"not a parameter of this route: {', '.join(unknown)}")
                return view(**values)

            parsed.__name__ = view.__name__
            self.blueprint.add_url_rule(path, view.__name__, parsed, methods=["GET"])
            return view
        return register

    def document(self, server: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every registered route."""
        paths: dict[str, Any] = {}
        for op in self.operations:
            responses: dict[str, Any] = {"200": {
                "description": "OK",
                "headers": {"ETag": {"description": "Validator of the store's revision",
                                     "schema": {"type": "string"}}},
                "content": {a.media_type: ({"schema": a.schema} if a.schema is not None
                                           else {"schema": {"type": "string"}})
                            for a in op.answers}}}
            responses["304"] = {"description": "Not modified (If-None-Match held the ETag)"}
            for status in op.errors:
                responses[str(status)] = {
                    "description": ERROR_TEXT.get(status, "Error"),
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}}
            parameters = [{"name": p.name, "in": p.where, "description": p.description,
                           "required": p.required or p.where == "path", "schema": p.schema(),
                           **({"explode": True, "style": "form"} if p.repeated else {})}
                          for p in op.params]
            paths.setdefault(op.openapi_path, {})["get"] = {
                "operationId": op.operation_id, "summary": op.summary,
                "description": op.description, "tags": [op.tag],
                "parameters": parameters, "responses": responses}
        for write in self.writes:
            paths.setdefault(write.openapi_path, {})[write.method.lower()] = _write_document(
                write)
        return {
            "openapi": "3.1.0",
            "info": {"title": API_TITLE, "version": self.version,
                     "description": "Datasets, organisations, administrative units (before and "
                                    "after the 2025 reform), concepts and catalogues of the "
                                    "federation's knowledge graph, as plain JSON and CSV. "
                                    "Every record carries its IRI; the same data answers "
                                    "SPARQL at /sparql.",
                     "license": {"name": "CC BY 4.0",
                                 "identifier": "CC-BY-4.0"}},
            "servers": [{"url": server}],
            "paths": paths,
            "components": {"schemas": {"Problem": PROBLEM_SCHEMA, **self.schemas},
                           "securitySchemes": {"bearer": {
                               "type": "http", "scheme": "bearer",
                               "description": "A token of `kg token create` (scopes admin or "
                                              "publisher:<organisation id>)"}}},
        }


def _write_document(write: Write) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, text in write.answers.items():
        if status in (201, 200):
            content: dict[str, Any] = {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{write.schema}"}}} \
                if write.schema else {}
        elif status == 204:
            content = {}
        else:
            content = {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}
        responses[str(status)] = {"description": text, **({"content": content} if content
                                                            else {})}
    document: dict[str, Any] = {
        "operationId": write.operation_id, "summary": write.summary,
        "description": write.description, "tags": [write.tag],
        "security": [{"bearer": []}],
        "parameters": [{"name": p.name, "in": p.where, "description": p.description,
                        "required": p.required or p.where == "path", "schema": p.schema()}
                       for p in write.params],
        "responses": responses}
    if write.body:
        document["requestBody"] = {"required": True, "content": {
            media: {"schema": {"$ref": f"#/components/schemas/{schema}"} if schema
                    else {"type": "string"}} for media, schema in write.body.items()}}
    return document


# Parameters every route takes without declaring them: the UI language (as elsewhere).
COMMON_PARAMS = frozenset({"lang"})
ERROR_TEXT = {400: "Bad request: a parameter is wrong (the answer says which)",
              404: "No such record", 406: "Not a media type this route gives"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "errors": {"type": "array", "description": "What a write got wrong, field "
                              "by field (422: the validation report; 403: the records out "
                              "of the token's scope)", "items": {"type": "object"}}},
    "required": ["title", "status"],
}
