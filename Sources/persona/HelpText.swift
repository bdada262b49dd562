import Foundation

/// `--help` laid out for the width it is shown in. The help is rendered
/// unwrapped first; then prose paragraphs are wrapped at the width (their
/// lines joined first, so the source text may be wrapped anywhere), an option's
/// or a table's description wraps under its own column, and example commands
/// and the usage line are printed whole, never split across lines, so that
/// they can be copied.
enum HelpText {
    /// The width to lay help out in: the terminal's, `COLUMNS`, or 80.
    static var width: Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c >= 40 { return c }
        return 80
    }

    /// Whether a line is an example command (or a shell line), printed whole.
    static func isExample(_ line: String) -> Bool {
        let t = line.drop { $0 == " " }
        return line.hasPrefix("  ") && ["persona ", "$ ", "| ", "duckdb ", "python", "spark-submit ", "curl "].contains { t.hasPrefix($0) }
    }

    /// A line that stands alone: a heading, the overview or the usage line.
    static func standsAlone(_ line: String) -> Bool {
        line.hasPrefix("OVERVIEW:") || line.hasPrefix("USAGE:") || line.hasPrefix("SUBCOMMANDS") || line.hasPrefix("OPTIONS")
            || line.hasSuffix(":") && line.count <= 40 && descriptionColumn(line) == nil
    }

    /// A label, two spaces or more, then a description: the column the description starts at.
    static func descriptionColumn(_ line: String) -> Int? {
        let chars = Array(line)
        let indent = chars.prefix { $0 == " " }.count
        var k = indent
        while k + 1 < chars.count && !(chars[k] == " " && chars[k + 1] == " ") { k += 1 }
        guard k + 1 < chars.count, k > indent, k - indent <= 40 else { return nil }
        var end = k
        while end < chars.count && chars[end] == " " { end += 1 }
        return end < chars.count ? end : nil
    }

    static func layout(_ text: String, width: Int) -> String {
        var out: [String] = []
        // The block being gathered: its first line's head (indent or label), the
        // column its text wraps at, and its text.
        var block: (head: String, column: Int, text: String)? = nil
        func flush() {
            guard let b = block else { return }
            let lines = wrap(b.text, width: max(20, width - b.column))
            out.append(b.head + lines[0])
            let pad = String(repeating: " ", count: b.column)
            for l in lines.dropFirst() { out.append(pad + l) }
            block = nil
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let indent = line.prefix { $0 == " " }.count
            let body = String(line.dropFirst(indent))
            if body.isEmpty || isExample(line) || standsAlone(line) {
                flush()
                // The usage line, like an example, stays whole.
                if line.hasPrefix("OVERVIEW:") && line.count > width {
                    out += wrap(line, width: width)
                } else {
                    out.append(line)
                }
                continue
            }
            // A line at the column the block wraps at continues it.
            // A line at the column a block wraps at continues it: an entry's
            // description, or a paragraph's next line (unless it is an entry of its own).
            if let b = block, indent == b.column {
                let isEntry = b.head.count > b.column || b.head.contains { $0 != " " }
                if isEntry || descriptionColumn(line) == nil {
                    block!.text = b.text + " " + body
                    continue
                }
            }
            flush()
            if let column = descriptionColumn(line), column < width - 20 {
                let head = String(line.prefix(column))
                block = (head, column, String(line.dropFirst(column)))
            } else {
                block = (String(repeating: " ", count: indent), indent, body)
            }
        }
        flush()
        return out.joined(separator: "\n")
    }

    /// Words into lines of at most `width` characters (a longer word keeps its own line).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if current.isEmpty { current = String(word) }
            else if current.count + 1 + word.count <= width { current += " " + word }
            else { lines.append(current); current = String(word) }
        }
        lines.append(current)
        return lines
    }
}
