import Crypto
import Governance

// MARK: - A node's signing identity

/// One node's signing key (loaded from its `NodeKeyFile`, never replicated) and the replicated
/// commands that publish or rotate its public half, so every node verifies every node's tokens.
public struct NodeSigningIdentity: Sendable {
    /// Signs this node's tokens.
    public let signer: TokenSigner

    /// The identity of `privateKey` (as `NodeKeyFile.decode` returns it).
    public init(privateKey: Ed25519.PrivateKey) {
        signer = TokenSigner(privateKey: privateKey)
    }

    /// The `kid` this node's tokens name: the RFC 7638 thumbprint, as in the replicated table.
    public var keyID: String { signer.keyID }

    /// The command that puts the public key into the replicated state (`addSigningKey`).
    public var publicationCommand: Command {
        .addSigningKey(kid: signer.keyID, publicKey: signer.publicKey.rawRepresentation)
    }

    /// Whether `state` holds this public key, unretired: only then may this node sign.
    public func canSign(in state: GovernanceState) -> Bool {
        guard let key = state.signingKeys[keyID] else { return false }
        return key.retiredRevision == nil && key.publicKey == signer.publicKey.rawRepresentation
    }

    /// The commands a node proposes at start-up: publish its key unless the state already has it.
    public func commandsToPublish(in state: GovernanceState) -> [Command] {
        state.signingKeys[keyID] == nil ? [publicationCommand] : []
    }

    /// Rotation from `previousKeyID` to this identity: publish the new key first, then retire
    /// the old one, so there is never a moment without a key to sign with. Tokens the old key
    /// signed keep verifying until they expire (see `TokenLiveness.verify`).
    public func rotationCommands(replacing previousKeyID: String, in state: GovernanceState) -> [Command] {
        var commands = commandsToPublish(in: state)
        if previousKeyID != keyID, let previous = state.signingKeys[previousKeyID], previous.retiredRevision == nil {
            commands.append(.retireSigningKey(kid: previousKeyID))
        }
        return commands
    }
}

// MARK: - The key ring of the replicated state

extension KeyRing {
    /// The node id recorded for keys read from the replicated table, which does not say which
    /// node a key belongs to.
    public static let replicatedNodeID = "replicated"

    /// Every public key of the replicated table that Warden could have signed with: a valid
    /// Ed25519 key published under its own thumbprint (anything else cannot verify a Warden
    /// token). Retired keys stay in the ring: `TokenLiveness.verify` applies the table's
    /// revision-based retirement (a key retired at revision R verifies only tokens minted before
    /// R); Governance records no retirement time for the ring's time-based rule. When the table
    /// holds more than `TokenLimits.maximumKeyCount` keys, the most recently added are kept.
    public init(state: GovernanceState) {
        self.init()
        let newestFirst = state.signingKeys.values.sorted { ($0.addedRevision, $0.kid) > ($1.addedRevision, $1.kid) }
        for key in newestFirst {
            guard entries.count < TokenLimits.maximumKeyCount,
                let publicKey = try? Ed25519.PublicKey(rawRepresentation: key.publicKey),
                JSONWebKey.thumbprint(of: publicKey) == key.kid
            else { continue }
            _ = try? add(publicKey: publicKey, nodeID: KeyRing.replicatedNodeID, nowSeconds: 0)
        }
    }
}
