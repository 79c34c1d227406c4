// swift-tools-version:6.0
// Warden: a Raft-replicated control plane that governs AI agents.
// No package dependencies by design: Foundation, Dispatch, the toolchain's test
// libraries, and the system C libraries SQLite 3 and OpenSSL 3.
import PackageDescription

let package = Package(
    name: "Warden",
    products: [
        .executable(name: "warden", targets: ["warden"]),
    ],
    targets: [
        // MARK: - System C code, wrapped once
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "COpenSSL",
            linkerSettings: [.linkedLibrary("crypto"), .linkedLibrary("ssl")]
        ),
        .systemLibrary(name: "CLinuxIO"),

        // MARK: - Pure core (no clock, no system randomness, no threads, no I/O)
        .target(name: "Raft"),
        .target(name: "JSON"),
        .target(name: "Checksum"),
        .target(name: "Authorization", dependencies: ["JSON"]),
        .target(name: "Governance", dependencies: ["Authorization", "Crypto", "Checksum"]),

        // MARK: - Libraries over the system
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "Tokens", dependencies: ["Governance", "Crypto", "JSON"]),
        .target(name: "HTTP", dependencies: ["CLinuxIO"]),
        .target(name: "Storage", dependencies: ["CSQLite", "Raft", "Checksum"]),

        // MARK: - Replica: Raft + Governance + request bookkeeping, still pure
        .target(name: "Replica", dependencies: ["Raft", "Governance", "Authorization"]),

        // MARK: - The production shell: Replica + Storage + HTTP + routes
        .target(
            name: "Server",
            dependencies: ["Replica", "Raft", "Governance", "Authorization", "Tokens", "Crypto", "JSON", "Storage", "HTTP"]
        ),

        // MARK: - The edge: feed subscriber, local decisions, authorizing proxy
        .target(name: "Enforcer", dependencies: ["HTTP", "Tokens", "Governance", "Authorization", "JSON", "Crypto", "Server", "Replica"], exclude: ["README.md"]),

        // MARK: - The deterministic chaos simulator (one thread, virtual time, one seed)
        .target(name: "Simulator", dependencies: ["Replica", "Raft", "Governance", "Authorization"]),

        // MARK: - The one executable
        .executableTarget(
            name: "warden",
            dependencies: [
                "Raft", "JSON", "Checksum", "Storage", "Authorization", "Governance", "Crypto", "Tokens",
                "Replica", "Simulator", "Server", "HTTP", "Enforcer",
            ]
        ),

        // MARK: - Tests
        .testTarget(name: "PlatformTests", dependencies: ["CSQLite", "CLinuxIO", "COpenSSL"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "AuthorizationTests", dependencies: ["Authorization"]),
        .testTarget(name: "GovernanceTests", dependencies: ["Governance", "Authorization", "Crypto", "Checksum"]),
        .testTarget(name: "TokensTests", dependencies: ["Tokens", "Governance", "Crypto", "JSON"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Raft", "Replica"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Raft", "Checksum"]),
        .testTarget(name: "ReplicaTests", dependencies: ["Replica", "Raft", "Governance", "Authorization"]),
        .testTarget(name: "EnforcerTests", dependencies: ["Enforcer", "Governance", "Tokens", "HTTP", "JSON", "Crypto", "Server", "Replica"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Replica", "Governance", "Tokens", "HTTP", "JSON", "Storage"]),
    ]
)
