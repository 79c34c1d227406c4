/// A state-machine image at a log index, replacing every entry up to that index.
public struct Snapshot: Sendable, Hashable {
    /// Where a snapshot sits in the log and which configuration was in force there.
    public struct Metadata: Sendable, Hashable {
        /// The index of the last entry the snapshot covers.
        public var index: UInt64
        /// The term of that entry.
        public var term: UInt64
        /// The configuration committed at `index`.
        public var configuration: ClusterConfiguration

        /// Creates snapshot metadata.
        public init(index: UInt64, term: UInt64, configuration: ClusterConfiguration) {
            self.index = index
            self.term = term
            self.configuration = configuration
        }
    }

    /// Position and configuration.
    public var metadata: Metadata
    /// The application's serialized state machine.
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(metadata: Metadata, data: [UInt8] = []) {
        self.metadata = metadata
        self.data = data
    }

    /// The empty snapshot every log starts from: index 0 with the initial configuration.
    public static func initial(_ configuration: ClusterConfiguration) -> Snapshot {
        Snapshot(metadata: Metadata(index: 0, term: 0, configuration: configuration))
    }
}
