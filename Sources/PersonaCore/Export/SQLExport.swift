/// Writes a logistic regression or a decision tree as one SQL SELECT over a
/// table of raw columns, so a warehouse scores rows without any runtime. NULL
/// is a missing value; text columns are compared after trimming spaces, and the
/// text markers of missing values (empty, NA, N/A, NaN, null, None) count as
/// missing too. Plain SQL: CASE, COALESCE, TRIM, UPPER, LOWER, CAST AS VARCHAR, EXP.
public enum SQLExport {
    public static func export(_ model: any PersonaModel, table: String) throws -> String {
        switch model {
        case let m as LogisticModel: return logistic(m, table: table)
        case let m as TreeModel: return tree(m, table: table)
        default:
            throw PersonaError("SQL export covers logistic regression and decision trees; a \(model.card.kind) model exports to ONNX (--format onnx)")
        }
    }

    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(format: "%.1f", v) }
        return "\(v)"
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

    static func logistic(_ m: LogisticModel, table: String) -> String {
        var terms = [number(m.coefficients[0])]
        var k = 1
        for c in m.card.pipeline.columns {
            switch c.type {
            case .categorical:
                let levels = c.levels ?? []
                let weights = Array(m.coefficients[k..<(k + levels.count + 1)])
                k += levels.count + 1
                let fill = c.fillIndex
                var e = "CASE WHEN \(missingText(c.name)) THEN \(number(weights[fill]))"
                for (i, l) in levels.enumerated() { e += " WHEN \(text(c.name)) = \(literal(l)) THEN \(number(weights[i]))" }
                e += " ELSE \(number(weights[levels.count])) END"
                terms.append("(\(e))")
            default:
                let raw = c.type == .boolean ? boolean(c.name) : identifier(c.name)
                let w = m.coefficients[k]
                terms.append("(COALESCE(\(raw), \(number(c.median ?? 0))) - \(number(c.center))) / \(number(c.scale)) * \(number(w))")
                k += 1
                if c.missingIndicator {
                    terms.append("(CASE WHEN \(raw) IS NULL THEN \(number(m.coefficients[k])) ELSE 0.0 END)")
                    k += 1
                }
            }
        }
        let eta = terms.joined(separator: "\n        + ")
        return header("Persona logistic regression: P(\(m.target) = \(m.positive)) as probability, and the predicted class", m, table: table) + """
        SELECT *,
          CASE WHEN probability >= \(number(m.threshold)) THEN \(literal(m.positive)) ELSE \(literal(m.negative)) END AS predicted
        FROM (
          SELECT *, 1.0 / (1.0 + EXP(-(
                \(eta)
              ))) AS probability
          FROM \(identifier(table))
        ) AS scored;

        """
    }

    static func tree(_ m: TreeModel, table: String) -> String {
        let t = m.tree
        let pipeline = m.card.pipeline
        func node(_ n: Int, _ indent: String) -> String {
            if t.feature[n] < 0 { return "\(n)" }
            let c = pipeline.columns[Int(t.feature[n])]
            let next = indent + "  "
            let l = node(Int(t.left[n]), next), r = node(Int(t.right[n]), next)
            let missing = t.missingLeft[n] ? l : r
            if c.type == .categorical {
                let levels = c.levels ?? []
                let leftLevels = levels.indices.filter { t.binGoesLeft(n, $0 + 1) }.map { literal(levels[$0]) }
                let rightLevels = levels.indices.filter { !t.binGoesLeft(n, $0 + 1) }.map { literal(levels[$0]) }
                // unseen values take the last bin: list the other side's levels and send the rest with ELSE
                let (listed, then, otherwise) = t.binGoesLeft(n, levels.count + 1) ? (rightLevels, r, l) : (leftLevels, l, r)
                var e = "CASE WHEN \(missingText(c.name)) THEN \(missing)"
                if !listed.isEmpty { e += "\n\(next)WHEN \(text(c.name)) IN (\(listed.joined(separator: ", "))) THEN \(then)" }
                return e + "\n\(next)ELSE \(otherwise) END"
            }
            let v = c.type == .boolean ? boolean(c.name) : identifier(c.name)
            return "CASE WHEN \(v) IS NULL THEN \(missing)\n\(next)WHEN \(v) <= \(number(t.threshold[n])) THEN \(l)\n\(next)ELSE \(r) END"
        }
        let leaves = (0..<t.count).filter { t.feature[$0] < 0 }
        var outputs: [String] = []
        if m.task == .regression {
            outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(number(t.value[$0][0]))" }.joined(separator: " ") + " END AS predicted")
        } else {
            for (ci, cls) in m.classes.enumerated() {
                outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(number(t.value[$0][ci]))" }.joined(separator: " ")
                               + " END AS \(identifier("probability_" + cls))")
            }
            outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(literal(m.classes[m.predictedClass($0, threshold: nil)]))" }.joined(separator: " ")
                           + " END AS predicted")
        }
        let title = m.task == .regression ? "Persona decision tree: the predicted \(m.target)"
                                          : "Persona decision tree: the probability of each class of \(m.target), and the predicted class"
        return header(title, m, table: table) + """
        SELECT *,
          \(outputs.joined(separator: ",\n  "))
        FROM (
          SELECT *,
            \(node(0, "    ")) AS leaf
          FROM \(identifier(table))
        ) AS scored;

        """
    }
}
