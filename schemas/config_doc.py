"""Generate docs/config-reference.md from the config model, so the reference can never drift from the code.

    .venv/bin/python -m schemas.config_doc > docs/config-reference.md
"""
from __future__ import annotations

import json
import sys
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, SecretStr

from schemas.config import ENV_SECRETS, Config


def _is_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _type_name(get_args(annotation)[0])
    if origin is None:
        if annotation is SecretStr:
            return "secret"
        return getattr(annotation, "__name__", str(annotation)).replace("NoneType", "null")
    args = ", ".join(_type_name(a) for a in get_args(annotation))
    name = getattr(origin, "__name__", str(origin)).replace("UnionType", "").replace("Union", "")
    return f"{name}[{args}]" if name else args.replace(", ", " | ")


def _default(field: Any) -> str:
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, SecretStr):
        return "(secret)"
    try:
        return f"`{json.dumps(value, default=str)}`"
    except TypeError:
        return f"`{value}`"


def rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) for every leaf key, depth first."""
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _is_model(field.annotation)
        if nested is not None and get_origin(field.annotation) not in (list, dict):
            out.extend(rows(nested, key + "."))
            continue
        cells = (_type_name(field.annotation), _default(field), field.description or "")
        out.append((key, *(cell.replace("|", "\\|") for cell in cells)))
    return out


def render() -> str:
    lines = ["# Configuration reference", "",
             "Generated from `schemas/config.py` by `python -m schemas.config_doc > docs/config-reference.md`; a test "
             "fails when it is stale.",
             "Every key is optional unless marked required; unknown keys are errors. Check a file with",
             "`guardstream validate-config FILE`. An annotated example: [config.example.yaml](config.example.yaml).",
             "", "Secrets from the environment:", ""]
    lines += [f"- `{var}` → `{'.'.join(path)}`" for var, path in ENV_SECRETS]
    section = None
    for key, type_, default, description in rows(Config):
        top = key.split(".")[0]
        if top != section:
            section = top
            lines += ["", f"## `{top}`", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        lines.append(f"| `{key}` | {type_} | {default} | {description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
