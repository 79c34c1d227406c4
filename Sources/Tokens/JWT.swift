import Crypto
import Governance

/// A Warden access token (placeholder until the module lands).
public struct JWT {}
