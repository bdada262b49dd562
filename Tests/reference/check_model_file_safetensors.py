"""The model file is a valid safetensors file: Python's safetensors package opens
it, reads the tensors, and finds the model card in the metadata."""
import json

import numpy as np
from safetensors import safe_open

from common import Persona, check, parse_args, workdir

args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "customers", "--rows", 1500, "--seed", 3, "--out", "c.csv")
    persona("train", "kmeans", "--data", "c.csv", "--k", 4, "--seed", 2, "--out", "m.safetensors", "--quiet")
    with safe_open(persona.path("m.safetensors"), framework="numpy") as f:
        meta = f.metadata()
        names = sorted(f.keys())
        centroids = f.get_tensor("centroids")
        sizes = f.get_tensor("cluster_sizes")
    check(names == ["centroids", "cluster_sizes"], f"tensors {names}")
    card = json.loads(meta["persona_card"])
    check(card["kind"] == "kmeans" and card["format_version"] == 1, "model card in __metadata__ (kind kmeans, format 1)")
    width = sum(len(c["levels"]) + 1 if c["type"] == "categorical" else 1 + c["missing_indicator"] for c in card["pipeline"]["columns"])
    check(centroids.dtype == np.float32 and centroids.shape == (4, width), f"centroids float32 {centroids.shape}")
    check(sizes.dtype == np.int64 and int(sizes.sum()) == 1500, "cluster sizes int64 summing to the row count")
    inspected = persona.json("inspect", "m.safetensors", "--json")
    # inspect --json is the card, plus what the text shows that the card does not hold (the segments)
    check({k: v for k, v in inspected.items() if k in card} == card, "persona inspect --json prints the same card")
    check(len(inspected["segments"]) == 4 and sum(s["rows"] for s in inspected["segments"]) == 1500, "and the segments' sizes")
