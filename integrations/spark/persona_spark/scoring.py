"""score_dataframe and recommend_dataframe: ONNX Runtime inside mapInPandas."""
import hashlib

import numpy as np
import pandas as pd

from .convert import feeds
from .model import MISSING, ModelError, PersonaModel, new_session

# One ONNX Runtime session per Python worker and model: sessions cannot be
# pickled, and Spark reuses its Python workers between tasks.
_SESSIONS = {}


def _session(key, data):
    s = _SESSIONS.get(key)
    if s is None:
        s = _SESSIONS[key] = new_session(data, threads=1)
    return s


def looks_like_id(name):
    lower = name.lower()
    return (lower in ("id", "key", "uuid") or lower.endswith(("_id", "-id", " id"))
            or name.endswith(("Id", "ID")))


def _spark_type(name):
    from pyspark.sql import types as T
    return {"double": T.DoubleType(), "long": T.LongType(), "string": T.StringType()}[name]


def _check_inputs(df, model):
    """Every input the model reads is in the DataFrame, with a type Persona can
    convert; returns the DataFrame's fields by lower-case name."""
    from pyspark.sql import types as T
    fields = {f.name.lower(): f for f in df.schema.fields}
    missing = [name for name, _ in model.inputs if name.lower() not in fields]
    if missing:
        raise ModelError(f"the DataFrame has no column {', '.join(repr(m) for m in missing)}; "
                         f"the model reads {', '.join(n for n, _ in model.inputs)}")
    for name, kind in model.inputs:
        t = fields[name.lower()].dataType
        if not isinstance(t, (T.NumericType, T.StringType, T.BooleanType)):
            raise ModelError(f"column {name!r} is {t.simpleString()}; the model reads it as "
                             f"{'a number' if kind == 'numeric' else 'yes/no' if kind == 'boolean' else 'a category (text)'}")
    return fields


def _model(model):
    return model if isinstance(model, PersonaModel) else PersonaModel(model)


def score_dataframe(df, model_path, id_columns=None):
    """`persona score` on a Spark DataFrame: the id columns, then the model's
    score columns (for example probability, predicted, risk_decile).

    id_columns: columns carried into the output; by default the first column
    when its name looks like an id (customer_id, id, key...), as `persona score`.
    """
    model = _model(model_path)
    if model.kind == "als":
        raise ModelError(f"{model.path}: an ALS model ranks items for users; use recommend_dataframe")
    fields = _check_inputs(df, model)
    if id_columns is None:
        id_columns = [df.columns[0]] if df.columns and looks_like_id(df.columns[0]) else []
    known = {c.lower(): c for c in df.columns}
    for c in id_columns:
        if c.lower() not in known:
            raise ModelError(f"the DataFrame has no id column {c!r}")
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    ids = [known[c.lower()] for c in id_columns]
    columns_in, checks = [F.col(c) for c in ids], {}
    for n, kind in model.inputs:
        if n in ids:
            continue
        if kind == "numeric" and isinstance(fields[n.lower()].dataType, T.StringType):
            # numbers in text (a CSV read without a schema) are parsed by Spark, in the JVM;
            # a text that is neither a number nor a missing marker is carried to the
            # Python side to be reported with its column
            quoted = "`" + fields[n.lower()].name.replace("`", "``") + "`"
            parsed = F.expr(f"try_cast(trim({quoted}) AS DOUBLE)")
            marker = F.upper(F.trim(F.expr(quoted))).isin(*sorted(MISSING))
            bad = f"__persona_bad_{len(checks)}"
            checks[bad] = n
            columns_in.append(F.when(marker, F.lit(None).cast("double")).otherwise(parsed).alias(n))
            columns_in.append(F.when(F.expr(quoted).isNotNull() & ~marker & parsed.isNull(), F.expr(quoted)).alias(bad))
        else:
            columns_in.append(F.col(n).alias(n))
    selected = df.select(*columns_in)
    id_fields = [f for f in selected.schema.fields if f.name in ids]
    taken = set(ids)
    for column, _, _ in model.score_columns:
        if column in taken:
            raise ModelError(f"the id column {column!r} has the name of a score column; rename it first")
    schema = T.StructType(id_fields + [T.StructField(c, _spark_type(model.score_column_type(o)), True)
                                       for c, o, _ in model.score_columns])
    key = hashlib.sha256(model.data).hexdigest()
    shipped = df.sparkSession.sparkContext.broadcast(model.data)
    plan = model.inputs
    columns = model.score_columns
    outputs = sorted({o for _, o, _ in columns})
    types = {o: model.score_column_type(o) for o in outputs}

    def run(batches):
        session = _session(key, shipped.value)
        for batch in batches:
            if len(batch) == 0:
                continue
            for bad, column in checks.items():
                found = batch[bad].dropna()
                if len(found):
                    raise ModelError(f"column {column!r}: {found.iloc[0]!r} is not a number; the model reads {column} "
                                     "as a number (leave it empty or NULL when missing)")
            got = dict(zip(outputs, session.run(outputs, feeds(batch, plan))))
            out = pd.DataFrame({c: batch[c] for c in ids})
            for column, output, index in columns:
                v = got[output][:, index] if got[output].ndim == 2 else got[output]
                if types[output] == "double":
                    out[column] = v.astype(np.float64)
                elif types[output] == "long":
                    out[column] = v.astype(np.int64)
                else:
                    out[column] = v.astype(object)
            yield out

    return selected.mapInPandas(run, schema)


def recommend_dataframe(df, model_path, user_column="user_id", top=None):
    """An ALS model's top items for each user of a DataFrame: user, item, rank,
    score rows, as `persona recommend` writes them (best first; a user the model
    never saw gets the most popular items)."""
    model = _model(model_path)
    if model.kind != "als":
        raise ModelError(f"{model.path}: a {model.kind} model scores rows; use score_dataframe")
    if user_column.lower() not in {c.lower() for c in df.columns}:
        raise ModelError(f"the DataFrame has no column {user_column!r}, the user ids to recommend for")
    exported = model.top
    if top is not None and exported is not None and top > exported:
        raise ModelError(f"{model.path} ranks {exported} items per user; export it with --top {top} for more")
    keep = top or exported
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    schema = T.StructType([T.StructField("user", T.StringType()), T.StructField("item", T.StringType()),
                           T.StructField("rank", T.LongType()), T.StructField("score", T.DoubleType())])
    key = hashlib.sha256(model.data).hexdigest()
    shipped = df.sparkSession.sparkContext.broadcast(model.data)

    def run(batches):
        session = _session(key, shipped.value)
        for batch in batches:
            if len(batch) == 0:
                continue
            users = np.array(["" if u is None else str(u) for u in batch["user"]], dtype=object)
            items, scores = session.run(["top_items", "top_scores"], {"user_id": users})
            items, scores = items[:, :keep], scores[:, :keep]
            n = len(users)
            yield pd.DataFrame({"user": np.repeat(users, keep), "item": items.reshape(-1),
                                "rank": np.tile(np.arange(1, keep + 1, dtype=np.int64), n),
                                "score": scores.reshape(-1).astype(np.float64)})

    return df.select(F.col(user_column).cast("string").alias("user")).mapInPandas(run, schema)
