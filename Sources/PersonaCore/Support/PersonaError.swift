/// An error a user can act on: what went wrong, where, and what to do about it.
/// The CLI prints `message` and exits with code 1; nothing here is a crash.
public struct PersonaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// For a problem in a data row: the message without the file and line
    /// (the column, what was wrong, what to do), for reject files that give
    /// the line in a column of their own.
    public private(set) var rowReason: String? = nil

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// A problem at a place in a data file. `line` is the 1-based physical line
    /// (the header is line 1); `column` is 1-based and named when known.
    public static func data(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil,
                            _ what: String, fix: String? = nil) -> PersonaError {
        var place = file
        if let line { place += ", line \(line)" }
        var cell = ""
        if let column {
            cell = "column \(column)"
            if let columnName { cell += " (\"\(columnName)\")" }
        } else if let columnName {
            cell = "column \"\(columnName)\""
        }
        var body = what
        if let fix { body += ". \(fix)" }
        var error = PersonaError(place + (cell.isEmpty ? "" : ", " + cell) + ": " + body)
        error.rowReason = cell.isEmpty ? body : cell + ": " + body
        return error
    }
}
