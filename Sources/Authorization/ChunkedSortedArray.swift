/// A value with the key a `ChunkedSortedArray` orders it by.
protocol SortKeyed {
    associatedtype SortKey: Comparable
    var sortKey: SortKey { get }
}

/// A sorted collection of unique keys kept in bounded chunks, so inserting into or removing from
/// millions of elements moves at most one chunk (not the whole array), while lookups stay binary
/// searches and iteration stays sequential.
struct ChunkedSortedArray<Element: SortKeyed & Sendable>: Sendable {
    /// Elements per chunk before it splits in two: large enough that chunks stay few, small
    /// enough that moving one on insert or removal is cheap (a few kilobytes).
    static var maximumChunkSize: Int { 256 }

    private var chunks: [[Element]] = []
    /// The number of elements.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The element with `key`.
    func element(forKey key: Element.SortKey) -> Element? {
        guard let chunkIndex = chunkIndex(forKey: key) else { return nil }
        let chunk = chunks[chunkIndex]
        let position = Self.position(of: key, in: chunk)
        guard position < chunk.count, chunk[position].sortKey == key else { return nil }
        return chunk[position]
    }

    /// Inserts `element`; false (and no change) when its key is present.
    @discardableResult
    mutating func insert(_ element: Element) -> Bool {
        let key = element.sortKey
        guard let chunkIndex = chunkIndex(forKey: key) else {
            chunks = [[element]]
            count = 1
            return true
        }
        let position = Self.position(of: key, in: chunks[chunkIndex])
        if position < chunks[chunkIndex].count, chunks[chunkIndex][position].sortKey == key { return false }
        chunks[chunkIndex].insert(element, at: position)
        count += 1
        if chunks[chunkIndex].count > Self.maximumChunkSize {
            let upper = Array(chunks[chunkIndex][(Self.maximumChunkSize / 2)...])
            chunks[chunkIndex].removeLast(upper.count)
            chunks.insert(upper, at: chunkIndex + 1)
        }
        return true
    }

    /// Removes and returns the element with `key`.
    @discardableResult
    mutating func remove(key: Element.SortKey) -> Element? {
        guard let chunkIndex = chunkIndex(forKey: key) else { return nil }
        let position = Self.position(of: key, in: chunks[chunkIndex])
        guard position < chunks[chunkIndex].count, chunks[chunkIndex][position].sortKey == key else { return nil }
        let removed = chunks[chunkIndex].remove(at: position)
        count -= 1
        if chunks[chunkIndex].isEmpty { chunks.remove(at: chunkIndex) }
        return removed
    }

    /// The elements with keys at or after `lowerBound` (all when nil), in order.
    func elements(from lowerBound: Element.SortKey? = nil) -> Iterator {
        guard let lowerBound, let chunkIndex = self.chunkIndex(forKey: lowerBound) else {
            return Iterator(chunks: chunks, chunkIndex: 0, position: 0)
        }
        return Iterator(chunks: chunks, chunkIndex: chunkIndex, position: Self.position(of: lowerBound, in: chunks[chunkIndex]))
    }

    /// Walks the chunks in order without copying them.
    struct Iterator: IteratorProtocol {
        fileprivate let chunks: [[Element]]
        fileprivate var chunkIndex: Int
        fileprivate var position: Int

        mutating func next() -> Element? {
            while chunkIndex < chunks.count {
                if position < chunks[chunkIndex].count {
                    position += 1
                    return chunks[chunkIndex][position - 1]
                }
                chunkIndex += 1
                position = 0
            }
            return nil
        }
    }

    // MARK: - Search

    /// The chunk that holds `key` or where it would go: the first whose last key is not less
    /// than `key`, or the last chunk. Nil when empty.
    private func chunkIndex(forKey key: Element.SortKey) -> Int? {
        guard !chunks.isEmpty else { return nil }
        var low = 0
        var high = chunks.count - 1
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle][chunks[middle].count - 1].sortKey < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first position in `chunk` whose key is not less than `key`.
    private static func position(of key: Element.SortKey, in chunk: [Element]) -> Int {
        var low = 0
        var high = chunk.count
        while low < high {
            let middle = (low + high) / 2
            if chunk[middle].sortKey < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
