import Foundation

/// Describes each segment of a k-means model in the data's own terms: size,
/// means in original units, the features that set it apart from the whole
/// base, the mix of each categorical column, and a few short tags.
public struct SegmentProfiles {
    public struct Feature { public var name: String; public var z: Double; public var segmentValue: Double; public var baseValue: Double }
    public struct Segment {
        public var id: Int
        public var name: String?
        public var size: Int
        public var share: Double
        public var means: [(column: String, value: Double?)]         // numeric columns, present values only
        public var mixes: [(column: String, levels: [(String, Double)])]
        public var distinctive: [Feature]
        public var tags: String
    }
    public var segments: [Segment]
    public var rows: Int

    /// Streams the data through the model's pipeline once.
    public static func compute(model: KMeansModel, path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> SegmentProfiles {
        let pipe = model.card.pipeline
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(pipe, header: reader.header, file: path)
        let w = bound.width, k = model.k
        let offsets = pipe.columnOffsets
        // Per segment (and a last row for the whole base): sums, squares and counts of raw features.
        var sum = [Double](repeating: 0, count: (k + 1) * w), sq = sum, cnt = sum
        var sizes = [Int](repeating: 0, count: k)
        var rec = CSVRecord()
        let chunk = 4096
        var raw = FloatMatrix(rows: chunk, cols: w), scaled = FloatMatrix(rows: chunk, cols: w)
        var rows = 0
        while true {
            var m = 0
            while m < chunk, try reader.next(into: &rec) {
                try raw.storage.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress! + m * w, mode: .rawNumbers) }
                try scaled.storage.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress! + m * w) }
                m += 1
            }
            if m == 0 { break }
            let batch = m == chunk ? scaled : FloatMatrix(rows: m, cols: w, storage: Array(scaled.storage[0..<(m * w)]))
            let seg = model.assign(batch).segments
            for r in 0..<m {
                sizes[Int(seg[r])] += 1
                for target in [Int(seg[r]), k] {
                    for j in 0..<w {
                        let v = raw.storage[r * w + j]
                        if v.isNaN { continue }
                        sum[target * w + j] += Double(v); sq[target * w + j] += Double(v) * Double(v); cnt[target * w + j] += 1
                    }
                }
            }
            rows += m
            if m < chunk { break }
        }
        if rows == 0 { throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add data rows") }
        let names = model.segmentNames
        var segments: [Segment] = []
        for s in 0..<k {
            let members = sizes[s]
            var means: [(String, Double?)] = []
            var mixes: [(String, [(String, Double)])] = []
            var features: [Feature] = []
            for (c, col) in pipe.columns.enumerated() {
                let o = offsets[c]
                if col.type == .categorical {
                    let levels = (col.levels ?? []) + ["<other>"]
                    var mix: [(String, Double)] = []
                    for (t, level) in levels.enumerated() {
                        let j = o + t
                        let share = members > 0 ? sum[s * w + j] / Double(members) : 0
                        let baseShare = sum[k * w + j] / Double(rows)
                        if share > 0 { mix.append((level, share)) }
                        if baseShare > 0 && baseShare < 1 {
                            let z = (share - baseShare) / (baseShare * (1 - baseShare)).squareRoot()
                            features.append(Feature(name: "\(col.name)=\(level)", z: z, segmentValue: share, baseValue: baseShare))
                        }
                    }
                    mixes.append((col.name, mix.sorted { $0.1 > $1.1 }))
                } else {
                    let j = o
                    let n = cnt[s * w + j], nb = cnt[k * w + j]
                    let mean = n > 0 ? sum[s * w + j] / n : nil
                    means.append((col.name, mean))
                    if let mean, nb > 1 {
                        let baseMean = sum[k * w + j] / nb
                        let sd = max(0, sq[k * w + j] / nb - baseMean * baseMean).squareRoot()
                        if sd > 0 { features.append(Feature(name: col.name, z: (mean - baseMean) / sd, segmentValue: mean, baseValue: baseMean)) }
                    }
                }
            }
            let distinctive = features.filter { abs($0.z) >= 0.25 }.sorted { abs($0.z) > abs($1.z) }.prefix(5)
            segments.append(Segment(id: s, name: names[s], size: members, share: Double(members) / Double(rows), means: means,
                                    mixes: mixes, distinctive: Array(distinctive), tags: tags(Array(distinctive))))
        }
        return SegmentProfiles(segments: segments, rows: rows)
    }

    /// "high spend · recent · frequent": up to three words from the strongest
    /// differences, in a marketer's words where the column name says what it is.
    static func tags(_ features: [Feature]) -> String {
        var words: [String] = []
        var columnsTagged = Set<String>()
        for f in features {
            let word: String
            if let eq = f.name.firstIndex(of: "=") {
                guard columnsTagged.insert(String(f.name[..<eq])).inserted else { continue }
                let column = f.name[..<eq].replacingOccurrences(of: "_", with: " ")
                let level = String(f.name[f.name.index(after: eq)...])
                word = f.z > 0 ? "\(level) \(column)" : "few \(level) \(column)"
            } else {
                word = describe(f.name.lowercased(), high: f.z > 0) ?? ((f.z > 0 ? "high " : "low ") + f.name.replacingOccurrences(of: "_", with: " "))
            }
            if !words.contains(word) { words.append(word) }
            if words.count == 3 { break }
        }
        return words.joined(separator: " · ")
    }

    static func describe(_ name: String, high: Bool) -> String? {
        func has(_ parts: String...) -> Bool { parts.contains { name.contains($0) } }
        if has("recency", "days_since", "since_last") { return high ? "lapsed" : "recent" }
        if has("frequency", "orders", "purchases", "visits") { return high ? "frequent" : "infrequent" }
        if has("monetary", "spend", "revenue", "amount", "order_value") { return high ? "high spend" : "low spend" }
        if has("tenure") { return high ? "long-standing" : "new" }
        if name == "age" || name.hasSuffix("_age") { return high ? "older" : "younger" }
        if has("income") { return high ? "high income" : "low income" }
        return nil
    }

    public var json: JSONValue {
        .object(["rows": .number(Double(rows)), "segments": .array(segments.map { s in
            .object([
                "segment": .number(Double(s.id)), "name": s.name.map { .string($0) } ?? .null,
                "size": .number(Double(s.size)), "share": .number(s.share), "tags": .string(s.tags),
                "means": .object(Dictionary(uniqueKeysWithValues: s.means.map { ($0.column, $0.value.map { JSONValue.number($0) } ?? .null) })),
                "mix": .object(Dictionary(uniqueKeysWithValues: s.mixes.map { ($0.column, JSONValue.object(Dictionary(uniqueKeysWithValues: $0.levels.map { ($0.0, JSONValue.number($0.1)) }))) })),
                "distinctive": .array(s.distinctive.map { f in .object(["feature": .string(f.name), "z": .number(f.z),
                                                                        "segment": .number(f.segmentValue), "base": .number(f.baseValue)]) }),
            ])
        })])
    }

    public var text: String {
        var lines: [String] = []
        for s in segments {
            lines.append("segment \(s.id)\(s.name.map { " \"\($0)\"" } ?? ""): \(s.size) rows (\(formatNumber(s.share * 100, digits: 3))%) — \(s.tags.isEmpty ? "close to the average" : s.tags)")
            for f in s.distinctive {
                let arrow = f.z > 0 ? "▲" : "▼"
                let isShare = f.name.contains("=")
                let seg = isShare ? formatNumber(f.segmentValue * 100, digits: 3) + "%" : formatNumber(f.segmentValue)
                let base = isShare ? formatNumber(f.baseValue * 100, digits: 3) + "%" : formatNumber(f.baseValue)
                lines.append("    \(arrow) \(f.name): \(seg) against \(base) overall (\(f.z > 0 ? "+" : "")\(formatNumber(f.z, digits: 2)) sd)")
            }
            let means = s.means.map { "\($0.column) \($0.value.map { formatNumber($0) } ?? "n/a")" }.joined(separator: ", ")
            if !means.isEmpty { lines.append("    means: " + means) }
            for (column, levels) in s.mixes {
                lines.append("    \(column): " + levels.prefix(4).map { "\($0.0) \(formatNumber($0.1 * 100, digits: 3))%" }.joined(separator: ", "))
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    public func writeCSV(to path: String) throws {
        let w = try CSVWriter(path: path)
        let numeric = segments.first?.means.map(\.column) ?? []
        w.row(["segment", "name", "size", "share", "tags"] + numeric.map { "mean_" + $0 })
        for s in segments {
            w.field(s.id); w.field(s.name ?? ""); w.field(s.size); w.field(s.share, decimals: 6); w.field(s.tags)
            for m in s.means { if let v = m.value { w.field(shortest: v) } else { w.missing() } }
            w.endRow()
        }
        try w.commit()
    }
}
