/// The SQL engines an export is written for. They differ in how identifiers are
/// quoted, how a literal number gets a double type (SQLite's `1.5` is a double,
/// PostgreSQL's, DuckDB's and Spark's a decimal), the name of the text type, how
/// a string literal escapes, and whether EXP may overflow (PostgreSQL raises an
/// error where the others give infinity). Every dialect computes in double
/// precision, as Persona does.
public enum SQLDialect: String, CaseIterable, Sendable {
    case sqlite, postgres, duckdb, spark

    public var engine: String {
        switch self {
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        case .duckdb: return "DuckDB"
        case .spark: return "Spark SQL"
        }
    }

    func identifier(_ name: String) -> String {
        self == .spark ? "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
                       : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func literal(_ s: String) -> String {
        // Spark reads backslash escapes in string literals and joins '' as two literals
        if self == .spark { return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }
        return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A double-precision literal.
    func number(_ v: Double) -> String {
        let text = v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : "\(v)"
        switch self {
        case .sqlite: return text
        case .postgres: return v < 0 ? "(\(text))::float8" : "\(text)::float8"
        case .duckdb: return v < 0 ? "(\(text))::DOUBLE" : "\(text)::DOUBLE"
        case .spark: return text + "D"
        }
    }

    /// A numeric or yes/no column's value as a number, NULL when missing. A
    /// numeric column is read as written: with double literals around it, every
    /// engine computes in double precision whether it holds integers, decimals
    /// or doubles.
    func value(_ c: PipelineColumn) -> String { c.type == .boolean ? boolean(c.name) : identifier(c.name) }

    /// A numeric or yes/no column as the pipeline encodes it: the median for a
    /// missing value, then centred and scaled.
    func standardized(_ c: PipelineColumn) -> String {
        "(COALESCE(\(value(c)), \(number(c.median ?? 0))) - \(number(c.center))) / \(number(c.scale))"
    }

    /// A category's one-hot block as one CASE picking `values[i]` for level i,
    /// the fill level's value for a missing one and the last value (the unseen
    /// bucket) for any other text, as the pipeline encodes the column.
    func perLevel(_ c: PipelineColumn, _ values: [Double]) -> String {
        let levels = c.levels ?? []
        var e = "CASE WHEN \(missingText(c.name)) THEN \(number(values[c.fillIndex]))"
        for (i, l) in levels.enumerated() { e += " WHEN \(text(c.name)) = \(literal(l)) THEN \(number(values[i]))" }
        return e + " ELSE \(number(values[levels.count])) END"
    }

    /// `value <= threshold` as Persona decides it: on the value rounded to
    /// Float32 first. The database holds the double, so the comparison moves to
    /// the double halfway between the largest float at or below the threshold
    /// and the next float up (ties round to the even float, as IEEE does).
    func atMost(_ value: String, _ threshold: Double) -> String {
        guard threshold.isFinite else { return threshold > 0 ? "1 = 1" : "0 = 1" }
        var f = Float(threshold)
        if Double(f) > threshold { f = f.nextDown }
        let halfway = (Double(f) + Double(f.nextUp)) / 2
        return "\(value) \(f.significandBitPattern & 1 == 0 ? "<=" : "<") \(number(halfway))"
    }

    func text(_ column: String) -> String { "TRIM(CAST(\(identifier(column)) AS \(self == .spark ? "STRING" : "VARCHAR")))" }

    /// Whether a level could read as a missing marker (then a test of the level
    /// must also rule the markers out).
    static func looksMissing(_ level: String) -> Bool {
        MissingMarkers.all.contains { $0.uppercased() == level.trimmingCharacters(in: .whitespaces).uppercased() }
    }

    func missingText(_ column: String) -> String {
        let markers = MissingMarkers.all.map { literal($0.uppercased()) }.joined(separator: ", ")
        return "\(identifier(column)) IS NULL OR UPPER(\(text(column))) IN (\(markers))"
    }

    /// A boolean column as 1, 0 or NULL (a BOOLEAN column's true and false included).
    func boolean(_ column: String) -> String {
        let yes = (BooleanWords.yes + ["1", "1.0"]).map(literal).joined(separator: ", ")
        let no = (BooleanWords.no + ["0", "0.0"]).map(literal).joined(separator: ", ")
        let v = "LOWER(\(text(column)))"
        return "(CASE WHEN \(v) IN (\(yes)) THEN \(number(1)) WHEN \(v) IN (\(no)) THEN \(number(0)) END)"
    }

    /// 1 / (1 + e^-x). PostgreSQL raises an error when EXP overflows or
    /// underflows, so there x is held to ±700 first (the probability moves by
    /// less than 1e-300).
    func sigmoid(_ x: String) -> String {
        "\(number(1)) / (\(number(1)) + \(exp("-(\(x))")))"
    }

    /// e^x, with x held to ±700 for PostgreSQL (see `sigmoid`).
    func exp(_ x: String) -> String {
        self == .postgres ? "EXP(LEAST(GREATEST(\(x), \(number(-700))), \(number(700))))" : "EXP(\(x))"
    }

    func header(_ title: String, _ card: ModelCard, table: String) -> String {
        ["-- \(title)", "-- Exported by persona \(PersonaVersion.tool) from a \(card.kind) model trained \(card.created), for \(engine).",
         "-- Reads the raw columns of \(identifier(table)); NULL means missing.",
         "-- Columns used: " + card.pipeline.columns.map(\.name).joined(separator: ", "), ""].joined(separator: "\n")
    }
}
