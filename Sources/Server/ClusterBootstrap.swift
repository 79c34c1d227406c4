import Crypto
import Foundation
import Governance

// MARK: - `warden init`

/// Creates a new cluster's configuration: a cluster id, a random cluster secret, one config file
/// per node (`DIR/node-N/warden.conf`, mode 0600 since it holds the secret) listing every node's
/// address, and the first admin API key, whose hash goes into every node's config so that the
/// first leader creates it. The plaintext key is returned once and stored nowhere else.
public enum ClusterBootstrap {
    /// Nodes one `init` creates at most.
    public static let maximumNodes = 9
    /// Cluster secret length in bytes.
    public static let secretBytes = 32

    /// What `initialize` produced.
    public struct Result: Sendable {
        /// The cluster id (hex).
        public var clusterID: String
        /// Each node's config file, by node id order.
        public var configurationPaths: [String]
        /// Each node's HTTP address, in node id order.
        public var addresses: [PeerAddress]
        /// The first admin key: show it once.
        public var adminKey: String
    }

    /// Writes the configuration of a `nodeCount`-node cluster on `host`, ports `portBase+1…`.
    public static func initialize(
        dataDirectory: String, nodeCount: Int, host: String, portBase: Int, httpThreads: Int = 2
    ) throws(NodeConfigurationError) -> Result {
        guard (1...maximumNodes).contains(nodeCount) else { throw NodeConfigurationError("--nodes must be 1 to \(maximumNodes)") }
        guard portBase > 0, portBase + nodeCount <= 65535 else { throw NodeConfigurationError("--port-base leaves no room for \(nodeCount) ports") }
        let addresses = (1...nodeCount).map { PeerAddress(host: host, port: portBase + $0) }
        return try initialize(dataDirectory: dataDirectory, addresses: addresses, httpThreads: httpThreads)
    }

    /// Writes the configuration of a cluster whose node `i + 1` listens at `addresses[i]`.
    public static func initialize(
        dataDirectory: String, addresses: [PeerAddress], httpThreads: Int = 2
    ) throws(NodeConfigurationError) -> Result {
        let nodeCount = addresses.count
        guard (1...maximumNodes).contains(nodeCount) else { throw NodeConfigurationError("a cluster has 1 to \(maximumNodes) nodes") }
        let root = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        let firstConfig = root + "/node-1/warden.conf"
        guard !FileManager.default.fileExists(atPath: firstConfig) else {
            throw NodeConfigurationError("\(firstConfig) exists: this directory already holds a cluster (start it with `warden serve --config`)")
        }
        let clusterID = NodeConfiguration.hex(SecureRandom.bytes(count: 8))
        let secret = NodeConfiguration.hex(SecureRandom.bytes(count: secretBytes))
        let (key, plaintext) = APIKeys.generate(name: "initial-admin", role: .admin, randomBytes: { SecureRandom.bytes(count: $0) })
        let peers = addresses.enumerated().map { "\($0.offset + 1)=\($0.element)" }.joined(separator: ",")
        var paths: [String] = []
        for id in 1...nodeCount {
            let directory = root + "/node-\(id)"
            let text = """
                # Warden node \(id) of cluster \(clusterID), written by `warden init`. Keys: see Cluster/README.md.
                id = \(id)
                cluster_id = \(clusterID)
                listen = \(addresses[id - 1])
                data = \(directory)
                peers = \(peers)
                members = \((1...nodeCount).map(String.init).joined(separator: ","))
                cluster_secret = \(secret)
                issuer = warden-\(clusterID)
                bootstrap_admin_key = \(key.id):\(NodeConfiguration.hex(key.keyHash))
                http_threads = \(httpThreads)

                """
            try writePrivateFile(directory: directory, path: directory + "/warden.conf", text: text)
            paths.append(directory + "/warden.conf")
        }
        return Result(clusterID: clusterID, configurationPaths: paths, addresses: addresses, adminKey: plaintext)
    }

    /// Writes `text` to a new file readable by its owner only.
    public static func writePrivateFile(directory: String, path: String, text: String) throws(NodeConfigurationError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw NodeConfigurationError("cannot create \(directory): \(error)")
        }
        let created = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw NodeConfigurationError("cannot write \(path)") }
    }
}
