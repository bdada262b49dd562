/// Every column's values as read by the profiling pass, so training reads the
/// file once. A numeric column keeps Float32 numbers (NaN when missing); a text
/// column keeps, per row, the index of its value in the column's counter (-1
/// missing, -2 a value beyond the distinct cap). A column that could not be
/// kept whole (text appearing late in a long numeric column) has neither, and
/// training then reads the file a second time.
struct ColumnStore {
    struct Column {
        var floats: [Float]?
        var codes: [Int32]?
        var counter: ByteCounter
    }
    var rows: Int
    var columns: [Column]
}

extension ColumnStore.Column {
    /// The column's values as labels (nil when missing; whole numbers without a
    /// fraction, "1" not "1.0"), or nil when the column was not kept whole.
    func labels() -> [String?]? {
        if let floats {
            return floats.map { v -> String? in
                if v.isNaN { return nil }
                let d = Double(v)
                return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            }
        }
        if let codes {
            let values = (0..<counter.distinct).map { counter.value($0) }
            return codes.map { $0 >= 0 ? values[Int($0)] : nil }
        }
        return nil
    }
}
