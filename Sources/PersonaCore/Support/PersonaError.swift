/// An error a user can act on: what went wrong, where, and what to do about it.
/// The CLI prints `message` and exits with code 1; nothing here is a crash.
public struct PersonaError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// A problem at a place in a data file. `line` is the 1-based physical line
    /// (the header is line 1); `column` is 1-based and named when known.
    public static func data(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil,
                            _ what: String, fix: String? = nil) -> PersonaError {
        var place = file
        if let line { place += ", line \(line)" }
        if let column {
            place += ", column \(column)"
            if let columnName { place += " (\"\(columnName)\")" }
        } else if let columnName {
            place += ", column \"\(columnName)\""
        }
        var text = "\(place): \(what)"
        if let fix { text += ". \(fix)" }
        return PersonaError(text)
    }
}
