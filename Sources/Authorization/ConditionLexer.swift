/// One lexical token of a CEL expression, with the byte offset where it starts.
struct ConditionToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case intLiteral(Int64)
        case uintLiteral(UInt64)
        case doubleLiteral(Double)
        case stringLiteral(String)
        case boolLiteral(Bool)
        case nullLiteral
        /// `9223372036854775808`, valid only right after a unary minus (as `Int64.min`).
        case intMinimumMagnitude
        case keywordIn
        /// Punctuation and operators: `+ - * / % ! && || == != < <= > >= ( ) [ ] { } . , : ?`.
        case symbol(String)
        case end
    }

    let kind: Kind
    let offset: Int
}

/// Splits CEL source into tokens. Supports decimal and hexadecimal integers, `u` suffixes,
/// doubles with fractions and exponents, single- or double-quoted strings with the usual
/// escapes, and the operators of the subset. Raw, triple-quoted and byte strings are refused.
struct ConditionLexer {
    /// Longest expression accepted, in bytes.
    static let maximumExpressionLength = 4_096
    /// Most tokens in one expression.
    static let maximumTokens = 1_024

    /// Words CEL reserves; they cannot name parameters.
    static let reservedWords: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }

    static func isIdentifierContinue(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(_ source: String) { bytes = Array(source.utf8) }

    /// The tokens of `source`, ending with `.end`.
    static func tokenize(_ source: String) throws(ConditionCompileError) -> [ConditionToken] {
        guard source.utf8.count <= maximumExpressionLength else {
            throw ConditionCompileError(offset: 0, message: "expression is longer than \(maximumExpressionLength) bytes")
        }
        var lexer = ConditionLexer(source)
        var tokens: [ConditionToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
            guard tokens.count <= maximumTokens else {
                throw ConditionCompileError(offset: token.offset, message: "expression has more than \(maximumTokens) tokens")
            }
        }
    }

    // MARK: - Scanning

    private mutating func next() throws(ConditionCompileError) -> ConditionToken {
        skipWhitespaceAndComments()
        let start = index
        guard index < bytes.count else { return ConditionToken(kind: .end, offset: start) }
        let byte = bytes[index]
        if Self.isIdentifierStart(byte) { return identifierOrKeyword(start: start) }
        if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && index + 1 < bytes.count && Self.isDigit(bytes[index + 1])) {
            return try number(start: start)
        }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return try string(start: start) }
        for symbol in ["&&", "||", "==", "!=", "<=", ">="] where matches(symbol) {
            index += 2
            return ConditionToken(kind: .symbol(symbol), offset: start)
        }
        let singles: Set<UInt8> = Set("+-*/%!<>()[]{}.,:?".utf8)
        guard singles.contains(byte) else {
            throw ConditionCompileError(offset: start, message: "unexpected character '\(Unicode.Scalar(byte).escaped(asASCII: true))'")
        }
        index += 1
        return ConditionToken(kind: .symbol(String(decoding: [byte], as: UTF8.self)), offset: start)
    }

    private func matches(_ symbol: String) -> Bool {
        let symbolBytes = Array(symbol.utf8)
        guard index + symbolBytes.count <= bytes.count else { return false }
        return Array(bytes[index..<(index + symbolBytes.count)]) == symbolBytes
    }

    private mutating func skipWhitespaceAndComments() {
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                index += 1
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            } else {
                return
            }
        }
    }

    private mutating func identifierOrKeyword(start: Int) -> ConditionToken {
        while index < bytes.count, Self.isIdentifierContinue(bytes[index]) { index += 1 }
        let word = String(decoding: bytes[start..<index], as: UTF8.self)
        switch word {
        case "true": return ConditionToken(kind: .boolLiteral(true), offset: start)
        case "false": return ConditionToken(kind: .boolLiteral(false), offset: start)
        case "null": return ConditionToken(kind: .nullLiteral, offset: start)
        case "in": return ConditionToken(kind: .keywordIn, offset: start)
        default: return ConditionToken(kind: .identifier(word), offset: start)
        }
    }

    // MARK: - Numbers

    private mutating func number(start: Int) throws(ConditionCompileError) -> ConditionToken {
        if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "x") {
            index += 2
            let digitsStart = index
            while index < bytes.count, hexValue(bytes[index]) != nil { index += 1 }
            let digits = String(decoding: bytes[digitsStart..<index], as: UTF8.self)
            return try integer(digits, radix: 16, start: start)
        }
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        var isDouble = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), Self.isDigit(bytes[index + 1]) {
            isDouble = true
            index += 1
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isDouble = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponentStart = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else { throw ConditionCompileError(offset: start, message: "malformed exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isDouble {
            guard let value = Double(text), value.isFinite else {
                throw ConditionCompileError(offset: start, message: "double literal '\(text)' is out of range")
            }
            return ConditionToken(kind: .doubleLiteral(value), offset: start)
        }
        return try integer(text, radix: 10, start: start)
    }

    private mutating func integer(_ digits: String, radix: Int, start: Int) throws(ConditionCompileError) -> ConditionToken {
        guard !digits.isEmpty else { throw ConditionCompileError(offset: start, message: "malformed number") }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "u") {
            index += 1
            guard let value = UInt64(digits, radix: radix) else {
                throw ConditionCompileError(offset: start, message: "uint literal is out of range")
            }
            return ConditionToken(kind: .uintLiteral(value), offset: start)
        }
        guard let value = Int64(digits, radix: radix) else {
            // The magnitude of Int64.min only exists negated; the parser folds `-` into it.
            if radix == 10, digits == "9223372036854775808" {
                return ConditionToken(kind: .intMinimumMagnitude, offset: start)
            }
            throw ConditionCompileError(offset: start, message: "int literal is out of range")
        }
        return ConditionToken(kind: .intLiteral(value), offset: start)
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: - Strings

    private mutating func string(start: Int) throws(ConditionCompileError) -> ConditionToken {
        let quote = bytes[index]
        index += 1
        if index + 1 < bytes.count, bytes[index] == quote, bytes[index + 1] == quote {
            throw ConditionCompileError(offset: start, message: "triple-quoted strings are not supported")
        }
        var scalars = String.UnicodeScalarView()
        var content: [UInt8] = []
        while true {
            guard index < bytes.count, bytes[index] != 0x0A else {
                throw ConditionCompileError(offset: start, message: "unterminated string literal")
            }
            let byte = bytes[index]
            if byte == quote {
                index += 1
                break
            }
            if byte == UInt8(ascii: "\\") {
                scalars.append(contentsOf: String(decoding: content, as: UTF8.self).unicodeScalars)
                content.removeAll()
                scalars.append(try escape(start: start))
            } else {
                content.append(byte)
                index += 1
            }
        }
        scalars.append(contentsOf: String(decoding: content, as: UTF8.self).unicodeScalars)
        return ConditionToken(kind: .stringLiteral(String(scalars)), offset: start)
    }

    private mutating func escape(start: Int) throws(ConditionCompileError) -> Unicode.Scalar {
        index += 1
        guard index < bytes.count else { throw ConditionCompileError(offset: start, message: "unterminated string literal") }
        let byte = bytes[index]
        index += 1
        let simple: [UInt8: Unicode.Scalar] = [
            UInt8(ascii: "n"): "\n", UInt8(ascii: "t"): "\t", UInt8(ascii: "r"): "\r", UInt8(ascii: "\\"): "\\",
            UInt8(ascii: "\""): "\"", UInt8(ascii: "'"): "'", UInt8(ascii: "`"): "`", UInt8(ascii: "?"): "?",
            UInt8(ascii: "a"): "\u{07}", UInt8(ascii: "b"): "\u{08}", UInt8(ascii: "f"): "\u{0C}", UInt8(ascii: "v"): "\u{0B}",
        ]
        if let scalar = simple[byte] { return scalar }
        let width: Int
        switch byte {
        case UInt8(ascii: "x"): width = 2
        case UInt8(ascii: "u"): width = 4
        case UInt8(ascii: "U"): width = 8
        default: throw ConditionCompileError(offset: index - 2, message: "unknown escape sequence")
        }
        var value: UInt32 = 0
        for _ in 0..<width {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else {
                throw ConditionCompileError(offset: index, message: "malformed hexadecimal escape")
            }
            value = value * 16 + digit
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw ConditionCompileError(offset: index - width, message: "escape is not a Unicode scalar value")
        }
        return scalar
    }
}
