"""Generates the pydantic models in acp/models/ from schemas/ (`make models`).

The schemas are the contract and the models are derived from them, never edited by hand; a test
regenerates into a temporary folder and fails if the committed models differ.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from acp.schemas import schema_dir

MODELS_DIR = Path(__file__).parent / "models"
GENERATOR_ARGS = (
    "--input-file-type", "jsonschema",
    "--output-model-type", "pydantic_v2.BaseModel",
    "--target-python-version", "3.11",
    "--disable-timestamp",
    "--use-standard-collections",
    "--use-union-operator",
    "--use-annotated",
    "--field-constraints",
    "--collapse-root-models",
    "--strict-types", "str", "bytes", "int", "float", "bool",  # JSON Schema does not coerce "yes" to true; neither may the models
    "--formatters", "builtin",
)


def generate(out_dir: Path) -> None:
    generator = Path(sys.executable).with_name("datamodel-codegen")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    subprocess.run(
        [str(generator), "--input", str(schema_dir()), "--output", str(out_dir), *GENERATOR_ARGS],
        check=True, capture_output=True, text=True,
    )


if __name__ == "__main__":
    generate(MODELS_DIR)
    print(f"models written to {MODELS_DIR}")
