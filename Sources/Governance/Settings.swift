// MARK: - Settings

/// Cluster-wide settings (API.md `/v1/settings`).
public struct Settings: Sendable, Hashable {
    /// A risk score at or above this kills the agent.
    public var riskThreshold: Double
    /// Points the risk score loses per hour of entry-timestamp time.
    public var riskDecayPerHour: Double
    /// How long an enforcer may decide without a fresh heartbeat.
    public var enforcerLeaseMilliseconds: Int64
    /// The global cap on any token's lifetime.
    public var tokenTTLSeconds: Int64

    /// Settings with the given values; the defaults are the documented ones.
    public init(
        riskThreshold: Double = 100, riskDecayPerHour: Double = 10,
        enforcerLeaseMilliseconds: Int64 = 500, tokenTTLSeconds: Int64 = 900
    ) {
        self.riskThreshold = riskThreshold
        self.riskDecayPerHour = riskDecayPerHour
        self.enforcerLeaseMilliseconds = enforcerLeaseMilliseconds
        self.tokenTTLSeconds = tokenTTLSeconds
    }

    /// The settings a fresh cluster starts with.
    public static let defaults = Settings()
}

extension Settings {
    func write(into writer: inout ByteWriter) {
        writer.double(riskThreshold)
        writer.double(riskDecayPerHour)
        writer.signed(enforcerLeaseMilliseconds)
        writer.signed(tokenTTLSeconds)
    }

    static func read(_ reader: inout ByteReader) throws(CommandDecodingError) -> Settings {
        Settings(
            riskThreshold: try reader.double(), riskDecayPerHour: try reader.double(),
            enforcerLeaseMilliseconds: try reader.signed(), tokenTTLSeconds: try reader.signed())
    }
}
