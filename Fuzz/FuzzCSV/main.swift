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

// SwiftPM links an executable's entry point under the name FuzzCSV_main; built
// -parse-as-library for libFuzzer, that entry point hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzCSV_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
