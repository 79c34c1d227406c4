/// The sequential specification a history is checked against: what one operation does to the
/// state when operations run one at a time. The linearizability checker asks whether the
/// concurrent history could have come from some sequential order of this model.
public protocol SequentialModel {
    /// The model's state. It must be hashable so the search can memoise (linearized set, state)
    /// pairs it has already explored.
    associatedtype State: Hashable
    /// What a client asks for.
    associatedtype Input
    /// What a client is told.
    associatedtype Output

    /// The state before any operation.
    var initialState: State { get }

    /// Applies `input` to `state` and says whether the model could have answered `output`.
    /// `output` is `nil` when the client never learned the result (an ambiguous or pending
    /// operation): the step must then accept whenever the input can apply at all, and return
    /// the state the operation would leave behind.
    func step(_ state: State, input: Input, output: Output?) -> (accepted: Bool, state: State)

    /// Splits a history into independent sub-histories (P-compositionality: for a keyed store,
    /// the history is linearizable iff each key's sub-history is). The default is no split.
    func partition(_ operations: [HistoryOperation<Input, Output>]) -> [[HistoryOperation<Input, Output>]]

    /// Renders an operation's input and result for a human reading a failure witness.
    func describe(_ operation: HistoryOperation<Input, Output>) -> String
}

extension SequentialModel {
    /// Checks the history as one piece.
    public func partition(_ operations: [HistoryOperation<Input, Output>]) -> [[HistoryOperation<Input, Output>]] {
        [operations]
    }

    /// Renders the input and, when known, the result with their default descriptions.
    public func describe(_ operation: HistoryOperation<Input, Output>) -> String {
        switch operation.outcome {
        case .ok(let output): return "\(operation.input) -> \(output)"
        case .failed: return "\(operation.input) -> failed"
        case .ambiguous: return "\(operation.input) -> ambiguous"
        case .pending: return "\(operation.input) -> pending"
        }
    }

    /// Groups operations by the key `keyOf` returns, keeping each group in history order and
    /// ordering the groups by first appearance so the split is deterministic.
    public func partition<Key: Hashable>(
        _ operations: [HistoryOperation<Input, Output>],
        byKey keyOf: (Input) -> Key
    ) -> [[HistoryOperation<Input, Output>]] {
        var groupIndexByKey: [Key: Int] = [:]
        var groups: [[HistoryOperation<Input, Output>]] = []
        for operation in operations {
            let key = keyOf(operation.input)
            if let index = groupIndexByKey[key] {
                groups[index].append(operation)
            } else {
                groupIndexByKey[key] = groups.count
                groups.append([operation])
            }
        }
        return groups
    }
}
