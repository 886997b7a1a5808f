import Descent
import DescentOptim

/// Which rank owns which parameter under ZeRO: PyTorch's `_partition_parameters`.
///
/// Group by group, the parameters are taken largest first (a stable sort, so ties keep
/// their order) and each goes to the rank that owns the fewest elements so far (the lowest
/// such rank on a tie); the running totals carry over from one group to the next. Whole
/// tensors are assigned, never slices of one, so any optimizer's per-tensor state (a
/// factored second moment, a per-tensor step size) stays on one rank.
struct ZeroPartition {
  /// The owner of each parameter, by its index across all groups.
  let owners: [Int]
  /// Elements owned by each rank.
  let elementsPerRank: [Int]

  init(_ groups: [ParamGroup], worldSize: Int) {
    var sizes = [Int](repeating: 0, count: worldSize)
    var owners: [Int] = []
    for group in groups {
      var groupOwners = [Int](repeating: 0, count: group.params.count)
      let order = group.params.indices.sorted { a, b in
        let (ca, cb) = (group.params[a].count, group.params[b].count)
        return ca != cb ? ca > cb : a < b
      }
      for offset in order {
        let rank = sizes.indices.min { sizes[$0] != sizes[$1] ? sizes[$0] < sizes[$1] : $0 < $1 }!
        groupOwners[offset] = rank
        sizes[rank] += group.params[offset].count
      }
      owners += groupOwners
    }
    self.owners = owners
    self.elementsPerRank = sizes
  }
}
