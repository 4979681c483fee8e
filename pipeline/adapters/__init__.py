"""Input adapters: how a record on an input topic becomes Events, one adapter per format.

Which format a topic carries is configured per topic (``kafka.inputs``). The registry maps a format
name to its class; it is resolved lazily so the config model can check names without importing the
adapters (``schemas.config`` imports ``pipeline.adapters.spec`` for the mapping model).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.adapters.base import Adapter

#: format name -> "module:Class".
ADAPTERS: dict[str, str] = {
    "native": "pipeline.adapters.native:NativeAdapter",
    "otlp_json": "pipeline.adapters.otlp_json:OtlpJsonAdapter",
    "openai_chat": "pipeline.adapters.openai_chat:OpenAIChatAdapter",
    "mapped": "pipeline.adapters.mapped:MappedAdapter",
}

#: Formats whose records may lack an app or model, so an input may name fallbacks.
TAKES_FALLBACKS: frozenset[str] = frozenset({"otlp_json", "openai_chat"})


def adapter_class(name: str) -> type:
    """The class registered under ``name``; an unknown name fails with the list of valid ones."""
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise KeyError(f"unknown input format {name!r}; valid formats: {', '.join(sorted(ADAPTERS))}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_adapter(source: Any) -> "Adapter":
    """The adapter for one ``kafka.inputs`` entry (``schemas.config.InputConfig``)."""
    cls = adapter_class(source.format)
    if source.format == "mapped":
        return cls(source.mapping)
    if source.format in TAKES_FALLBACKS:
        return cls(app=source.app, model=source.model)
    return cls()


def adapters_for(kafka: Any) -> dict[str, "Adapter"]:
    """Topic name -> adapter, for every configured input (``schemas.config.KafkaConfig``)."""
    return {source.topic: build_adapter(source) for source in kafka.inputs}


__all__ = ["ADAPTERS", "TAKES_FALLBACKS", "adapter_class", "adapters_for", "build_adapter"]
