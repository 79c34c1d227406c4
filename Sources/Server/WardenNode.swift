/// The production node (placeholder until the module lands).
public struct WardenNode {}
