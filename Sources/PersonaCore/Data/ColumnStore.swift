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
        guard let (values, codes) = labelCodes() else { return nil }
        return codes.map { $0 >= 0 ? values[Int($0)] : nil }
    }

    /// The same as each distinct label once and, per row, its index among them
    /// (-1 when missing), so that callers need not hash a label per row.
    func labelCodes() -> (values: [String], codes: [Int32])? {
        if let floats {
            // A number's label is made once per distinct value: the last few
            // values seen are compared before the dictionary is asked.
            var values: [String] = []
            var byBits: [UInt32: Int32] = [:], byText: [String: Int32] = [:]
            var recentBits: [UInt32] = [], recentCodes: [Int32] = []
            let codes = floats.map { v -> Int32 in
                if v.isNaN { return -1 }
                let bits = v.bitPattern
                for (k, b) in recentBits.enumerated() where b == bits { return recentCodes[k] }
                let code: Int32
                if let c = byBits[bits] {
                    code = c
                } else {
                    let d = Double(v)
                    let text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
                    if let c = byText[text] { code = c } else {
                        code = Int32(values.count); values.append(text); byText[text] = code
                    }
                    byBits[bits] = code
                }
                if recentBits.count < 4 { recentBits.append(bits); recentCodes.append(code) }
                return code
            }
            return (values, codes)
        }
        if let codes {
            let values = (0..<counter.distinct).map { counter.value($0) }
            return (values, codes.map { $0 >= 0 ? $0 : -1 })
        }
        return nil
    }
}
