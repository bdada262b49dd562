import Foundation
import Yams

extension CleaningRules {
    /// Reads a rule file for `persona clean`:
    ///
    ///     id: customer_id
    ///     columns:
    ///       spend: {merge: sum, outliers: winsorize, quantiles: [0.01, 0.99]}
    ///       name: {merge: most_frequent}
    ///       last_seen: {merge: max}
    ///
    /// Every mistake names the file, the line and the key, and the choices.
    public static func load(path: String) throws -> CleaningRules {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PersonaError("\(path): cannot be read. Check the path")
        }
        return try load(text: text, path: path)
    }

    public static func load(text: String, path: String) throws -> CleaningRules {
        func error(_ node: Node?, _ key: String, _ what: String, fix: String? = nil) -> PersonaError {
            Experiment.error(path, node.flatMap(Experiment.line), key, what, fix: fix)
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw PersonaError("\(path): not valid YAML (\(error))") }
        guard let top = root?.mapping else {
            throw PersonaError("\(path): expected a mapping with id and columns (see `persona clean --help`)")
        }
        var rules = CleaningRules()
        for (k, v) in top {
            switch k.string {
            case "id"?:
                guard let id = v.string, !id.isEmpty else { throw error(v, "id", "expected a column name") }
                rules.id = id
            case "columns"?:
                guard let columns = v.mapping else { throw error(v, "columns", "expected a mapping of column names to their rules") }
                for (ck, cv) in columns {
                    guard let name = ck.string else { throw error(ck, "columns", "column names must be text") }
                    if rules.columns[name] != nil { throw error(ck, "columns.\(name)", "appears twice") }
                    guard let entries = cv.mapping else { throw error(cv, "columns.\(name)", "expected a mapping such as {merge: sum, outliers: flag}") }
                    var column = Column()
                    for (rk, rv) in entries {
                        let key = "columns.\(name).\(rk.string ?? "?")"
                        switch rk.string {
                        case "merge"?:
                            guard let m = rv.string.flatMap(Merge.init(rawValue:)) else {
                                throw error(rv, key, "\"\(rv.string ?? "?")\" is not a merge rule", fix: "Rules: " + Merge.allCases.map(\.rawValue).joined(separator: ", "))
                            }
                            column.merge = m
                        case "outliers"?:
                            guard let a = rv.string.flatMap(Outliers.init(rawValue:)) else {
                                throw error(rv, key, "\"\(rv.string ?? "?")\" is not an outlier rule", fix: "Rules: " + Outliers.allCases.map(\.rawValue).joined(separator: ", "))
                            }
                            column.outliers = a
                        case "quantiles"?:
                            guard let q = rv.sequence?.compactMap(\.float), q.count == 2, q[0] >= 0, q[0] < q[1], q[1] <= 1 else {
                                throw error(rv, key, "expected two quantiles, low then high, between 0 and 1, such as [0.01, 0.99]")
                            }
                            column.quantiles = (q[0], q[1])
                        default:
                            throw error(rk, key, "is not a rule", fix: "Rules of a column: merge, outliers, quantiles")
                        }
                    }
                    rules.columns[name] = column
                }
            default:
                throw error(k, k.string ?? "?", "is not a key of a rule file", fix: "Keys: id, columns")
            }
        }
        return rules
    }
}
