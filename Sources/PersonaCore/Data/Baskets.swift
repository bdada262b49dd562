/// Market baskets read from a CSV file: each basket's distinct items, as
/// indices into the items sorted by name (byte order), so an itemset held as
/// sorted indices is also sorted by name.
///
/// Two layouts: long form (one row per basket and item, rows of a basket in
/// any order, an item repeated in a basket counted once), or one row per
/// basket with its items in one field split at a separator. No basket x item
/// matrix is ever built: the baskets are compressed rows of item indices.
public struct Baskets: Sendable {
    /// The baskets' ids, in order of first appearance.
    public var basketIds: [String]
    /// Every item, sorted by name.
    public var itemNames: [String]
    /// Basket b's items are items[indptr[b]..<indptr[b + 1]], ascending.
    public var indptr: [Int]
    public var items: [Int32]
    /// Data rows read.
    public var rows: Int
    public var fingerprint: String

    public var count: Int { basketIds.count }
    public func range(_ b: Int) -> Range<Int> { indptr[b]..<indptr[b + 1] }

    /// Which columns hold what, and what the flags that named them are called.
    public struct Layout: Sendable {
        public var basket: String
        public var item: String?
        public var items: String?
        public var separator: String
        /// The flags as the caller knows them ("--basket"), for messages.
        public var basketFlag = "--basket", itemFlag = "--item", itemsFlag = "--items"

        public init(basket: String, item: String?, items: String?, separator: String) {
            self.basket = basket; self.item = item; self.items = items; self.separator = separator
        }
    }

    /// Rows of a file (or of one part of it), ids numbered by their bytes in
    /// order of first appearance: no String per row.
    private struct Rows {
        var baskets = ByteCounter(), items = ByteCounter()
        var basketOf: [Int32] = [], itemOf: [Int32] = []
        var rows = 0
    }

    private struct Columns { let bi: Int, ii: Int, split: [UInt8]? }

    public static func read(path: String, layout: Layout, delimiter: UInt8 = UInt8(ascii: ",")) throws -> Baskets {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        func column(_ name: String, _ flag: String) throws -> Int {
            guard let i = reader.columnIndex(name) else {
                throw PersonaError.data(file: path, line: 1, columnName: name, "is named with \(flag) but the file has no such column",
                                        fix: "Columns are: \(reader.header.joined(separator: ", "))")
            }
            return i
        }
        let bi = try column(layout.basket, layout.basketFlag)
        let columns: Columns
        if let items = layout.items {
            columns = Columns(bi: bi, ii: try column(items, layout.itemsFlag), split: Array(layout.separator.utf8))
        } else {
            columns = Columns(bi: bi, ii: try column(layout.item ?? "", layout.itemFlag), split: nil)
        }
        if let read = Profiler.inParts(path: path, delimiter: delimiter, count: 8, { part, _ in
               try collect(part, path: path, layout, columns)
           }) {
            return try assemble(joined(read.results), path: path, layout, fingerprint: read.fingerprint)
        }
        let rows = try collect(reader, path: path, layout, columns)
        return try assemble(rows, path: path, layout, fingerprint: reader.dataFingerprint.hex)
    }

    private static func collect(_ reader: CSVReader, path: String, _ layout: Layout, _ c: Columns) throws -> Rows {
        var rows = Rows()
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            let b = try rec.withField(c.bi) { f -> Int in
                let id = trimmedSpaces(f)
                if MissingMarkers.isMissing(id) {
                    throw PersonaError.data(file: path, line: rec.line, column: c.bi + 1, columnName: layout.basket, "the basket id is missing",
                                            fix: "Every row needs a basket id; remove the row or fill it in")
                }
                return rows.baskets.add(id)
            }
            guard rows.basketOf.count < Int(Int32.max) - 1 else {
                throw PersonaError.data(file: path, line: rec.line, "has more than \(Int32.max - 1) basket items", fix: "Split the file, or sample its baskets")
            }
            rows.rows += 1
            if let split = c.split {
                // Items split at the separator, spaces trimmed, empty pieces skipped.
                rec.withField(c.ii) { f in
                    var start = 0, i = 0
                    func piece(_ end: Int) {
                        let p = trimmedSpaces(UnsafeBufferPointer(rebasing: f[start..<end]))
                        if !MissingMarkers.isMissing(p) {
                            rows.basketOf.append(Int32(b)); rows.itemOf.append(Int32(rows.items.add(p)))
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
                rows.basketOf.append(Int32(b)); rows.itemOf.append(Int32(it))
            }
        }
        return rows
    }

    /// The parts' rows in file order, each part's ids renumbered into the whole
    /// file's order of first appearance.
    private static func joined(_ parts: [Rows]) -> Rows {
        var all = parts[0]
        for part in parts.dropFirst() {
            let baskets = (0..<part.baskets.distinct).map { e in Int32(part.baskets.withValue(e) { all.baskets.add($0) }) }
            let items = (0..<part.items.distinct).map { e in Int32(part.items.withValue(e) { all.items.add($0) }) }
            all.basketOf.append(contentsOf: part.basketOf.lazy.map { baskets[Int($0)] })
            all.itemOf.append(contentsOf: part.itemOf.lazy.map { items[Int($0)] })
            all.rows += part.rows
        }
        return all
    }

    /// Each basket's distinct items, ascending by name.
    private static func assemble(_ r: Rows, path: String, _ layout: Layout, fingerprint: String) throws -> Baskets {
        if r.rows == 0 {
            throw PersonaError.data(file: path, "has no baskets (a header and no rows)", fix: "Add rows of basket id and item")
        }
        let names = (0..<r.items.distinct).map(r.items.value)
        if names.isEmpty {
            throw PersonaError.data(file: path, columnName: layout.items ?? layout.item, "names no item in any basket", fix: "Check the item column and --separator")
        }
        // Items renumbered in name (byte) order.
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var rank = [Int32](repeating: 0, count: names.count)
        for (newIndex, old) in order.enumerated() { rank[old] = Int32(newIndex) }
        let sortedNames = order.map { names[$0] }
        for k in 1..<max(1, sortedNames.count) where sortedNames[k] == sortedNames[k - 1] {
            throw PersonaError.data(file: path, columnName: layout.items ?? layout.item,
                                    "two different items read as \"\(sortedNames[k])\" (invalid UTF-8, or the same characters encoded differently)",
                                    fix: "Write the items as UTF-8 in one Unicode normalisation form (NFC)")
        }
        let basketCount = r.baskets.distinct
        var indptr = [Int](repeating: 0, count: basketCount + 1)
        for b in r.basketOf { indptr[Int(b) + 1] += 1 }
        for b in 0..<basketCount { indptr[b + 1] += indptr[b] }
        var items = [Int32](repeating: 0, count: r.itemOf.count)
        var next = indptr
        for k in r.basketOf.indices {
            let b = Int(r.basketOf[k])
            items[next[b]] = rank[Int(r.itemOf[k])]; next[b] += 1
        }
        // Sort each basket and drop repeats, compacting in place.
        var write = 0
        items.withUnsafeMutableBufferPointer { p in
            for b in 0..<basketCount {
                let lo = indptr[b], hi = indptr[b + 1]
                indptr[b] = write
                if hi - lo > 1 { var part = UnsafeMutableBufferPointer(rebasing: p[lo..<hi]); part.sort() }
                var last: Int32 = -1
                for k in lo..<hi where p[k] != last { p[write] = p[k]; last = p[k]; write += 1 }
            }
            indptr[basketCount] = write
        }
        items.removeLast(items.count - write)
        return Baskets(basketIds: (0..<basketCount).map(r.baskets.value), itemNames: sortedNames, indptr: indptr, items: items,
                       rows: r.rows, fingerprint: fingerprint)
    }
}
