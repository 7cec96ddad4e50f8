// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        .library(name: "Argon2", targets: ["Argon2"]),
        .executable(name: "argon2-bench", targets: ["argon2-bench"]),
        .library(name: "QRCode", targets: ["QRCode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.0"),
        // OTLP over HTTP only: the gRPC exporter (and its build) is not needed.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // Settings: flags, the environment and a JSON config file through one reader (already built for
        // AsyncHTTPClient; the JSON trait adds its JSON file snapshot).
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.0.0", traits: ["JSON"]),
        // Tests only: the OpenAPI document is read with a real YAML parser.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Text as real files: a target's Embedded/ folder (excluded from its sources) becomes `enum EmbeddedText`, one
        // raw string literal per file, generated at build time, so the one binary carries it (no resource bundle).
        .plugin(name: "EmbedText", capability: .buildTool(), dependencies: ["embed-text"]),
        .executableTarget(name: "embed-text"),
        // Every target lists exactly the modules it imports (no more: an unused dependency still costs build time;
        // no fewer: a module reached only through another target's dependency breaks when that one changes).
        //
        // Standalone building blocks: standard library (and Foundation where noted) only.
        // Constant-time comparison and HTML escaping, the one copy every module uses: standard library only.
        .target(name: "GatehouseBasics", swiftSettings: strict),
        .target(
            name: "Argon2", dependencies: ["Argon2Kernels", "GatehouseBasics"],
            swiftSettings: strict + [.unsafeFlags(["-Ounchecked"])]),
        // Argon2's block function in C with AVX2 / AVX-512F intrinsics, per-function target attributes (no -march),
        // chosen at run time by CPUID. Optimised in debug builds too, so tests of the vector kernels stay fast.
        .target(name: "Argon2Kernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "QRCode", swiftSettings: strict),
        .target(
            name: "PasswordCheck", exclude: ["Resources", "Embedded"], swiftSettings: strict, plugins: ["EmbedText"]),
        .target(
            name: "SMTPClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Every setting of `gatehouse serve` and `gatehouse media`, read through one swift-configuration reader: the
        // flag, then the GATEHOUSE_* environment variable, then the JSON config file.
        .target(
            name: "GatehouseSettings",
            dependencies: [.product(name: "Configuration", package: "swift-configuration")],
            swiftSettings: strict
        ),
        // Signed releases: manifests, release keys and their rotation, versions and ranges (hub and media server).
        .target(
            name: "GatehouseReleases",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // What the hub and the media server say to each other: media token claims, the published key set, the
        // revocation stream, claim and heartbeat bodies, the content-rating scale. Foundation only, so the media
        // server does not build the hub's domains (or the password word lists) to read them.
        .target(name: "GatehouseWire", swiftSettings: strict),
        // DPoP proof verification (RFC 9449): the hub and the media server both verify proofs. swift-crypto only.
        .target(
            name: "GatehouseDPoP",
            dependencies: ["GatehouseBasics", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // WebAuthn relying-party verification (CBOR, COSE keys, attestation, assertions); swift-crypto only, no hub knowledge.
        .target(
            name: "WebAuthn",
            dependencies: [
                "GatehouseBasics",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Domains: models, services and store protocols.
        .target(
            name: "GatehouseCore",
            dependencies: [
                "Argon2", "PasswordCheck", "GatehouseBasics", "GatehouseDPoP", "GatehouseReleases", "GatehouseWire",
                "WebAuthn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // One SQL store on SQLKit for SQLite and PostgreSQL.
        .target(
            name: "GatehouseStore",
            dependencies: [
                "GatehouseCore", "GatehouseReleases", "GatehouseWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                // (VaporCSQLite, imported under `#if canImport` for the online backup API, is sqlite-nio's C module:
                // not a product, it comes with SQLiteKit.)
            ],
            swiftSettings: strict
        ),
        // TLS on our own listeners (hub and media server): a certificate reloaded on SIGHUP, on NIOSSL.
        .target(
            name: "GatehouseTLS",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The hub: HTTP API, pages, background services, composition root.
        .target(
            name: "GatehouseHub",
            dependencies: [
                "GatehouseCore", "GatehouseStore", "GatehouseReleases", "GatehouseWire", "GatehouseBasics",
                "SMTPClient",
                "QRCode", "Argon2", "PasswordCheck", "WebAuthn",
                .product(name: "Crypto", package: "swift-crypto"),
                "GatehouseTLS", "GatehouseSettings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Embedded"],
            swiftSettings: strict,
            plugins: ["EmbedText"]
        ),
        // The media server: it shares only the wire types with the hub, never the hub's domains.
        .target(
            name: "GatehouseMedia",
            dependencies: [
                "GatehouseReleases", "GatehouseWire", "GatehouseBasics", "GatehouseDPoP", "GatehouseTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "Argon2", "GatehouseCore", "GatehouseStore", "GatehouseHub", "GatehouseMedia", "GatehouseReleases",
                "GatehouseSettings", "GatehouseTLS", "PasswordCheck",
                "QRCode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The SMTP benchmark's driver (Benchmarks/smtp_bench.py runs it).
        .executableTarget(name: "smtp-bench", dependencies: ["SMTPClient"], path: "Benchmarks/smtp_bench"),
        // Drives the WebAuthn module from JSON lines on stdin (e2e/test_webauthn_oracle.py) and benchmarks it.
        .executableTarget(
            name: "webauthn-verify",
            dependencies: ["WebAuthn", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The Argon2 benchmark's driver (Benchmarks/argon2_bench.py runs it): depends on Argon2 alone.
        .executableTarget(
            name: "argon2-bench", dependencies: ["Argon2"], path: "Benchmarks/argon2_bench", swiftSettings: strict),
        .testTarget(name: "GatehouseBasicsTests", dependencies: ["GatehouseBasics"]),
        .testTarget(name: "GatehouseWireTests", dependencies: ["GatehouseWire"]),
        .testTarget(name: "GatehouseSettingsTests", dependencies: ["GatehouseSettings"]),
        .testTarget(name: "Argon2Tests", dependencies: ["Argon2"]),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"]),
        .testTarget(name: "GatehouseReleasesTests", dependencies: ["GatehouseReleases"]),
        .testTarget(name: "PasswordCheckTests", dependencies: ["PasswordCheck"]),
        .testTarget(
            name: "SMTPClientTests", dependencies: ["SMTPClient", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "GatehouseTLSTests", dependencies: ["GatehouseTLS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: ["GatehouseCore", "Argon2", "PasswordCheck", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "WebAuthnTests",
            dependencies: [
                "WebAuthn", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GatehouseStoreTests",
            dependencies: [
                "GatehouseStore", "GatehouseCore", "GatehouseReleases", .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"), .product(name: "SQLiteKit", package: "sqlite-kit"),
            ]
        ),
        .testTarget(
            name: "GatehouseMediaTests",
            dependencies: [
                "GatehouseMedia", "GatehouseReleases", "GatehouseWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GatehouseHubTests",
            dependencies: [
                "GatehouseHub", "GatehouseCore", "GatehouseStore", "GatehouseWire", "Argon2", "WebAuthn",
                "PasswordCheck", "GatehouseSettings", "SMTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)
