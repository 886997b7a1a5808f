import Foundation
import Testing

/// A rank that fails mid-run ends the whole job within a bounded time, and the output
/// names the rank; no rank is left waiting in a collective.
@Suite struct FailureTests {
  /// The error path of the commands: the failing rank prints its error with its rank and
  /// calls MPI_Abort, which ends the ranks blocked in their next all-reduce.
  @Test func aThrowingRankEndsTheJobNamingIt() throws {
    let outcome = try MPIJob.run(ranks: 2, ["worker", "fail", "--rank", "1", "--at", "20"], timeout: 60)
    #expect(!outcome.timedOut, "the job hung: \(outcome.output)")
    #expect(outcome.status != 0)
    #expect(
      outcome.output.contains(
        "descent-distributed: rank 1 of 2 failed: injected failure at iteration 20"), "\(outcome.output)")
    #expect(outcome.seconds < 60)
  }

  /// A rank that exits at once without telling MPI (a crash): mpirun notices the exit,
  /// ends the others, and reports the process, whose MPI name ends in its rank (`,2]`).
  @Test func aCrashingRankEndsTheJob() throws {
    let outcome = try MPIJob.run(
      ranks: 3, ["worker", "fail", "--rank", "2", "--at", "10", "--crash"], timeout: 60)
    #expect(!outcome.timedOut, "the job hung: \(outcome.output)")
    #expect(outcome.status != 0)
    #expect(outcome.output.contains("rank 2: crashing at iteration 10"), "\(outcome.output)")
    #expect(outcome.output.contains(",2]"), "mpirun names the process: \(outcome.output)")
    #expect(outcome.seconds < 60)
  }
}
