"""JSON Schemas of the knowledge files, for editors (yaml-language-server)."""

from __future__ import annotations

import json

from trafficking_ref.core import vocab


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text, one per knowledge file."""
    from trafficking_ref.core import models

    documents = {}
    for key, file_name in vocab.FILES.items():
        model = models.FILE_MODELS[key]
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"trafficking-ref {file_name}"
        name = file_name.replace(".yaml", ".schema.json")
        documents[name] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return documents
