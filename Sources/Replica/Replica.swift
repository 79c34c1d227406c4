/// The replica glue (placeholder until the module lands).
public struct Replica {}
