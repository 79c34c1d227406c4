// The one Warden executable: `warden <command> [arguments]`.
#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: warden <command> [arguments]

    commands:
      init                create a cluster's configuration and first admin key (--data DIR --nodes 3 --port-base 7100)
      serve               run one node (--config DIR/node-N/warden.conf; flags override its keys)
      enforcer            edge enforcer: local decisions from the feed (--id --cluster --listen --key-file)
      bench raft          commit entries through 3 in-memory Raft cores; prints entries/s
      bench governance    decision latency and apply throughput of the state machine
      bench tokens        Ed25519 JWT sign and verify per second
      bench cluster       load a real cluster over HTTP (--start | --urls U,…): kills, tuples, exchange, checks, failover
      bench etcd          the same load shape against etcd's JSON gateway (--urls U,…), for Cluster/compare-etcd
      storage-torture     crash-test writer (--path P [--entries N]) or storage benchmark (--bench)
      chaos               seeded chaos simulation (--seeds N [--first S] | --replay S --trace)
      chaos-real          chaos against 3 real `warden serve` processes, partitions included
                          (--seconds S [--seed N] [--clients C] [--no-partitions] [--keep-data] | --check-history FILE)
      help                this text

    admin commands (talk to a running cluster):
    \(AdminCommand.summary)
    """

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch (arguments.first, arguments.dropFirst().first) {
case ("bench", "raft"): status = RaftBenchmark.run(Array(arguments.dropFirst(2)))
case ("bench", "governance"): status = GovernanceBenchmark.run(Array(arguments.dropFirst(2)))
case ("bench", "tokens"): status = TokensBenchmark.run(Array(arguments.dropFirst(2)))
case ("bench", "cluster"): status = BenchClusterCommand.runCluster(Array(arguments.dropFirst(2)))
case ("bench", "etcd"): status = BenchClusterCommand.runEtcd(Array(arguments.dropFirst(2)))
case ("init", _): status = InitCommand.run(Array(arguments.dropFirst()))
case ("serve", _): status = ServeCommand.run(Array(arguments.dropFirst()))
case ("enforcer", _): status = EnforcerCommand.run(Array(arguments.dropFirst()))
case ("storage-torture", _): status = StorageTortureCommand.run(Array(arguments.dropFirst()))
case ("chaos", _): status = ChaosCommand.run(Array(arguments.dropFirst()))
case ("chaos-real", _): status = RealChaosCommand.run(Array(arguments.dropFirst()))
case (let command?, _) where AdminCommand.handles(command): status = AdminCommand.run(arguments)
case ("help", _), ("--help", _), ("-h", _): print(usage); status = 0
default:
    FileHandleOutput.standardError(usage)
    status = 2
}
exit(status)
