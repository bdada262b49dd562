import Foundation

/// The rules and itemsets as tables (`inspect --rules`, `--itemsets`).
extension RulesModel: RuleTables {
    public func ruleTable(sort: RuleSort, top: Int?) -> (header: [String], rows: [[String]]) {
        let order = ruleOrder(by: sort)
        let rows = order.prefix(top ?? order.count).map { r -> [String] in
            [jsonArray(antecedentNames(r)), jsonArray(consequentNames(r))]
                + measures(r).values.enumerated().map { j, v in j == RuleMeasures.columns.count - 1 ? String(Int(v)) : exactText(v) }
        }
        return (["antecedent", "consequent"] + RuleMeasures.columns, rows)
    }

    public func itemsetTable(top: Int?) -> (header: [String], rows: [[String]]) {
        let rows = (0..<min(itemsets.count, top ?? itemsets.count)).map { s in
            [jsonArray(names(s)), exactText(Double(itemsets.counts[s]) / Double(baskets)), String(itemsets.counts[s])]
        }
        return (["itemset", "support", "count"], rows)
    }

    /// A double as the shortest text that reads back to it (`inf` for infinity).
    func exactText(_ v: Double) -> String { v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)" }
}

/// The rules as SQL: two tables (each rule's measures, each rule's items) and a
/// query that suggests items for every basket of a table in long form.
extension RulesModel: SQLExportable {
    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        let int = sql == .spark ? "BIGINT" : "INTEGER"
        let double = sql == .sqlite ? "REAL" : sql == .postgres ? "DOUBLE PRECISION" : "DOUBLE"
        let text = sql == .spark ? "STRING" : "VARCHAR"
        let rulesTable = sql.identifier("persona_rules"), itemsTable = sql.identifier("persona_rule_items")
        // The query reads baskets in long form: a model trained on one row per basket reads a
        // column named `item` (a list in one field would first be split into rows).
        let basket = sql.identifier(config.basket), item = sql.identifier(config.item ?? "item")
        // Spark without Hive support creates data source tables only.
        let using = sql == .spark ? " USING parquet" : ""
        // Ties rank by item in byte order, as `persona score` does, whatever the database's collation.
        let byteOrder = sql == .postgres ? " COLLATE \"C\"" : ""
        var lines = [
            "-- Persona association rules: \(rules.count) rules from \(baskets) baskets",
            "-- Exported by persona \(PersonaVersion.tool) from a \(card.kind) model trained \(card.created), for \(sql.engine).",
            "-- Creates \(rulesTable) (one row per rule) and \(itemsTable) (one row per rule and item), then suggests",
            "-- items for every basket of \(sql.identifier(table)), one row per basket and item (columns \(basket) and \(item)),",
            "-- as `persona score` does: rules whose whole antecedent is in the basket and no consequent item is,",
            "-- each item with its best rule, ranked by confidence, then lift, then item; the \(Self.defaultSuggestions) best per basket",
            "-- (the last WHERE says how many).",
            "",
            "DROP TABLE IF EXISTS \(rulesTable);",
            "DROP TABLE IF EXISTS \(itemsTable);",
            "CREATE TABLE \(rulesTable) (rule_id \(int), antecedent_size \(int), antecedent \(text), consequent \(text), "
                + "support \(double), confidence \(double), lift \(double), leverage \(double), rule_count \(int))\(using);",
            "CREATE TABLE \(itemsTable) (rule_id \(int), side \(text), item \(text))\(using);",
        ]
        let batch = 500
        var r = 0
        while r < rules.count {
            let rows = (r..<min(rules.count, r + batch)).map { i -> String in
                let m = measures(i)
                return "(\(i), \(itemsets.length(Int(rules.antecedent[i]))), \(sql.literal(jsonArray(antecedentNames(i)))), "
                    + "\(sql.literal(jsonArray(consequentNames(i)))), \(sql.number(m.support)), \(sql.number(m.confidence)), "
                    + "\(sql.number(m.lift)), \(sql.number(m.leverage)), \(m.count))"
            }
            lines.append("INSERT INTO \(rulesTable) VALUES\n  " + rows.joined(separator: ",\n  ") + ";")
            var itemRows: [String] = []
            for i in r..<min(rules.count, r + batch) {
                for n in antecedentNames(i) { itemRows.append("(\(i), 'antecedent', \(sql.literal(n)))") }
                for n in consequentNames(i) { itemRows.append("(\(i), 'consequent', \(sql.literal(n)))") }
            }
            lines.append("INSERT INTO \(itemsTable) VALUES\n  " + itemRows.joined(separator: ",\n  ") + ";")
            r += batch
        }
        if sql == .postgres {
            // Fresh tables have no statistics: without them the planner expects one row and
            // joins by nested loops, quadratic in the rules.
            lines.append("ANALYZE \(rulesTable);")
            lines.append("ANALYZE \(itemsTable);")
        }
        lines.append("""

            WITH basket_items AS (
              SELECT DISTINCT CAST(\(basket) AS \(text)) AS basket_id, TRIM(CAST(\(item) AS \(text))) AS item
              FROM \(sql.identifier(table)) WHERE \(basket) IS NOT NULL AND \(item) IS NOT NULL
            ),
            matched AS (
              SELECT b.basket_id, a.rule_id
              FROM basket_items b
              JOIN \(itemsTable) a ON a.side = 'antecedent' AND a.item = b.item
              JOIN \(rulesTable) r ON r.rule_id = a.rule_id
              GROUP BY b.basket_id, a.rule_id, r.antecedent_size
              HAVING COUNT(*) = r.antecedent_size
            ),
            blocked AS (
              SELECT DISTINCT m.basket_id, m.rule_id
              FROM matched m
              JOIN \(itemsTable) c ON c.rule_id = m.rule_id AND c.side = 'consequent'
              JOIN basket_items b ON b.basket_id = m.basket_id AND b.item = c.item
            ),
            candidates AS (
              SELECT m.basket_id, c.item, r.confidence, r.lift, r.antecedent,
                     ROW_NUMBER() OVER (PARTITION BY m.basket_id, c.item ORDER BY r.confidence DESC, r.lift DESC, r.rule_id) AS best
              FROM matched m
              JOIN \(rulesTable) r ON r.rule_id = m.rule_id
              JOIN \(itemsTable) c ON c.rule_id = m.rule_id AND c.side = 'consequent'
              LEFT JOIN blocked x ON x.basket_id = m.basket_id AND x.rule_id = m.rule_id
              WHERE x.rule_id IS NULL
            ),
            ranked AS (
              SELECT basket_id, item, confidence, lift, antecedent,
                     ROW_NUMBER() OVER (PARTITION BY basket_id ORDER BY confidence DESC, lift DESC, item\(byteOrder)) AS \(sql.identifier("rank"))
              FROM candidates WHERE best = 1
            )
            SELECT basket_id, \(sql.identifier("rank")), item, confidence, lift, antecedent
            FROM ranked
            WHERE \(sql.identifier("rank")) <= \(Self.defaultSuggestions)
            ORDER BY basket_id\(byteOrder), \(sql.identifier("rank"));
            """)
        return lines.joined(separator: "\n") + "\n"
    }
}
