/// The edge enforcer (placeholder until the module lands).
public struct EdgeEnforcer {}
