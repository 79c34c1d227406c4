import Authorization
import Crypto

/// The replicated governance state (placeholder until the module lands).
public struct State {}
