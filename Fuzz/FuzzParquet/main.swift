import Foundation
import PersonaCore

/// libFuzzer entry: arbitrary bytes as a Parquet file, converted and profiled.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = NSTemporaryDirectory() + "persona-fuzz-\(getpid()).parquet"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    defer { unlink(path); Inputs.removeTemporaries() }
    if let csv = try? Inputs.resolve(path) { _ = try? Profiler.profile(path: csv) }
    return 0
}
