"""Persona's exported ONNX models on Spark.

    from persona_spark import score_dataframe
    scores = score_dataframe(customers, "churn.onnx", id_columns=["customer_id"])

The output has the columns `persona score` writes for the same model (for
example probability, predicted and risk_decile), computed by ONNX Runtime inside
`mapInPandas`: one session per Python worker, one thread each.
"""
from .model import PersonaModel, ModelError
from .scoring import recommend_dataframe, score_dataframe

__all__ = ["PersonaModel", "ModelError", "score_dataframe", "recommend_dataframe"]
