import Authorization

// MARK: - RFC 3339 time

/// RFC 3339 timestamps as the API writes and reads them (UTC, millisecond precision).
public enum APITime {
    /// The longest timestamp text considered (date, time, nine fraction digits, offset, with room).
    public static let maximumTextBytes = 40
    /// The shortest well-formed timestamp: `YYYY-MM-DDTHH:MM:SSZ`.
    static let minimumTextBytes = 20

    /// Milliseconds since 1970 as RFC 3339 (`2026-11-29T11:00:00.5Z`).
    public static func format(milliseconds: Int64) -> String {
        let seconds = milliseconds.floorDivided(by: 1_000)
        let nanos = Int32((milliseconds - seconds * 1_000) * 1_000_000)
        return ConditionValue.timestamp(seconds: seconds, nanos: nanos).json.stringValue ?? String(milliseconds)
    }

    /// The milliseconds since 1970 of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or nil.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= minimumTextBytes, bytes.count <= maximumTextBytes else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<start + count {
                guard bytes[index] >= 48 && bytes[index] <= 57 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        let separatorsHold = bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && (bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t")) && bytes[13] == UInt8(ascii: ":")
            && bytes[16] == UInt8(ascii: ":")
        guard separatorsHold, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fractionMilliseconds: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 {
                if digits < 3 { fractionMilliseconds = fractionMilliseconds * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in 0..<max(0, 3 - digits) { fractionMilliseconds *= 10 }
        }
        guard let offsetSeconds = offset(bytes, from: index) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + min(second, 59) - offsetSeconds
        return seconds * 1_000 + fractionMilliseconds
    }

    /// The UTC offset in seconds of the zone suffix starting at `index`.
    private static func offset(_ bytes: [UInt8], from index: Int) -> Int64? {
        if index == bytes.count - 1, bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") { return 0 }
        guard index + 6 == bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
            bytes[index + 3] == UInt8(ascii: ":")
        else { return nil }
        let digits = [bytes[index + 1], bytes[index + 2], bytes[index + 4], bytes[index + 5]]
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let hours = Int64(digits[0] - 48) * 10 + Int64(digits[1] - 48)
        let minutes = Int64(digits[2] - 48) * 10 + Int64(digits[3] - 48)
        guard hours < 24, minutes < 60 else { return nil }
        let total = hours * 3_600 + minutes * 60
        return bytes[index] == UInt8(ascii: "-") ? -total : total
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
