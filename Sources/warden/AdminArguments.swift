// MARK: - Admin command-line arguments

/// The arguments of one admin subcommand, split into positionals, `--name value` options
/// (repeatable, also written `--name=value`) and boolean switches.
struct AdminArguments {
    /// Flags that take no value; every other `--name` takes the next argument as its value.
    static let switchNames: Set<String> = ["json", "help", "wait-for-enforcers", "rotate-secret"]

    /// Arguments that are not options, in order (the sub-subcommand first, when there is one).
    private(set) var positionals: [String] = []
    /// Option values by name (without the leading dashes), in the order given.
    private var options: [String: [String]] = [:]
    /// Switches that were given.
    private var switches: Set<String> = []
    /// Option and switch names read so far, to refuse the ones no command understood.
    private var consumed: Set<String> = []

    /// Splits `arguments`; a value-taking option at the end with no value is a usage error.
    init(_ arguments: [String]) throws(AdminFailure) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" {
                switches.insert("help")
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positionals.append(argument)
                continue
            }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                options[String(body[..<equals]), default: []].append(String(body[body.index(after: equals)...]))
            } else if Self.switchNames.contains(String(body)) {
                switches.insert(String(body))
            } else {
                guard index < arguments.count else { throw .usage("--\(body) needs a value") }
                options[String(body), default: []].append(arguments[index])
                index += 1
            }
        }
    }

    /// The last value of option `name`, if given.
    mutating func value(_ name: String) -> String? {
        consumed.insert(name)
        return options[name]?.last
    }

    /// The last value of option `name`, or a usage error naming it.
    mutating func required(_ name: String) throws(AdminFailure) -> String {
        guard let value = value(name) else { throw .usage("--\(name) is required") }
        return value
    }

    /// Every value of a repeatable option, each also split on commas and spaces
    /// (`--scope a --scope b` and `--scope "a b"` mean the same).
    mutating func list(_ name: String) -> [String] {
        consumed.insert(name)
        return (options[name] ?? []).flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
    }

    /// Every value of a repeatable option, exactly as given.
    mutating func values(_ name: String) -> [String] {
        consumed.insert(name)
        return options[name] ?? []
    }

    /// An integer option, or a usage error when it is not one.
    mutating func integer(_ name: String) throws(AdminFailure) -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text) else { throw .usage("--\(name) must be an integer, not '\(text)'") }
        return number
    }

    /// Whether switch `name` was given.
    mutating func flag(_ name: String) -> Bool {
        consumed.insert(name)
        return switches.contains(name)
    }

    /// Positional argument `index` (0 is the sub-subcommand in grouped commands), or a usage
    /// error that says what was expected there.
    func positional(_ index: Int, _ what: String) throws(AdminFailure) -> String {
        guard index < positionals.count else { throw .usage("missing \(what)") }
        return positionals[index]
    }

    /// Refuses options no command read and positionals beyond `count`, so a typo is an error
    /// rather than an ignored flag.
    func finish(positionalCount count: Int) throws(AdminFailure) {
        let unknown = Set(options.keys).union(switches).subtracting(consumed).subtracting(AdminGlobalOptions.names)
        if let name = unknown.sorted().first { throw .usage("unknown option --\(name)") }
        if positionals.count > count {
            throw .usage("unexpected argument '\(positionals[count])'")
        }
    }
}
