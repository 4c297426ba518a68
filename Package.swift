// swift-tools-version: 6.0
import PackageDescription

/// The product's own modules are optimized in debug builds too: a plain `swift test` starts the
/// debug binary ~280 times and runs in-process simulators, and unoptimized it took twice the test
/// time (29 s against 15 s for `swift test --skip Stress` on 2 cores). `scripts/test` (the README's
/// test command) builds everything with `-O` in `.build-test` and tests the release binary.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "kapsoctl",
    // Built and tested on Linux; on macOS, Synchronization.Mutex needs macOS 15.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kapsoctl", targets: ["kapsoctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // Debian's libyaml through pkg-config; no vendored copy.
        .systemLibrary(
            name: "CYaml",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Debian's libcurl through pkg-config: the HTTP transport (which honours SSL_CERT_FILE,
        // HTTPS_PROXY and NO_PROXY, and tells a certificate failure from a dropped connection).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "KapsoKit",
            dependencies: ["CYaml", "CCurl"],
            swiftSettings: optimizedInDebug
        ),
        // The Kapso-compatible HTTP server used by tests, the demo and local dry runs.
        .target(
            name: "KapsoSimulator",
            dependencies: [
                "KapsoKit",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            swiftSettings: optimizedInDebug
        ),
        .target(
            name: "KapsoCLI",
            dependencies: [
                "KapsoKit",
                "KapsoSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimizedInDebug
        ),
        .executableTarget(
            name: "kapsoctl",
            dependencies: ["KapsoCLI"],
            swiftSettings: optimizedInDebug
        ),
        // `swift run -c release kapsoctl-bench`: figures as ratios against a floor of the same run.
        .executableTarget(
            name: "kapsoctl-bench",
            dependencies: ["KapsoKit", "KapsoSimulator", "kapsoctl", "kapsoctl-yaml-floor"],
            path: "Benchmarks/kapsoctl-bench"
        ),
        // The spec-loading floor: libyaml's bare event loop, in C, as a process of its own.
        .executableTarget(
            name: "kapsoctl-yaml-floor",
            dependencies: ["CYaml"],
            path: "Benchmarks/yaml-floor"
        ),
        // Helpers shared by the test targets (golden files).
        .target(
            name: "TestSupport",
            dependencies: ["KapsoSimulator"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "KapsoKitTests",
            dependencies: ["KapsoKit", "KapsoSimulator", "TestSupport", .product(name: "FlyingFox", package: "FlyingFox")],
            exclude: ["Golden", "Fixtures"]
        ),
        .testTarget(
            name: "KapsoSimulatorTests",
            dependencies: ["KapsoSimulator", "KapsoKit", "TestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            // Depending on the executable makes `swift test` build it next to the test bundle.
            dependencies: ["kapsoctl", "KapsoKit", "KapsoSimulator", "TestSupport"],
            exclude: ["Golden", "Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
