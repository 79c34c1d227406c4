/// A JSON value (placeholder until the module lands).
public enum JSONValue {}
