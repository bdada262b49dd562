import Foundation
import PersonaCore

/// libFuzzer entry: arbitrary bytes as a CSV file, profiled and read record by record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = NSTemporaryDirectory() + "persona-fuzz-csv-\(getpid()).csv"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    defer { unlink(path) }
    _ = try? Profiler.profile(path: path)
    if let reader = try? CSVReader(path: path) {
        var rec = CSVRecord()
        while (try? reader.next(into: &rec)) == true {}
    }
    _ = try? TrainingSet.read(path: path)
    return 0
}
