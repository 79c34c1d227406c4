/// The untyped syntax tree of a CEL expression, as parsed. Every node keeps the byte offset of
/// its first token so type errors can point into the source.
indirect enum ConditionSyntax {
    case literal(ConditionValue, offset: Int)
    case identifier(String, offset: Int)
    case list([ConditionSyntax], offset: Int)
    case map([(key: ConditionSyntax, value: ConditionSyntax)], offset: Int)
    case unary(UnaryOperator, ConditionSyntax, offset: Int)
    case binary(BinaryOperator, ConditionSyntax, ConditionSyntax, offset: Int)
    case conditional(ConditionSyntax, then: ConditionSyntax, otherwise: ConditionSyntax, offset: Int)
    case select(ConditionSyntax, field: String, offset: Int)
    case index(ConditionSyntax, ConditionSyntax, offset: Int)
    /// A global call (`size(x)`) or, with a target, a method call (`x.size()`).
    case call(String, target: ConditionSyntax?, arguments: [ConditionSyntax], offset: Int)

    var offset: Int {
        switch self {
        case .literal(_, let offset), .identifier(_, let offset), .list(_, let offset), .map(_, let offset),
            .unary(_, _, let offset), .binary(_, _, _, let offset), .conditional(_, _, _, let offset),
            .select(_, _, let offset), .index(_, _, let offset), .call(_, _, _, let offset):
            return offset
        }
    }
}

/// `!` and unary `-`.
enum UnaryOperator: Sendable {
    case not, negate
}

/// The binary operators of the subset.
enum BinaryOperator: String, Sendable {
    case and = "&&", or = "||"
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case member = "in"
}

/// Recursive-descent parser for the CEL subset, with CEL's precedence:
/// `?:` < `||` < `&&` < relations (`== != < <= > >= in`) < `+ -` < `* / %` < unary < member access.
struct ConditionParser {
    /// Deepest nesting of the syntax tree; bounds recursion in every later pass.
    static let maximumDepth = 32

    private let tokens: [ConditionToken]
    private var position = 0
    private var depth = 0

    private init(tokens: [ConditionToken]) { self.tokens = tokens }

    /// Parses a whole expression.
    static func parse(_ source: String) throws(ConditionCompileError) -> ConditionSyntax {
        var parser = ConditionParser(tokens: try ConditionLexer.tokenize(source))
        let syntax = try parser.expression()
        guard parser.current.kind == .end else {
            throw ConditionCompileError(offset: parser.current.offset, message: "unexpected \(parser.describe(parser.current)) after the expression")
        }
        return syntax
    }

    // MARK: - Precedence levels

    private mutating func expression() throws(ConditionCompileError) -> ConditionSyntax {
        try enter()
        defer { depth -= 1 }
        let condition = try logicalOr()
        guard let question = accept("?") else { return condition }
        let then = try logicalOr()
        try expect(":")
        let otherwise = try expression()
        return .conditional(condition, then: then, otherwise: otherwise, offset: question)
    }

    private mutating func logicalOr() throws(ConditionCompileError) -> ConditionSyntax {
        var left = try logicalAnd()
        while let offset = accept("||") { left = .binary(.or, left, try logicalAnd(), offset: offset) }
        return left
    }

    private mutating func logicalAnd() throws(ConditionCompileError) -> ConditionSyntax {
        var left = try relation()
        while let offset = accept("&&") { left = .binary(.and, left, try relation(), offset: offset) }
        return left
    }

    private mutating func relation() throws(ConditionCompileError) -> ConditionSyntax {
        var left = try addition()
        while true {
            let offset = current.offset
            if current.kind == .keywordIn {
                position += 1
                left = .binary(.member, left, try addition(), offset: offset)
                continue
            }
            guard case .symbol(let symbol) = current.kind, let op = BinaryOperator(rawValue: symbol),
                [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(op)
            else { return left }
            position += 1
            left = .binary(op, left, try addition(), offset: offset)
        }
    }

    private mutating func addition() throws(ConditionCompileError) -> ConditionSyntax {
        var left = try multiplication()
        while true {
            if let offset = accept("+") {
                left = .binary(.add, left, try multiplication(), offset: offset)
            } else if let offset = accept("-") {
                left = .binary(.subtract, left, try multiplication(), offset: offset)
            } else {
                return left
            }
        }
    }

    private mutating func multiplication() throws(ConditionCompileError) -> ConditionSyntax {
        var left = try unary()
        while true {
            if let offset = accept("*") {
                left = .binary(.multiply, left, try unary(), offset: offset)
            } else if let offset = accept("/") {
                left = .binary(.divide, left, try unary(), offset: offset)
            } else if let offset = accept("%") {
                left = .binary(.remainder, left, try unary(), offset: offset)
            } else {
                return left
            }
        }
    }

    private mutating func unary() throws(ConditionCompileError) -> ConditionSyntax {
        try enter()
        defer { depth -= 1 }
        if let offset = accept("!") { return .unary(.not, try unary(), offset: offset) }
        if let offset = accept("-") {
            if current.kind == .intMinimumMagnitude {
                position += 1
                return try member(.literal(.int(Int64.min), offset: offset))
            }
            return .unary(.negate, try unary(), offset: offset)
        }
        return try member(try primary())
    }

    // MARK: - Member access and primaries

    private mutating func member(_ start: ConditionSyntax) throws(ConditionCompileError) -> ConditionSyntax {
        var syntax = start
        while true {
            if let offset = accept(".") {
                let name = try identifierName()
                if accept("(") != nil {
                    syntax = .call(name, target: syntax, arguments: try arguments(closing: ")"), offset: offset)
                } else {
                    syntax = .select(syntax, field: name, offset: offset)
                }
            } else if let offset = accept("[") {
                let key = try expression()
                try expect("]")
                syntax = .index(syntax, key, offset: offset)
            } else {
                return syntax
            }
        }
    }

    private mutating func primary() throws(ConditionCompileError) -> ConditionSyntax {
        let token = current
        position += 1
        switch token.kind {
        case .intLiteral(let value): return .literal(.int(value), offset: token.offset)
        case .uintLiteral(let value): return .literal(.uint(value), offset: token.offset)
        case .doubleLiteral(let value): return .literal(.double(value), offset: token.offset)
        case .stringLiteral(let value): return .literal(.string(value), offset: token.offset)
        case .boolLiteral(let value): return .literal(.bool(value), offset: token.offset)
        case .nullLiteral: return .literal(.null, offset: token.offset)
        case .identifier(let name):
            if accept("(") != nil { return .call(name, target: nil, arguments: try arguments(closing: ")"), offset: token.offset) }
            return .identifier(name, offset: token.offset)
        case .symbol("("):
            let inner = try expression()
            try expect(")")
            return inner
        case .symbol("["):
            return .list(try arguments(closing: "]"), offset: token.offset)
        case .symbol("{"):
            return try mapLiteral(offset: token.offset)
        case .intMinimumMagnitude:
            throw ConditionCompileError(offset: token.offset, message: "int literal is out of range")
        default:
            position -= 1
            throw ConditionCompileError(offset: token.offset, message: "expected a value, found \(describe(token))")
        }
    }

    /// Comma-separated expressions up to `closing` (a trailing comma is allowed).
    private mutating func arguments(closing: String) throws(ConditionCompileError) -> [ConditionSyntax] {
        var elements: [ConditionSyntax] = []
        while accept(closing) == nil {
            elements.append(try expression())
            if accept(",") == nil {
                try expect(closing)
                break
            }
        }
        return elements
    }

    private mutating func mapLiteral(offset: Int) throws(ConditionCompileError) -> ConditionSyntax {
        var entries: [(key: ConditionSyntax, value: ConditionSyntax)] = []
        while accept("}") == nil {
            let key = try expression()
            try expect(":")
            entries.append((key, try expression()))
            if accept(",") == nil {
                try expect("}")
                break
            }
        }
        return .map(entries, offset: offset)
    }

    // MARK: - Token helpers

    private var current: ConditionToken { tokens[position] }

    private mutating func enter() throws(ConditionCompileError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw ConditionCompileError(offset: current.offset, message: "expression nests deeper than \(Self.maximumDepth) levels")
        }
    }

    /// Consumes the symbol if it is next, returning its offset.
    private mutating func accept(_ symbol: String) -> Int? {
        guard case .symbol(let found) = current.kind, found == symbol else { return nil }
        position += 1
        return tokens[position - 1].offset
    }

    private mutating func expect(_ symbol: String) throws(ConditionCompileError) {
        guard accept(symbol) != nil else {
            throw ConditionCompileError(offset: current.offset, message: "expected '\(symbol)', found \(describe(current))")
        }
    }

    private mutating func identifierName() throws(ConditionCompileError) -> String {
        guard case .identifier(let name) = current.kind else {
            throw ConditionCompileError(offset: current.offset, message: "expected a field or method name, found \(describe(current))")
        }
        position += 1
        return name
    }

    private func describe(_ token: ConditionToken) -> String {
        switch token.kind {
        case .identifier(let name): return "'\(name)'"
        case .symbol(let symbol): return "'\(symbol)'"
        case .keywordIn: return "'in'"
        case .end: return "the end of the expression"
        default: return "a literal"
        }
    }
}
