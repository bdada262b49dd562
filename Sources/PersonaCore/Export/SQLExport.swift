/// Writes a model (logistic regression, decision tree) as one SQL SELECT over a
/// table of raw columns, so a warehouse scores rows without any runtime. NULL
/// is a missing value; text columns are compared after trimming spaces, and the
/// text markers of missing values (empty, NA, N/A, NaN, null, None) count as
/// missing too. Plain SQL: CASE, COALESCE, TRIM, UPPER, LOWER, CAST AS VARCHAR, EXP.
public enum SQLExport {
    public static func export(_ model: any PersonaModel, table: String) throws -> String {
        guard let m = model as? any SQLExportable else {
            throw PersonaError("SQL export covers logistic regression, decision trees, gradient boosting and uplift models; a \(model.card.kind) model exports to ONNX (--format onnx)")
        }
        return m.sqlSelect(table: table)
    }

    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(format: "%.1f", v) }
        return "\(v)"
    }

    /// `value <= threshold` as Persona decides it: on the value rounded to
    /// Float32 first. The database holds the double, so the comparison moves to
    /// the double halfway between the largest float at or below the threshold
    /// and the next float up (ties round to the even float, as IEEE does).
    static func atMost(_ value: String, _ threshold: Double) -> String {
        guard threshold.isFinite else { return threshold > 0 ? "1 = 1" : "0 = 1" }
        var f = Float(threshold)
        if Double(f) > threshold { f = f.nextDown }
        let halfway = (Double(f) + Double(f.nextUp)) / 2
        return "\(value) \(f.significandBitPattern & 1 == 0 ? "<=" : "<") \(number(halfway))"
    }

    static func text(_ column: String) -> String { "TRIM(CAST(\(identifier(column)) AS VARCHAR))" }

    static func missingText(_ column: String) -> String {
        let markers = MissingMarkers.all.map { literal($0.uppercased()) }.joined(separator: ", ")
        return "\(identifier(column)) IS NULL OR UPPER(\(text(column))) IN (\(markers))"
    }

    /// A boolean column as 1, 0 or NULL.
    static func boolean(_ column: String) -> String {
        let yes = (BooleanWords.yes + ["1", "1.0"]).map(literal).joined(separator: ", ")
        let no = (BooleanWords.no + ["0", "0.0"]).map(literal).joined(separator: ", ")
        let v = "LOWER(\(text(column)))"
        return "(CASE WHEN \(v) IN (\(yes)) THEN 1 WHEN \(v) IN (\(no)) THEN 0 END)"
    }

    static func header(_ title: String, _ model: any PersonaModel, table: String) -> String {
        ["-- \(title)", "-- Exported by persona \(PersonaVersion.tool) from a \(model.card.kind) model trained \(model.card.created).",
         "-- Reads the raw columns of \(identifier(table)); NULL means missing.",
         "-- Columns used: " + model.card.pipeline.columns.map(\.name).joined(separator: ", "), ""].joined(separator: "\n")
    }
}

/// A model that writes itself as one SQL SELECT over a table of raw columns,
/// with the helpers above. Each family conforms in its own folder.
public protocol SQLExportable: PersonaModel {
    func sqlSelect(table: String) -> String
}

/// A classifier whose probability of a class is one SQL expression over the raw
/// columns, so that models built from classifiers (uplift) can combine them.
public protocol SQLProbabilityExpression: SQLExportable {
    /// The probability of `positive`, or nil when the model does not predict that class.
    func sqlProbability(positive: String) -> String?
}
