import Foundation
import PersonaCore

/// libFuzzer entry: arbitrary bytes after a gzip or a zstd magic number (the
/// first input byte chooses which), decompressed as an input would be.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let magic: [UInt8] = data[0] & 1 == 0 ? [0x1F, 0x8B] : [0x28, 0xB5, 0x2F, 0xFD]
    var bytes = Data(magic)
    bytes.append(Data(bytes: data + 1, count: size - 1))
    let path = NSTemporaryDirectory() + "persona-fuzz-\(getpid()).csv.z"
    FileManager.default.createFile(atPath: path, contents: bytes)
    defer { unlink(path); Inputs.removeTemporaries() }
    _ = try? Inputs.resolve(path)
    return 0
}

// SwiftPM links an executable's entry point under the name FuzzDecompress_main; built
// -parse-as-library for libFuzzer, that entry point hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzDecompress_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
