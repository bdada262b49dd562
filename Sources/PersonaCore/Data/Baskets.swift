/// Market baskets read from a CSV file: each basket's distinct items, as
/// indices into the items sorted by name (byte order), so an itemset held as
/// sorted indices is also sorted by name.
///
/// Two layouts: long form (one row per basket and item, rows of a basket in
/// any order, an item repeated in a basket counted once), or one row per
/// basket with its items in one field split at a separator. No basket x item
/// matrix is ever built: the baskets are compressed rows of item indices.
public struct Baskets: Sendable {
    /// The baskets' ids, in order of first appearance (empty when not asked for).
    public var basketIds: [String]
    /// The number of baskets.
    public var count: Int
    /// Every item, sorted by name.
    public var itemNames: [String]
    /// Basket b's items are items[indptr[b]..<indptr[b + 1]], ascending.
    public var indptr: [Int]
    public var items: [Int32]
    /// Data rows read.
    public var rows: Int
    public var fingerprint: String

    public func range(_ b: Int) -> Range<Int> { indptr[b]..<indptr[b + 1] }

    /// Which columns hold what (named in messages by the flags that give them).
    public struct Layout: Sendable {
        public var basket: String
        public var item: String?
        public var items: String?
        public var separator: String

        public init(basket: String, item: String?, items: String?, separator: String) {
            self.basket = basket; self.item = item; self.items = items; self.separator = separator
        }
    }

    /// Rows of a file (or of one part of it), ids numbered by their bytes in
    /// order of first appearance: no String per row. Consecutive rows of one
    /// basket (the usual layout) are one run, so the basket of each row is not kept.
    private struct Rows {
        var baskets = ByteCounter(), items = ByteCounter()
        /// Run r holds runLength[r] consecutive entries of itemOf, all of basket runBasket[r].
        var runBasket: [Int32] = [], runLength: [Int32] = []
        var itemOf: [Int32] = []
        var rows = 0
    }

    private struct Columns { let bi: Int, ii: Int, split: [UInt8]? }

    /// - Parameter keepIds: whether to keep the baskets' ids (to name them in an output).
    public static func read(path: String, layout: Layout, delimiter: UInt8 = UInt8(ascii: ","), keepIds: Bool = true) throws -> Baskets {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        func column(_ name: String, _ flag: String) throws -> Int { try reader.column(name, namedWith: flag) }
        let bi = try column(layout.basket, "--basket")
        let columns: Columns
        if let items = layout.items {
            columns = Columns(bi: bi, ii: try column(items, "--items"), split: Array(layout.separator.utf8))
        } else {
            columns = Columns(bi: bi, ii: try column(layout.item ?? "", "--item"), split: nil)
        }
        if var read = Profiler.inParts(path: path, delimiter: delimiter, count: 8, { part, _ in
               try collect(part, path: path, layout, columns)
           }) {
            return try assemble(&read.results, path: path, layout, keepIds: keepIds, fingerprint: read.fingerprint)
        }
        var rows = [try collect(reader, path: path, layout, columns)]
        return try assemble(&rows, path: path, layout, keepIds: keepIds, fingerprint: reader.dataFingerprint.hex)
    }

    private static func collect(_ reader: CSVReader, path: String, _ layout: Layout, _ c: Columns) throws -> Rows {
        var rows = Rows()
        var rec = CSVRecord()
        var last: [UInt8] = [], lastBasket = -1
        while try reader.next(into: &rec) {
            let b = try rec.withField(c.bi) { f -> Int in
                let id = trimmedSpaces(f)
                if lastBasket >= 0 && id.count == last.count && last.withUnsafeBufferPointer({ $0.elementsEqual(id) }) { return lastBasket }
                if MissingMarkers.isMissing(id) {
                    throw PersonaError.data(file: path, line: rec.line, column: c.bi + 1, columnName: layout.basket, "the basket id is missing",
                                            fix: "Every row needs a basket id; remove the row or fill it in")
                }
                last.removeAll(keepingCapacity: true); last.append(contentsOf: id)
                lastBasket = rows.baskets.add(id)
                return lastBasket
            }
            guard rows.itemOf.count < Int(Int32.max) - 1 else {
                throw PersonaError.data(file: path, line: rec.line, "has more than \(Int32.max - 1) basket items", fix: "Split the file, or sample its baskets")
            }
            rows.rows += 1
            if rows.runBasket.last != Int32(b) || c.split != nil { rows.runBasket.append(Int32(b)); rows.runLength.append(0) }
            if let split = c.split {
                // Items split at the separator, spaces trimmed, empty pieces skipped.
                rec.withField(c.ii) { f in
                    var start = 0, i = 0
                    func piece(_ end: Int) {
                        let p = trimmedSpaces(UnsafeBufferPointer(rebasing: f[start..<end]))
                        if !MissingMarkers.isMissing(p) {
                            rows.itemOf.append(Int32(rows.items.add(p))); rows.runLength[rows.runLength.count - 1] += 1
                        }
                    }
                    while i + split.count <= f.count {
                        var match = true
                        for k in 0..<split.count where f[i + k] != split[k] { match = false; break }
                        if match { piece(i); i += split.count; start = i } else { i += 1 }
                    }
                    piece(f.count)
                }
            } else {
                let it = try rec.withField(c.ii) { f -> Int in
                    let id = trimmedSpaces(f)
                    if MissingMarkers.isMissing(id) {
                        throw PersonaError.data(file: path, line: rec.line, column: c.ii + 1, columnName: layout.item, "the item is missing",
                                                fix: "Every row needs a basket and an item; remove the row or fill it in")
                    }
                    return rows.items.add(id)
                }
                rows.itemOf.append(Int32(it)); rows.runLength[rows.runLength.count - 1] += 1
            }
        }
        return rows
    }

    /// Each basket's distinct items, ascending by name, from the parts' rows in
    /// file order (each part's rows released once placed).
    private static func assemble(_ parts: inout [Rows], path: String, _ layout: Layout, keepIds: Bool, fingerprint: String) throws -> Baskets {
        let rowCount = parts.reduce(0) { $0 + $1.rows }
        if rowCount == 0 {
            throw PersonaError.data(file: path, "has no baskets (a header and no rows)", fix: "Add rows of basket id and item")
        }
        // Items: one table for the file, in order of first appearance, then renumbered by name.
        var items = parts[0].items
        let itemMaps = parts.indices.map { p in
            p == 0 ? Array(0..<Int32(items.distinct)) : (0..<parts[p].items.distinct).map { e in Int32(parts[p].items.withValue(e) { items.add($0) }) }
        }
        let names = (0..<items.distinct).map(items.value)
        if names.isEmpty {
            throw PersonaError.data(file: path, columnName: layout.items ?? layout.item, "names no item in any basket", fix: "Check the item column and --separator")
        }
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var rank = [Int32](repeating: 0, count: names.count)
        for (newIndex, old) in order.enumerated() { rank[old] = Int32(newIndex) }
        let sortedNames = order.map { names[$0] }
        // Names that differ in bytes but not as text (invalid UTF-8, or the same letters
        // composed differently) need not be neighbours in byte order: a set finds them.
        var seen = Set<String>(minimumCapacity: sortedNames.count)
        for name in sortedNames where !seen.insert(name).inserted {
            throw PersonaError.data(file: path, columnName: layout.items ?? layout.item,
                                    "two different items read as \"\(name)\" (invalid UTF-8, or the same characters encoded differently)",
                                    fix: "Write the items as UTF-8 in one Unicode normalisation form (NFC)")
        }
        // Baskets: a basket of a later part that an earlier part holds too (one cut
        // through its rows, or a file not grouped by basket) takes that number.
        var basketMaps: [[Int32]] = []
        var idSource: [(part: Int, entry: Int)] = []
        var basketCount = 0
        for p in parts.indices {
            var map = [Int32](repeating: -1, count: parts[p].baskets.distinct)
            for e in map.indices {
                if p > 0 {
                    parts[p].baskets.withValue(e) { v in
                        for q in 0..<p { if let f = parts[q].baskets.find(v) { map[e] = basketMaps[q][f]; break } }
                    }
                }
                if map[e] < 0 {
                    map[e] = Int32(basketCount); basketCount += 1
                    if keepIds { idSource.append((p, e)) }
                }
            }
            basketMaps.append(map)
        }
        let basketIds = idSource.map { parts[$0.part].baskets.value($0.entry) }
        var indptr = [Int](repeating: 0, count: basketCount + 1)
        for p in parts.indices {
            for (b, n) in zip(parts[p].runBasket, parts[p].runLength) { indptr[Int(basketMaps[p][Int(b)]) + 1] += Int(n) }
        }
        for b in 0..<basketCount { indptr[b + 1] += indptr[b] }
        var itemsOf = [Int32](repeating: 0, count: indptr[basketCount])
        var next = indptr
        for p in parts.indices {
            var k = 0
            let part = parts[p]
            for (b, n) in zip(part.runBasket, part.runLength) {
                let g = Int(basketMaps[p][Int(b)])
                for _ in 0..<Int(n) { itemsOf[next[g]] = rank[Int(itemMaps[p][Int(part.itemOf[k])])]; next[g] += 1; k += 1 }
            }
            parts[p] = Rows()
        }
        next = []
        // Sort each basket and drop repeats, compacting in place.
        var write = 0
        itemsOf.withUnsafeMutableBufferPointer { p in
            for b in 0..<basketCount {
                let lo = indptr[b], hi = indptr[b + 1]
                indptr[b] = write
                if hi - lo > 1 { var part = UnsafeMutableBufferPointer(rebasing: p[lo..<hi]); part.sort() }
                var last: Int32 = -1
                for k in lo..<hi where p[k] != last { p[write] = p[k]; last = p[k]; write += 1 }
            }
            indptr[basketCount] = write
        }
        itemsOf.removeLast(itemsOf.count - write)
        return Baskets(basketIds: basketIds, count: basketCount, itemNames: sortedNames, indptr: indptr, items: itemsOf,
                       rows: rowCount, fingerprint: fingerprint)
    }
}
