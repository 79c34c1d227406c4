/// The HTTP/1.1 server (placeholder until the module lands).
public struct HTTPServer {}
