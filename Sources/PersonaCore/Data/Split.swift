/// Seeded train/test split of a CSV file, optionally stratified by a column so
/// each level keeps its share in both parts. Two streaming passes: the first
/// reads only the stratum of each row, the second copies rows to their part.
public enum Splitter {
    public struct Summary { public var train: Int; public var test: Int }

    public static func split(path: String, testFraction: Double, stratify: String?, seed: UInt64,
                             trainOut: String, testOut: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> Summary {
        guard testFraction > 0 && testFraction < 1 else {
            throw PersonaError("--test-fraction must be between 0 and 1 (got \(testFraction))")
        }
        let first = try CSVReader(path: path, delimiter: delimiter)
        var strataIndex: Int? = nil
        if let stratify {
            strataIndex = try first.column(stratify, namedWith: "--stratify")
        }
        var strata: [Int32] = []
        var levels: [String: Int32] = [:]
        var rec = CSVRecord()
        while try first.next(into: &rec) {
            if let s = strataIndex {
                let key = rec.string(s)
                if let v = levels[key] { strata.append(v) } else { let v = Int32(levels.count); levels[key] = v; strata.append(v) }
            } else {
                strata.append(0)
            }
        }
        if strata.isEmpty { throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add data rows") }
        var rng = PersonaRandom(seed: seed)
        var isTest = [Bool](repeating: false, count: strata.count)
        var members: [[Int]] = Array(repeating: [], count: max(1, levels.count))
        for (i, s) in strata.enumerated() { members[Int(s)].append(i) }
        for var group in members where !group.isEmpty {
            rng.shuffle(&group)
            let take = Int((Double(group.count) * testFraction).rounded())
            for i in group.prefix(take) { isTest[i] = true }
        }
        let tests = try writeParts(path: path, isTest: isTest, trainOut: trainOut, testOut: testOut, delimiter: delimiter)
        return Summary(train: isTest.count - tests, test: tests)
    }

    /// Keeps every row of a group (a basket, a customer) on one side: a seeded
    /// share of the groups, in order of first appearance, goes to the test part.
    public static func byGroup(path: String, group: String, testFraction: Double, seed: UInt64,
                               trainOut: String, testOut: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> Summary {
        guard testFraction > 0 && testFraction < 1 else {
            throw PersonaError("--test-fraction must be between 0 and 1 (got \(testFraction))")
        }
        let first = try CSVReader(path: path, delimiter: delimiter)
        let gi = try first.column(group, namedWith: "--group")
        var groups = ByteCounter()
        var groupOf: [Int32] = []
        var rec = CSVRecord()
        while try first.next(into: &rec) { groupOf.append(Int32(rec.withField(gi) { groups.add(trimmedSpaces($0)) })) }
        if groupOf.isEmpty { throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add data rows") }
        var order = Array(0..<groups.distinct)
        var rng = PersonaRandom(seed: seed)
        rng.shuffle(&order)
        var testGroup = [Bool](repeating: false, count: groups.distinct)
        for g in order.prefix(Int((Double(groups.distinct) * testFraction).rounded())) { testGroup[g] = true }
        let isTest = groupOf.map { testGroup[Int($0)] }
        let tests = try writeParts(path: path, isTest: isTest, trainOut: trainOut, testOut: testOut, delimiter: delimiter)
        return Summary(train: isTest.count - tests, test: tests)
    }

    /// Copies each row of the file to the test or the training file, atomically; returns the test rows.
    static func writeParts(path: String, isTest: [Bool], trainOut: String, testOut: String, delimiter: UInt8) throws -> Int {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let train = try CSVWriter(path: trainOut, delimiter: delimiter)
        let test = try CSVWriter(path: testOut, delimiter: delimiter)
        do {
            train.row(reader.header); test.row(reader.header)
            var rec = CSVRecord()
            var row = 0, tests = 0
            while try reader.next(into: &rec) {
                let w = isTest[row] ? test : train
                if isTest[row] { tests += 1 }
                for j in 0..<rec.count { w.field(record: rec, j) }
                w.endRow()
                row += 1
            }
            try train.commit(); try test.commit()
            return tests
        } catch {
            train.abandon(); test.abandon()
            throw error
        }
    }
}
