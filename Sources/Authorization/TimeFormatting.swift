/// Conversions between CEL timestamps/durations and their text forms (RFC 3339 instants,
/// Go-style durations such as `"1h30m"` or `"1.5s"`), on exact integer nanoseconds.
enum TimeFormatting {
    // MARK: - Ranges (CEL: years 0001 to 9999; durations within about ±10,000 years)

    static let nanosecondsPerSecond: Int128 = 1_000_000_000
    /// 0001-01-01T00:00:00Z.
    static let minimumTimestampNanoseconds: Int128 = -62_135_596_800 * nanosecondsPerSecond
    /// 9999-12-31T23:59:59.999999999Z.
    static let maximumTimestampNanoseconds: Int128 = 253_402_300_799 * nanosecondsPerSecond + 999_999_999
    /// CEL's duration bound: 315,576,000,000 seconds (10,000 Julian years).
    static let maximumDurationNanoseconds: Int128 = 315_576_000_000 * nanosecondsPerSecond + 999_999_999
    /// Longest duration or timestamp text accepted; bounds the parsers' work.
    static let maximumTextLength = 64

    // MARK: - Arithmetic helpers

    /// Total nanoseconds of a (seconds, nanos) pair.
    static func total(seconds: Int64, nanos: Int32) -> Int128 {
        Int128(seconds) * nanosecondsPerSecond + Int128(nanos)
    }

    /// Splits total nanoseconds into seconds and `0 <= nanos < 1e9` (floor division).
    /// Callers keep the total within the timestamp or duration range, so seconds fit Int64.
    static func split(_ totalNanoseconds: Int128) -> (seconds: Int64, nanos: Int32) {
        var seconds = totalNanoseconds / nanosecondsPerSecond
        var nanos = totalNanoseconds % nanosecondsPerSecond
        if nanos < 0 {
            nanos += nanosecondsPerSecond
            seconds -= 1
        }
        return (Int64(seconds), Int32(nanos))
    }

    // MARK: - Civil calendar (proleptic Gregorian, days since 1970-01-01)

    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: - RFC 3339

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, fraction trimmed of trailing zeros.
    static func rfc3339(nanoseconds: Int128) -> String {
        let (seconds, nanos) = split(nanoseconds)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        var text = padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
        text += "T" + padded(secondOfDay / 3600, 2) + ":" + padded(secondOfDay / 60 % 60, 2)
        text += ":" + padded(secondOfDay % 60, 2)
        if nanos != 0 { text += "." + fractionDigits(nanos) }
        return text + "Z"
    }

    /// Parses an RFC 3339 instant (`Z` or a `±HH:MM` offset) to nanoseconds since the epoch,
    /// or nil when malformed or outside years 0001–9999.
    static func parseTimestamp(_ text: String) -> Int128? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= maximumTextLength else { return nil }
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.expect("-"), let month = reader.number(2), reader.expect("-"),
            let day = reader.number(2), reader.expect("T") || reader.expect("t"), let hour = reader.number(2),
            reader.expect(":"), let minute = reader.number(2), reader.expect(":"), let second = reader.number(2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var nanos: Int128 = 0
        if reader.expect(".") {
            guard let fraction = reader.fraction() else { return nil }
            nanos = fraction
        }
        guard let offsetSeconds = reader.zoneOffsetSeconds(), reader.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int128(days) * 86_400 + Int128(hour * 3600 + minute * 60 + second) - Int128(offsetSeconds)
        let total = seconds * nanosecondsPerSecond + nanos
        guard total >= minimumTimestampNanoseconds, total <= maximumTimestampNanoseconds else { return nil }
        return total
    }

    // MARK: - Durations

    /// Seconds with an optional fraction and an `s` suffix: `"90s"`, `"-1.5s"`.
    static func durationText(nanoseconds: Int128) -> String {
        let negative = nanoseconds < 0
        let magnitude = negative ? -nanoseconds : nanoseconds
        let seconds = magnitude / nanosecondsPerSecond
        let nanos = Int32(magnitude % nanosecondsPerSecond)
        var text = (negative ? "-" : "") + String(seconds)
        if nanos != 0 { text += "." + fractionDigits(nanos) }
        return text + "s"
    }

    /// Parses a Go-style duration (`"1h30m"`, `"1.5s"`, `"-2m"`, `"250ms"`, `"0"`) to
    /// nanoseconds, or nil when malformed or beyond CEL's range.
    static func parseDuration(_ text: String) -> Int128? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumTextLength else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        if bytes.count == index + 1, bytes[index] == UInt8(ascii: "0") { return 0 }
        guard index < bytes.count else { return nil }
        var total: Int128 = 0
        while index < bytes.count {
            guard let component = durationComponent(bytes, &index) else { return nil }
            total += component
            guard total <= maximumDurationNanoseconds else { return nil }
        }
        return negative ? -total : total
    }

    /// One `<number>[.<fraction>]<unit>` component, advancing `index`.
    private static func durationComponent(_ bytes: [UInt8], _ index: inout Int) -> Int128? {
        var whole: Int128 = 0
        var fraction: Int128 = 0
        var fractionScale: Int128 = 1
        var digitCount = 0
        while index < bytes.count, let digit = decimalDigit(bytes[index]) {
            whole = whole * 10 + digit
            digitCount += 1
            index += 1
            guard digitCount <= 20 else { return nil }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, let digit = decimalDigit(bytes[index]) {
                if fractionScale < 1_000_000_000_000_000_000 {
                    fraction = fraction * 10 + digit
                    fractionScale *= 10
                }
                digitCount += 1
                index += 1
            }
        }
        guard digitCount > 0, let unit = durationUnit(bytes, &index) else { return nil }
        return whole * unit + fraction * unit / fractionScale
    }

    private static func durationUnit(_ bytes: [UInt8], _ index: inout Int) -> Int128? {
        let units: [(String, Int128)] = [
            ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
            ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ]
        for (name, scale) in units {
            let unitBytes = Array(name.utf8)
            guard index + unitBytes.count <= bytes.count,
                Array(bytes[index..<(index + unitBytes.count)]) == unitBytes
            else { continue }
            index += unitBytes.count
            return scale
        }
        return nil
    }

    // MARK: - Digits

    private static func decimalDigit(_ byte: UInt8) -> Int128? {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        return Int128(byte - UInt8(ascii: "0"))
    }

    private static func padded(_ number: Int64, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Nine-digit nanoseconds with trailing zeros removed.
    private static func fractionDigits(_ nanos: Int32) -> String {
        var digits = padded(Int64(nanos), 9)
        while digits.hasSuffix("0") { digits.removeLast() }
        return digits
    }
}

// MARK: - A cursor over timestamp text

private struct DigitReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func expect(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// Exactly `count` decimal digits.
    mutating func number(_ count: Int) -> Int64? {
        guard index + count <= bytes.count else { return nil }
        var value: Int64 = 0
        for _ in 0..<count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        return value
    }

    /// One to nine fraction digits, as nanoseconds.
    mutating func fraction() -> Int128? {
        var value: Int128 = 0
        var count = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            guard count < 9 else { return nil }
            value = value * 10 + Int128(bytes[index] - UInt8(ascii: "0"))
            count += 1
            index += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<9 { value *= 10 }
        return value
    }

    /// `Z` (0) or `±HH:MM` as seconds east of UTC.
    mutating func zoneOffsetSeconds() -> Int64? {
        if expect("Z") || expect("z") { return 0 }
        let sign: Int64
        if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
        guard let hours = number(2), expect(":"), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
