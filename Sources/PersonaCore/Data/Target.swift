/// A binary target read from a data file: which label is the positive class,
/// and each row's class.
/// What a binary classifier's card says of its target (positive and negative
/// class, column), read once and kept as typed properties.
struct BinaryTargetFacts {
    var positive: String, negative: String, target: String
}

public struct BinaryTarget: Equatable {
    public var column: String
    public var positive: String
    public var negative: String
    public var values: [Bool]

    public var positives: Int { values.filter { $0 }.count }

    /// Validates a target column's labels (nil = missing) and chooses the positive
    /// class: `positive` when given; else 1 for a 0/1 column, the true word for
    /// yes/no or true/false; any other pair of labels needs `positive`.
    public static func make(column: String, labels: [String?], positive: String?, file: String,
                            delimiter: UInt8 = UInt8(ascii: ",")) throws -> BinaryTarget {
        let missingRows = labels.indices.filter { labels[$0] == nil }
        if !missingRows.isEmpty {
            let lines = TargetLines.lines(of: column, path: file, delimiter: delimiter, limit: 5)
            throw PersonaError.data(file: file, columnName: column,
                                    "the target is missing in \(missingRows.count) of \(labels.count) rows (first at line\(lines.count > 1 ? "s" : "") \(lines.map(String.init).joined(separator: ", ")))",
                                    fix: "Drop those rows or fill in their class before training")
        }
        var counts: [String: Int] = [:]
        for case let l? in labels { counts[l, default: 0] += 1 }
        let distinct = counts.keys.sorted()
        if distinct.count == 1 {
            throw PersonaError.data(file: file, columnName: column,
                                    "the target has a single class (\"\(distinct[0])\" in all \(labels.count) rows)",
                                    fix: "A classifier needs examples of both classes; check the file or the --target column")
        }
        if distinct.count > 2 {
            let shown = distinct.prefix(6).map { "\"\($0)\"" }.joined(separator: ", ")
            throw PersonaError.data(file: file, columnName: column,
                                    "the target has \(distinct.count) classes (\(shown)\(distinct.count > 6 ? ", ..." : "")); logistic regression here is binary",
                                    fix: "Use a column with two classes, or recode it (for example churned vs not)")
        }
        let (a, b) = (distinct[0], distinct[1])
        var pos: String
        if let positive {
            guard positive == a || positive == b else {
                throw ParameterError([ParameterName(property: "positive", key: "positive")]) {
                    "\(file), column \"\(column)\": \($0[0]) \"\(positive)\" is not a class of the target (it has \"\(a)\" and \"\(b)\"). Give one of the two"
                }
            }
            pos = positive
        } else if let p = positiveClass(a, b) {
            pos = p
        } else {
            throw PersonaError.data(file: file, columnName: column, "the target's classes are \"\(a)\" and \"\(b)\"; which one is the positive class (the one to predict)?",
                                    fix: "Say it with --positive \(b.contains(" ") ? "\"\(b)\"" : b)")
        }
        let neg = pos == a ? b : a
        return BinaryTarget(column: column, positive: pos, negative: neg, values: labels.map { $0 == pos })
    }

    /// The positive one of two classes when the labels say it: 1 of 0 and 1,
    /// or the true one of two true/false words; nil otherwise.
    static func positiveClass(_ a: String, _ b: String) -> String? {
        if let x = NumberParser.parse(a), let y = NumberParser.parse(b), Set([x, y]) == Set([0.0, 1.0]) { return x == 1 ? a : b }
        if let x = BooleanWords.value(a), let y = BooleanWords.value(b), x != y { return x ? a : b }
        return nil
    }

    /// A label's truth value when it is a yes/no word or 0/1; nil otherwise.
    static func truth(_ label: String) -> Bool? {
        if let b = BooleanWords.value(label) { return b }
        switch NumberParser.parse(label) { case 1?: return true; case 0?: return false; default: return nil }
    }

    /// Classes of an evaluation file against the labels the model was trained
    /// with; a yes/no target's labels match in any spelling.
    public static func match(column: String, labels: [String?], positive: String, negative: String, file: String,
                             delimiter: UInt8 = UInt8(ascii: ",")) throws -> [Bool] {
        var out: [Bool] = []
        out.reserveCapacity(labels.count)
        var missing = 0, unknown: String? = nil
        // A yes/no target matches whatever its spelling (true/false, yes/no, 1/0, Y/N).
        let positiveTruth = truth(positive), negativeTruth = truth(negative)
        let spellings = positiveTruth != nil && negativeTruth != nil && positiveTruth != negativeTruth
        for l in labels {
            guard let l else { missing += 1; continue }
            if l == positive { out.append(true) } else if l == negative { out.append(false) }
            else if spellings, let t = truth(l) { out.append(t == positiveTruth) }
            else if unknown == nil { unknown = l }
        }
        if missing > 0 {
            let lines = TargetLines.lines(of: column, path: file, delimiter: delimiter, limit: 5)
            throw PersonaError.data(file: file, columnName: column, "the target is missing in \(missing) rows (first at lines \(lines.map(String.init).joined(separator: ", ")))",
                                    fix: "Evaluate on rows whose class is known")
        }
        if let unknown {
            throw PersonaError.data(file: file, columnName: column, "has the class \"\(unknown)\", but the model knows only \"\(positive)\" and \"\(negative)\"",
                                    fix: "Evaluate on data labelled like the training data")
        }
        return out
    }

    /// Reads a column's labels from a CSV file (nil for missing markers; numbers normalised).
    public static func labels(of column: String, path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [String?] {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        guard let j = reader.columnIndex(column) else {
            throw PersonaError.data(file: path, line: 1, columnName: column, "the target column is not in the header",
                                    fix: "Columns are: \(reader.header.joined(separator: ", "))")
        }
        var out: [String?] = []
        var rec = CSVRecord()
        while try reader.next(into: &rec) { out.append(label(rec.string(j))) }
        return out
    }

    /// The classes of a training set's target column as strata for folds (the
    /// positive class first), with the positive class settled on the whole set
    /// (`labels`: the column's labels, when the caller has read them already).
    static func strata(_ data: TrainingSet, column: String, positive: String?, labels: [String?]? = nil) throws -> (positive: String, strata: [Int]) {
        let target = try make(column: column, labels: try labels ?? data.labels(of: column), positive: positive, file: data.file, delimiter: data.delimiter)
        return (target.positive, target.values.map { $0 ? 0 : 1 })
    }

    /// The classes of a target's labels, sorted, and each row's stratum for
    /// folds: its class's index, or the class count when the label is missing.
    static func classStrata(_ labels: [String?]) -> (classes: [String], strata: [Int]) {
        let classes = Array(Set(labels.compactMap { $0 })).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        return (classes, labels.map { $0.flatMap { index[$0] } ?? classes.count })
    }

    /// A target cell as a class label: nil when missing, whole numbers without a
    /// fraction ("1", not "1.0"), text trimmed.
    public static func label(_ s: String) -> String? {
        if MissingMarkers.isMissing(s) { return nil }
        if let v = NumberParser.parse(s), v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return s.trimmingASCIISpaces()
    }
}

enum TargetLines {
    /// Lines (1-based, as in the file) of the first rows whose `column` is missing.
    static func lines(of column: String, path: String, delimiter: UInt8, limit: Int) -> [Int] {
        guard let reader = try? CSVReader(path: path, delimiter: delimiter), let j = reader.columnIndex(column) else { return [] }
        var out: [Int] = []
        var rec = CSVRecord()
        while out.count < limit, (try? reader.next(into: &rec)) == true {
            if rec.isMissing(j) { out.append(rec.line) }
        }
        return out
    }
}
