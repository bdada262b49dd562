import Foundation

/// The SQL machinery shared by families (quoting, missing markers, booleans).
private typealias SQL = SQLExport

/// Boosted trees as one SQL SELECT: each tree a CASE expression that yields its
/// leaf's value, summed with the starting score, then the logistic link for a
/// classifier. Missing values go the way each split learned; a category the
/// model never saw (or saw too rarely to split on) goes right, as in `score`.
extension GBDTModel: SQLExportable {
    public func sqlSelect(table: String) -> String {
        let pipeline = card.pipeline
        // Each tree as one flat CASE over its leaves' paths: SQL engines' parsers
        // run out of stack on hundreds of nested CASEs.
        func condition(_ t: Tree, _ n: Int, left: Bool) -> String {
            let c = pipeline.columns[Int(t.feature[n])]
            let missingHere = t.missingLeft[n] == left
            if c.type == .categorical {
                let levels = c.levels ?? []
                let set = levels.indices.filter { t.binGoesLeft(n, $0 + 1) }.map { SQL.literal(levels[$0]) }.joined(separator: ", ")
                let missing = "(" + SQL.missingText(c.name) + ")"
                let member = set.isEmpty ? (left ? "0 = 1" : "1 = 1") : "\(SQL.text(c.name)) \(left ? "IN" : "NOT IN") (\(set))"
                return missingHere ? "(\(missing) OR \(member))" : "(NOT \(missing) AND \(member))"
            }
            let v = c.type == .boolean ? SQL.boolean(c.name) : SQL.identifier(c.name)
            let atMost = SQL.atMost(v, t.threshold[n])
            let test = left ? atMost : "NOT (\(atMost))"
            return missingHere ? "(\(v) IS NULL OR \(test))" : "(\(v) IS NOT NULL AND \(test))"
        }
        func flat(_ t: Tree) -> String {
            if t.feature[0] < 0 { return SQL.number(t.value[0][0]) }
            var arms: [String] = []
            func walk(_ n: Int, _ path: [String]) {
                if t.feature[n] < 0 {
                    arms.append("WHEN " + path.joined(separator: " AND ") + " THEN " + SQL.number(t.value[n][0]))
                    return
                }
                walk(Int(t.left[n]), path + [condition(t, n, left: true)])
                walk(Int(t.right[n]), path + [condition(t, n, left: false)])
            }
            walk(0, [])
            return "CASE " + arms.joined(separator: "\n        ") + " END"
        }
        let sum = ([SQL.number(initScore)] + trees.map { "(" + flat($0) + ")" }).joined(separator: "\n      + ")
        if task == .regression {
            return SQL.header("Persona gradient-boosted trees: the predicted \(target)", self, table: table) + """
            SELECT *,
              \(sum) AS prediction
            FROM \(SQL.identifier(table));

            """
        }
        return SQL.header("Persona gradient-boosted trees: P(\(target) = \(positive)) as probability, and the predicted class", self, table: table) + """
        SELECT *,
          CASE WHEN probability >= \(SQL.number(threshold)) THEN \(SQL.literal(positive)) ELSE \(SQL.literal(negative)) END AS predicted
        FROM (
          SELECT *, 1.0 / (1.0 + EXP(-(
              \(sum)
            ))) AS probability
          FROM \(SQL.identifier(table))
        ) AS scored;

        """
    }
}
