import Crypto
import JSON

/// Why a key-ring change was refused.
public enum KeyRingError: Error, Sendable, Equatable {
    /// The key id is already in the ring with a different key or owner.
    case keyIDConflict
    /// No key with that id.
    case unknownKey
    /// The ring already holds `TokenLimits.maximumKeyCount` keys.
    case full
    /// A serialized ring could not be read.
    case malformed
}

/// The public signing keys of the cluster: part of the replicated state, so every node and enforcer
/// verifies tokens signed by any node. A value type with no clock inside: times come from the
/// command that changes it.
///
/// ## Rotation
///
/// Each node signs with its own key. `rotate` adds the node's new key and retires its previous
/// ones at `nowSeconds`. A retired key still verifies tokens issued (`iat`) up to its retirement
/// (plus the leeway), for as long as such a token can live; `removeExpiredKeys` then drops it.
/// Unknown `kid`s are refused.
public struct KeyRing: Sendable, Hashable {
    /// One public key and its life.
    public struct Entry: Sendable, Hashable {
        /// The key id (RFC 7638 thumbprint).
        public let keyID: String
        /// The public key.
        public let publicKey: Ed25519.PublicKey
        /// The node whose private key this is.
        public let nodeID: String
        /// When the key entered the ring, in seconds since the Unix epoch.
        public let addedAtSeconds: Int64
        /// When the key stopped signing; nil while active.
        public var retiredAtSeconds: Int64?

        /// Whether a token issued at `issuedAt` may be verified with this key at `nowSeconds`.
        public func accepts(issuedAt: Int64, nowSeconds: Int64) -> Bool {
            guard let retiredAt = retiredAtSeconds else { return true }
            let leeway = TokenLimits.clockLeewaySeconds
            let lastUse = retiredAt &+ TokenLimits.maximumTokenLifetimeSeconds &+ leeway
            return issuedAt <= retiredAt &+ leeway && nowSeconds <= lastUse
        }
    }

    /// Entries by key id.
    public private(set) var entries: [String: Entry] = [:]

    /// An empty ring.
    public init() {}

    /// The entry for `keyID`, if present.
    public func entry(forKeyID keyID: String) -> Entry? { entries[keyID] }

    /// The key a node currently signs with (its newest unretired key).
    public func activeKeyID(forNodeID nodeID: String) -> String? {
        entries.values.filter { $0.nodeID == nodeID && $0.retiredAtSeconds == nil }
            .max { ($0.addedAtSeconds, $0.keyID) < ($1.addedAtSeconds, $1.keyID) }?.keyID
    }

    // MARK: - Changes

    /// Adds a node's public key under its thumbprint and returns the key id. Adding the same key
    /// for the same node again changes nothing (a replayed command is harmless).
    @discardableResult
    public mutating func add(publicKey: Ed25519.PublicKey, nodeID: String, nowSeconds: Int64) throws(KeyRingError) -> String {
        let keyID = JSONWebKey.thumbprint(of: publicKey)
        if let existing = entries[keyID] {
            guard existing.nodeID == nodeID else { throw .keyIDConflict }
            return keyID
        }
        guard entries.count < TokenLimits.maximumKeyCount else { throw .full }
        entries[keyID] = Entry(
            keyID: keyID, publicKey: publicKey, nodeID: nodeID, addedAtSeconds: nowSeconds, retiredAtSeconds: nil)
        return keyID
    }

    /// Retires a key at `atSeconds` (an already retired key keeps its earlier time).
    public mutating func retire(keyID: String, atSeconds: Int64) throws(KeyRingError) {
        guard var entry = entries[keyID] else { throw .unknownKey }
        if entry.retiredAtSeconds == nil { entry.retiredAtSeconds = atSeconds }
        entries[keyID] = entry
    }

    /// Adds a node's new key and retires every other active key of that node; returns the new id.
    @discardableResult
    public mutating func rotate(nodeID: String, newPublicKey: Ed25519.PublicKey, nowSeconds: Int64) throws(KeyRingError) -> String {
        let newKeyID = try add(publicKey: newPublicKey, nodeID: nodeID, nowSeconds: nowSeconds)
        for entry in entries.values where entry.nodeID == nodeID && entry.keyID != newKeyID && entry.retiredAtSeconds == nil {
            try retire(keyID: entry.keyID, atSeconds: nowSeconds)
        }
        return newKeyID
    }

    /// Drops retired keys that can no longer verify any live token.
    public mutating func removeExpiredKeys(nowSeconds: Int64) {
        entries = entries.filter { _, entry in
            guard let retiredAt = entry.retiredAtSeconds else { return true }
            return nowSeconds <= retiredAt &+ TokenLimits.maximumTokenLifetimeSeconds &+ TokenLimits.clockLeewaySeconds
        }
    }

    // MARK: - JWKS

    /// Every key that can still verify something, as a JWKS (sorted by `kid` for stable output).
    public var jsonWebKeySet: JSONWebKeySet {
        JSONWebKeySet(keys: entries.values.sorted { $0.keyID < $1.keyID }.map {
            JSONWebKey(publicKey: $0.publicKey, keyID: $0.keyID)
        })
    }
}

extension KeyRing {
    /// A ring of active keys from a JWKS document, for an enforcer that only has the document.
    /// Each `kid` must be its key's RFC 7638 thumbprint, as Warden writes them; `nodeID` records
    /// where the keys came from.
    public init(trusting keySet: JSONWebKeySet, nodeID: String, nowSeconds: Int64) throws(KeyRingError) {
        self.init()
        for key in keySet.keys {
            guard key.keyID == JSONWebKey.thumbprint(of: key.publicKey) else { throw .keyIDConflict }
            try add(publicKey: key.publicKey, nodeID: nodeID, nowSeconds: nowSeconds)
        }
    }
}

// MARK: - Replicated form

extension KeyRing {
    /// The ring as JSON for snapshots and the enforcer feed: unlike the JWKS it keeps each key's
    /// node and retirement time. `{"keys":[{"added_at":…,"kid":…,"node":…,"retired_at":…?,"x":…}]}`,
    /// sorted by `kid`, written canonically by `JSONWriter`.
    public var jsonValue: JSONValue {
        let keys: [JSONValue] = entries.values.sorted { $0.keyID < $1.keyID }.map { entry in
            var members: [String: JSONValue] = [
                "kid": .string(entry.keyID), "x": .string(Base64URL.encode(entry.publicKey.rawRepresentation)),
                "node": .string(entry.nodeID), "added_at": .integer(entry.addedAtSeconds),
            ]
            if let retiredAt = entry.retiredAtSeconds { members["retired_at"] = .integer(retiredAt) }
            return .object(members)
        }
        return ["keys": .array(keys)]
    }

    /// A ring read back from `jsonValue`. Each `kid` must be its key's thumbprint and appear once.
    public init(json: JSONValue) throws(KeyRingError) {
        guard case .array(let keys)? = json["keys"], keys.count <= TokenLimits.maximumKeyCount else {
            throw .malformed
        }
        self.init()
        for key in keys {
            guard case .string(let keyID)? = key["kid"], case .string(let x)? = key["x"],
                case .string(let nodeID)? = key["node"], case .integer(let addedAt)? = key["added_at"],
                let raw = Base64URL.decode(x), let publicKey = try? Ed25519.PublicKey(rawRepresentation: raw),
                keyID == JSONWebKey.thumbprint(of: publicKey), entries[keyID] == nil
            else { throw .malformed }
            var retiredAt: Int64?
            if let retired = key["retired_at"] {
                guard case .integer(let seconds) = retired else { throw .malformed }
                retiredAt = seconds
            }
            entries[keyID] = Entry(
                keyID: keyID, publicKey: publicKey, nodeID: nodeID, addedAtSeconds: addedAt, retiredAtSeconds: retiredAt)
        }
    }
}
