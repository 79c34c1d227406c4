import JSON

// MARK: - Human output

/// Short aligned tables and `name: value` lines for people; `--json` bypasses all of it.
enum AdminOutput {
    /// Prints rows under a header, each column as wide as its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else {
            print("(none)")
            return
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count { widths[column] = max(widths[column], cell.count) }
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// Prints `name: value` lines with the names aligned.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (name, value) in pairs {
            print(name + ":" + String(repeating: " ", count: width - name.count + 1) + value)
        }
    }

    /// A JSON value as short text: strings bare, everything else as compact JSON.
    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "-" }
        switch value {
        case .null: return "-"
        case .string(let text): return text
        case .array(let items): return items.isEmpty ? "-" : items.map { text($0) }.joined(separator: ",")
        default: return JSONWriter().string(value)
        }
    }

    /// The members `names` of `value` as short text, one cell each.
    static func row(_ value: JSONValue?, _ names: [String]) -> [String] {
        names.map { text(value?[$0]) }
    }

    /// Prints the server's JSON body as it came.
    static func json(_ response: AdminResponse) {
        print(response.text)
    }
}

// MARK: - Errors

/// Turns an `AdminFailure` into the lines a person needs: what went wrong and what to do.
enum AdminErrorReport {
    /// Prints the failure to standard error (and, with `--json`, the server's error body to
    /// standard output so scripts can read it) and returns the exit status.
    static func report(_ failure: AdminFailure, json: Bool, usage: String?) -> Int32 {
        switch failure {
        case .usage(let message):
            FileHandleOutput.standardError("warden: \(message)")
            if let usage { FileHandleOutput.standardError(usage) }
        case .input(let message):
            FileHandleOutput.standardError("warden: \(message)")
        case .cannotConnect(let url, let reason):
            FileHandleOutput.standardError("warden: cannot connect to \(url): \(reason)")
            FileHandleOutput.standardError("hint: is the cluster up? try Cluster/up, or pass --url (or set WARDEN_URL)")
        case .refused(let status, let body, let text):
            if json && !text.isEmpty { print(text) }
            for line in describe(status: status, body: body, text: text) { FileHandleOutput.standardError(line) }
        }
        return failure.exitStatus
    }

    /// The error lines for a refused request: status and title, detail, field errors, hint.
    static func describe(status: Int, body: JSONValue?, text: String) -> [String] {
        var lines: [String] = []
        if let code = body?["error"]?.stringValue {
            // OAuth endpoints answer with RFC 6749's {error, error_description}.
            lines.append(headline(status, code, body?["error_description"]?.stringValue))
        } else if let body, body["title"] != nil || body["detail"] != nil {
            lines.append(headline(status, body["title"]?.stringValue ?? "error", body["detail"]?.stringValue))
            for error in body["errors"]?.arrayValue ?? [] {
                lines.append("  \(error["field"]?.stringValue ?? "?"): \(error["message"]?.stringValue ?? "")")
            }
        } else {
            let excerpt = String(text.prefix(200))
            lines.append("warden: \(status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"))
        }
        if let hint = hint(status: status, body: body) { lines.append("hint: \(hint)") }
        return lines
    }

    /// `warden: STATUS TITLE: DETAIL`, without the colon when there is no detail.
    private static func headline(_ status: Int, _ title: String, _ detail: String?) -> String {
        let prefix = "warden: \(status) \(title)"
        guard let detail, !detail.isEmpty else { return prefix }
        return prefix + ": " + detail
    }

    /// What to try next for a status.
    static func hint(status: Int, body: JSONValue?) -> String? {
        if body?["error"]?.stringValue == "invalid_client" {
            return "check --client-id and --client-secret (the secret was printed once by `warden agents register`)"
        }
        switch status {
        case 400: return "fix the fields above; `warden <command> --help` shows the expected form"
        case 401: return "pass --key-file PATH or set WARDEN_KEY (the admin key `warden init` wrote to Cluster/data/admin.key)"
        case 403: return "this key's role may not do that; use a key with the admin (or security) role"
        case 404: return "check the id; list what exists with `warden agents list`, `warden connections list` …"
        case 409: return "the object already exists or changed meanwhile; read it again and retry"
        case 413: return "the request body is too large; send less at once"
        case 503: return "the cluster has no leader or is catching up; retry shortly, see `warden cluster status`"
        case 500...: return "a server error; the node log says more"
        default: return nil
        }
    }
}
