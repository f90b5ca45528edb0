"""MkDocs hook: the API reference page and openapi.json, generated from the live NinjaAPI.

The schema comes from the same ``NinjaAPI`` object that serves ``/api/v1/openapi.json``,
so the reference cannot drift from the code: a new endpoint shows up on the next build.
Nothing is written into docs/; both files exist only in the built site.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PAGE = "api-reference.md"
SCHEMA_FILE = "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")

Schema = dict[str, Any]


def load_schema() -> Schema:
    """Return the OpenAPI document of townhall's API, setting Django up if needed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townhall.settings")
    # Without a key the settings would generate and store one under the data
    # directory; building docs should leave no files behind, and never serves a request.
    os.environ.setdefault("TOWNHALL_SECRET_KEY", "only-for-building-docs-" + "x" * 16)
    import django

    django.setup()
    from townhall.api.api import api

    return dict(api.get_openapi_schema())


def on_files(files: Files, config: MkDocsConfig) -> Files:
    schema = load_schema()
    files.append(File.generated(config, SCHEMA_FILE, content=json.dumps(schema, indent=2)))
    files.append(File.generated(config, PAGE, content=render(schema)))
    return files


# --- rendering -------------------------------------------------------------------------


def render(schema: Schema) -> str:
    """The whole reference page as Markdown: operations grouped by tag, then the schemas."""
    info = schema.get("info", {})
    out = [
        "# API reference",
        "",
        f"Generated from the OpenAPI {schema.get('openapi', '')} schema of "
        f"{info.get('title', 'the API')} {info.get('version', '')} when these pages were "
        "built. Download it as [openapi.json](openapi.json); a running server serves the "
        "same document at `/api/v1/openapi.json`. How to call the API, authentication "
        "and the error shape are explained in [The JSON API](api.md). A dash under *body* "
        "means the schema does not describe that response's body.",
        "",
    ]
    if info.get("description"):
        out += [info["description"].strip(), ""]

    by_tag: dict[str, list[tuple[str, str, Schema]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, op))

    out += ["| method | path | summary |", "|---|---|---|"]
    for ops in by_tag.values():
        for method, path, op in ops:
            link = f"[`{path}`](#{_op_id(method, path)})"
            out.append(f"| `{method.upper()}` | {link} | {_cell(op.get('summary', ''))} |")
    out.append("")

    for tag, ops in by_tag.items():
        out += [f"## {tag.capitalize()}", ""]
        for method, path, op in ops:
            out += _operation(method, path, op)

    components = schema.get("components", {}).get("schemas", {})
    if components:
        out += ["## Schemas", ""]
        for name in sorted(components):
            out += [f"### {name} {{ #{_schema_id(name)} }}", ""]
            out += _object(components[name])
    return "\n".join(out) + "\n"


def _operation(method: str, path: str, op: Schema) -> list[str]:
    out = [f"### `{method.upper()} {path}` {{ #{_op_id(method, path)} }}", ""]
    if op.get("summary"):
        out += [f"**{op['summary']}**", ""]
    if op.get("description"):
        out += [op["description"].strip(), ""]
    if op.get("security"):
        schemes = sorted({name for req in op["security"] for name in req})
        out += ["Authentication: " + ", ".join(f"`{s}`" for s in schemes), ""]

    params = op.get("parameters") or []
    if params:
        out += [
            "Parameters:",
            "",
            "| name | in | type | required | notes |",
            "|---|---|---|---|---|",
        ]
        for p in params:
            s = p.get("schema", {})
            notes = _notes(s, p.get("description", ""))
            req = "yes" if p.get("required") else "no"
            out.append(f"| `{p['name']}` | {p['in']} | {_type(s)} | {req} | {notes} |")
        out.append("")

    body = op.get("requestBody")
    if body:
        for content_type, media in body.get("content", {}).items():
            s = media.get("schema", {})
            req = "required" if body.get("required") else "optional"
            out += [f"Request body ({req}, `{content_type}`): {_type(s)}", ""]
            if "$ref" not in s and s.get("properties"):
                out += _object(s)

    out += ["Responses:", "", "| status | meaning | body |", "|---|---|---|"]
    for status, resp in op.get("responses", {}).items():
        bodies = [
            f"{_type(m.get('schema', {}))} (`{ct}`)" for ct, m in resp.get("content", {}).items()
        ]
        out.append(
            f"| `{status}` | {_cell(resp.get('description', ''))} | {', '.join(bodies) or '—'} |"
        )
    out.append("")
    return out


def _object(s: Schema) -> list[str]:
    """A table of an object schema's fields, or a line saying what the schema is."""
    props = s.get("properties") or {}
    if s.get("description"):
        head = [s["description"].strip(), ""]
    else:
        head = []
    if not props:
        return [*head, f"Type: {_type(s)}", ""]
    required = set(s.get("required") or [])
    out = [*head, "| field | type | required | notes |", "|---|---|---|---|"]
    for name, p in props.items():
        req = "yes" if name in required else "no"
        out.append(f"| `{name}` | {_type(p)} | {req} | {_notes(p, p.get('description', ''))} |")
    return [*out, ""]


def _type(s: Schema) -> str:
    """A short, human reading of a JSON Schema type, linking named schemas."""
    if "$ref" in s:
        name = s["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_schema_id(name)})"
    for key in ("anyOf", "oneOf"):
        if key in s:
            choices = [_type(c) for c in s[key]]
            return " or ".join(dict.fromkeys(choices))
    if "allOf" in s:
        return " and ".join(_type(c) for c in s["allOf"])
    if "enum" in s:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in s["enum"])
    if "const" in s:
        return f"`{json.dumps(s['const'])}`"
    kind = s.get("type")
    if isinstance(kind, list):
        return " or ".join(_type({**s, "type": k}) for k in kind)
    if kind == "array":
        return "array of " + _type(s.get("items", {}))
    if kind == "object":
        extra = s.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return "object of " + _type(extra)
        return "object"
    if kind:
        return f"{kind} ({s['format']})" if s.get("format") else str(kind)
    return "any"


def _notes(s: Schema, description: str) -> str:
    """Constraints and defaults of one field, as a short phrase."""
    notes = [_cell(description)] if description else []
    for c in [s, *s.get("anyOf", [])]:
        if "maxLength" in c:
            notes.append(f"at most {c['maxLength']} characters")
        if "minLength" in c:
            notes.append(f"at least {c['minLength']} characters")
        if "maxItems" in c:
            notes.append(f"at most {c['maxItems']} items")
        if "minimum" in c:
            notes.append(f"≥ {c['minimum']}")
        if "maximum" in c:
            notes.append(f"≤ {c['maximum']}")
    if "default" in s:
        notes.append(f"default `{json.dumps(s['default'])}`")
    return "; ".join(notes)


def _cell(text: str) -> str:
    """Text that may sit in a Markdown table cell: one line, no bare pipes."""
    return " ".join(text.split()).replace("|", "\\|")


def _op_id(method: str, path: str) -> str:
    return method + "-" + _slug(path)


def _schema_id(name: str) -> str:
    return "schema-" + _slug(name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
