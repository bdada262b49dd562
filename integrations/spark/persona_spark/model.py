"""What an exported Persona ONNX file says about itself: its family, its raw
input columns and how they are fed, and how `persona score`'s columns come from
its outputs (the `persona.*` metadata written by `persona export`)."""
import json

import onnxruntime as ort

# The text Persona reads as a missing value, in any case.
MISSING = {"", "NA", "N/A", "NAN", "NULL", "NONE"}


class ModelError(ValueError):
    """A model file, or data, that cannot be scored; the message says why."""


def new_session(model_bytes, threads=1):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


class PersonaModel:
    """An exported model, read on the driver: the bytes to ship and the plan."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                self.data = f.read()
        except OSError as e:
            raise ModelError(f"{path}: cannot read the model ({e.strerror}); pass the .onnx file `persona export --format onnx` wrote") from None
        try:
            session = new_session(self.data)
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"{path}: not a readable ONNX model ({str(e).splitlines()[0]}); "
                             "re-export it with `persona export MODEL --format onnx`") from None
        meta = session.get_modelmeta().custom_metadata_map
        if "persona.kind" not in meta:
            raise ModelError(f"{path}: an ONNX model without Persona's metadata; export it with `persona export MODEL --format onnx`")
        self.kind = meta["persona.kind"]
        self.card = json.loads(meta.get("persona.card", "{}"))
        pipeline = {c["name"]: c.get("type", "numeric") for c in self.card.get("pipeline", {}).get("columns", [])}
        # name -> "numeric" (float input), "boolean" or "categorical" (string inputs)
        self.inputs = []
        for i in session.get_inputs():
            if i.type == "tensor(float)":
                kind = "numeric"
            elif pipeline.get(i.name) == "boolean":
                kind = "boolean"
            else:
                kind = "categorical"
            self.inputs.append((i.name, kind))
        self.output_types = {o.name: o.type for o in session.get_outputs()}
        self.score_columns = [(c["column"], c["output"], int(c["index"])) for c in json.loads(meta.get("persona.score_columns", "[]"))]
        if self.kind != "als" and not self.score_columns:
            raise ModelError(f"{path}: exported by an older Persona without the score columns; re-export it with `persona export MODEL --format onnx`")
        if self.kind == "als":
            self.top = session.get_outputs()[0].shape[1] if session.get_outputs() else None

    def score_column_type(self, output):
        """`double`, `long` or `string`: the Spark type of a score column."""
        t = self.output_types[output]
        return {"tensor(float)": "double", "tensor(double)": "double", "tensor(int64)": "long"}.get(t, "string")
