/// The deterministic chaos simulator (placeholder until the module lands).
public struct SimulatedWorld {}
