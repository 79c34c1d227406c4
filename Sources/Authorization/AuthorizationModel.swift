/// An OpenFGA authorization model (placeholder until the module lands).
public struct AuthorizationModel {}
