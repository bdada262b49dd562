// swift-tools-version:5.10
import Foundation
import PackageDescription

/// `make fuzz` builds every target with libFuzzer's own main; the layer check's
/// tool, which has a main of its own, is left out of those builds.
let fuzzing = ProcessInfo.processInfo.environment["PERSONA_FUZZ"] != nil

let package = Package(
    name: "Persona",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "persona", targets: ["persona"]),
        .library(name: "PersonaCore", targets: ["PersonaCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // Kernels that need a processor's own instructions, chosen at run time.
        .target(name: "CPersonaKernels"),
        .target(
            name: "PersonaCore",
            dependencies: ["COpenBLAS", "CZlib", "CZstd", "CSnappy", "CPersonaKernels",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Yams", package: "Yams")],
            // Release builds keep every bounds, overflow and precondition check
            // (no -Ounchecked). Only the run-time exclusivity checks of class
            // properties are left to the compiler's static ones: in the scoring
            // loop they cost a tenth of the time (bench/RESULTS.md, One build
            // against another).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))],
            plugins: fuzzing ? [] : ["LayerCheck"]
        ),
        // The layer rule of docs/ARCHITECTURE.md, checked on every build of
        // PersonaCore: a file naming a type of a layer above its own fails it.
        .executableTarget(name: "persona-layers"),
        .plugin(name: "LayerCheck", capability: .buildTool(), dependencies: ["persona-layers"]),
        .executableTarget(
            name: "persona",
            dependencies: [
                "PersonaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "PersonaCoreTests",
            dependencies: ["PersonaCore"],
            resources: [.copy("Golden"), .copy("Fixtures")]
        ),
        .testTarget(
            name: "PersonaCLITests",
            dependencies: ["PersonaCore"]
        ),
    ]
)

// libFuzzer targets, built only for `make fuzz` (PERSONA_FUZZ=1, with
// -sanitize=fuzzer,address and -parse-as-library): each defines
// LLVMFuzzerTestOneInput over one reader that takes untrusted bytes.
if fuzzing {
    for name in ["FuzzCSV", "FuzzParquet", "FuzzDecompress", "FuzzModelFile", "FuzzExperiment"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["PersonaCore"], path: "Fuzz/" + name))
    }
}
