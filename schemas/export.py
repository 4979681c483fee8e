"""Export the versioned JSON Schema files that producers in any language validate against."""
from __future__ import annotations

import json
from pathlib import Path

from schemas.event import SCHEMA_VERSION, DeadLetter, Event, Verdict

MODELS = {"event": Event, "verdict": Verdict, "dead-letter": DeadLetter}


def schema_for(name: str) -> dict:
    """The JSON Schema (draft 2020-12) of one model, with wire names (``@timestamp``)."""
    schema = MODELS[name].model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://guardstream.dev/schemas/{name}.v{SCHEMA_VERSION}.json",
        **schema,
    }


def schema_path(name: str, directory: Path | None = None) -> Path:
    directory = directory or Path(__file__).parent
    return directory / f"{name}.v{SCHEMA_VERSION}.schema.json"


def export_schemas(directory: Path | None = None) -> list[Path]:
    """Write every schema file; returns the paths written."""
    paths = []
    for name in MODELS:
        path = schema_path(name, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema_for(name), indent=2, sort_keys=True) + "\n")
        paths.append(path)
    return paths
