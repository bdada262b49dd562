import Foundation

/// How far the reading of an input file has got, for a live progress line.
/// Every file reader reports the bytes and lines it takes in as it fills its
/// buffer (parallel readers of one file add up); a file read again (a second
/// pass) starts a new pass. The CLI installs `observer`; without one, reporting
/// costs a lock and an addition per megabyte read.
public final class ReadProgress: @unchecked Sendable {
    public struct Snapshot: Sendable {
        public let path: String
        /// What is being done: "reading", or "converting" (Parquet to CSV).
        public let action: String
        public let pass: Int
        /// Of the file's bytes, in this pass.
        public let fraction: Double
        public let rows: Int
        public let rowsPerSecond: Double
        public let secondsLeft: Double?
    }

    public static let shared = ReadProgress()

    private let lock = NSLock()
    private var observer: (@Sendable (Snapshot?) -> Void)?
    /// Whether this pass has taken in the whole file (the line is then taken down).
    private var passEnded = false
    private var path = ""
    private var action = "reading"
    private var size = 0
    private var pass = 1
    private var passStart = Date()
    private var passBytes = 0
    private var passRows = 0
    private var firstSeen = Date()
    private var lastReport = Date.distantPast
    /// Silence before the first line, and time between lines.
    public var delay: TimeInterval = 1.0
    public var interval: TimeInterval = 0.2

    /// Installs (or, with nil, removes) the function that shows a snapshot, or
    /// takes the line down when given nil (a pass has read the whole file).
    public func observe(_ f: (@Sendable (Snapshot?) -> Void)?) {
        lock.lock(); observer = f; lock.unlock()
    }

    /// Counts `bytes` more of the file at `p` and `lines` more lines. With
    /// `total`, the amount is counted against it instead of the file's size
    /// (a conversion counts rows against the data set's rows).
    func add(path p: String, bytes n: Int, lines: Int, total: Int? = nil, action a: String = "reading") {
        lock.lock()
        defer { lock.unlock() }
        guard let observer else { return }
        let now = Date()
        if p != path || a != action {
            var st = stat()
            path = p
            action = a
            size = total ?? (stat(p, &st) == 0 ? Int(st.st_size) : 0)
            pass = 1; passBytes = 0; passRows = 0; passEnded = false
            passStart = now; firstSeen = now; lastReport = .distantPast
        }
        if size > 0 && passBytes + n > size + (2 << 20) {
            // the file is being read again from the start (a reader of the header
            // line alone takes in up to one buffer of a megabyte, which is not a pass)
            pass += 1; passBytes = 0; passRows = 0; passStart = now; passEnded = false
        }
        passBytes += n; passRows += lines
        if passEnded { return }
        if size > 0 && passBytes >= size {
            // every byte is in: what is left is parsing the last buffers, so the line
            // goes now, before the command prints its results
            passEnded = true
            observer(nil)
            return
        }
        guard size > 0, now.timeIntervalSince(firstSeen) >= delay, now.timeIntervalSince(lastReport) >= interval else { return }
        lastReport = now
        let elapsed = max(now.timeIntervalSince(passStart), 1e-3)
        let fraction = min(1, Double(passBytes) / Double(size))
        let rate = Double(passBytes) / elapsed
        observer(Snapshot(path: path, action: action, pass: pass, fraction: fraction, rows: passRows, rowsPerSecond: Double(passRows) / elapsed,
                          secondsLeft: rate > 0 && elapsed > 0.3 ? Double(size - passBytes) / rate : nil))
    }
}

/// Progress messages go through this; the CLI prints them to stderr (or not, with --quiet).
public typealias ProgressHandler = (String) -> Void
