//! [`Consistency`]: how many replicas must answer a Cassandra read or write.

use std::fmt;

/// How many of a row's replicas must acknowledge a write, or answer a read, before Cassandra
/// reports success: the course's three levels.
///
/// With replication factor `RF`, `One` needs 1 replica, `Quorum` needs `RF / 2 + 1` and `All`
/// needs `RF`. Writes and reads at `Quorum` always overlap in at least one replica, so a
/// `Quorum` read sees every acknowledged `Quorum` write, even with one of three nodes down;
/// `All` fails as soon as one replica is down. The embedded backend has a single copy and
/// ignores the level.
///
/// Set it for a store with [`CassandraBuilder::consistency`](super::CassandraBuilder::consistency)
/// (default `Quorum`), or for some calls with [`Store::with_consistency`](super::Store::with_consistency).
///
/// ```
/// use eddy::prelude::*;
///
/// assert_eq!(Consistency::Quorum.to_string(), "QUORUM");
/// assert_eq!(Consistency::Quorum.replicas(3), 2);
/// assert_eq!(Consistency::All.replicas(3), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Consistency {
    /// One replica: the fastest, and the weakest (a read may miss a recent write).
    One,
    /// A majority of the replicas (`RF / 2 + 1`): survives a minority of nodes down.
    #[default]
    Quorum,
    /// Every replica: fails when any one of them is down.
    All,
}

impl Consistency {
    /// How many replicas must answer at this level when each row has `replication_factor`
    /// copies.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// assert_eq!(Consistency::One.replicas(3), 1);
    /// assert_eq!(Consistency::Quorum.replicas(5), 3);
    /// ```
    pub fn replicas(self, replication_factor: u32) -> u32 {
        match self {
            Consistency::One => 1.min(replication_factor),
            Consistency::Quorum => replication_factor / 2 + 1,
            Consistency::All => replication_factor,
        }
    }

    pub(crate) fn to_scylla(self) -> scylla::statement::Consistency {
        match self {
            Consistency::One => scylla::statement::Consistency::One,
            Consistency::Quorum => scylla::statement::Consistency::Quorum,
            Consistency::All => scylla::statement::Consistency::All,
        }
    }
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Consistency::One => "ONE",
            Consistency::Quorum => "QUORUM",
            Consistency::All => "ALL",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_counts_follow_cassandra() {
        // RF 1, 2, 3, 5: ONE needs 1, QUORUM floor(RF/2)+1, ALL RF.
        let table = [(1, 1, 1, 1), (2, 1, 2, 2), (3, 1, 2, 3), (5, 1, 3, 5)];
        for (rf, one, quorum, all) in table {
            assert_eq!(Consistency::One.replicas(rf), one);
            assert_eq!(Consistency::Quorum.replicas(rf), quorum);
            assert_eq!(Consistency::All.replicas(rf), all);
        }
        assert_eq!(Consistency::default(), Consistency::Quorum);
    }
}
