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
