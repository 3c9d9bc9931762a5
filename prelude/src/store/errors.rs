//! [`StoreErrorKind`] and the translation of the drivers' errors (scylla, rusqlite) into
//! [`Error::Store`] with a hint on what to do.

use crate::error::Error;
use crate::store::Consistency;

/// What kind of failure an [`Error::Store`] is.
///
/// ```
/// use eddy::prelude::*;
/// use eddy::store::StoreErrorKind;
///
/// let err = Store::cassandra(&["127.0.0.1:1"], "course").unwrap_err();
/// assert!(matches!(err, eddy::Error::Store { kind: StoreErrorKind::Connect, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// No node answered: none is running at the contact points, or none is reachable in time.
    Connect,
    /// The cluster refused the login (wrong or missing username/password) or the permission.
    Auth,
    /// Fewer replicas are alive than the consistency level needs (Cassandra's `Unavailable`).
    Unavailable,
    /// Replicas did not answer in time (a node that just went down, or an overloaded one).
    Timeout,
    /// The keyspace or table exists with another layout or replication than asked for.
    Schema,
    /// An option that cannot work in this build or with these values (e.g. TLS).
    Config,
    /// The server or the file refused a statement for another reason.
    Query,
    /// The embedded store's file cannot be opened, read or written.
    File,
}

/// Builds an [`Error::Store`] for Cassandra.
pub(crate) fn cassandra(
    operation: &'static str,
    target: &str,
    kind: StoreErrorKind,
    message: String,
    hint: String,
) -> Error {
    Error::Store {
        operation,
        backend: "cassandra",
        target: target.to_string(),
        message,
        hint,
        kind,
    }
}

const START_HINT: &str = "start a node with `services/cassandra.sh start` (three nodes: \
     `services/cassandra.sh start --nodes 3`) and check the contact points (host:port, 9042 by \
     default); `services/cassandra.sh status` shows what runs";

/// Classifies a scylla driver error by its message (the driver nests the server's error
/// several levels deep, in types that differ per call) and names the fix.
pub(crate) fn from_scylla(
    operation: &'static str,
    target: &str,
    consistency: Consistency,
    error: &dyn std::error::Error,
) -> Error {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = inner.source();
    }
    let lower = message.to_lowercase();
    let (kind, hint) = if lower.contains("not enough nodes are alive") {
        (
            StoreErrorKind::Unavailable,
            format!(
                "consistency {consistency} needs more replicas than are up: restart the node that \
                 is down (`services/cassandra.sh start-node --nodes 3 N`), or use a level that \
                 the live nodes can meet, e.g. `store.with_consistency(Consistency::Quorum)`"
            ),
        )
    } else if lower.contains("responded to the read request in time")
        || lower.contains("responded to the write request in time")
        || (lower.contains("request timeout") && !is_connect(&lower))
    {
        (
            StoreErrorKind::Timeout,
            format!(
                "too few replicas answered in time for consistency {consistency}: a node may \
                 have just gone down (its peers notice after about 20 s, then {consistency} \
                 fails at once or succeeds without it); retry, or lower the consistency"
            ),
        )
    } else if lower.contains("authentication") || lower.contains("bad credentials") {
        (
            StoreErrorKind::Auth,
            "give the right username and password with \
             `Store::cassandra_builder(nodes, keyspace).credentials(user, password)`; a node \
             started with `services/cassandra.sh start --auth` has the superuser \
             cassandra/cassandra"
                .to_string(),
        )
    } else if lower.contains("unauthorized") || lower.contains("doesn't have the right") {
        (
            StoreErrorKind::Auth,
            "the user lacks a permission: GRANT it (e.g. `GRANT ALL ON KEYSPACE k TO user`) \
             or log in as a superuser"
                .to_string(),
        )
    } else if is_connect(&lower) {
        (StoreErrorKind::Connect, START_HINT.to_string())
    } else if lower.contains("timed out") || lower.contains("timeout") {
        (
            StoreErrorKind::Timeout,
            format!(
                "the cluster did not answer in time at consistency {consistency}: it may be \
                 overloaded or a node may have just gone down; retry, or lower the consistency"
            ),
        )
    } else {
        (
            StoreErrorKind::Query,
            "the node's log says more: `services/cassandra.sh status` shows the nodes; logs are \
             under $EDDY_HOME/services/cassandra"
                .to_string(),
        )
    };
    cassandra(operation, target, kind, message, hint)
}

fn is_connect(lower: &str) -> bool {
    [
        "connection refused",
        "could not connect",
        "connection pool",
        "connecttimeout",
        "connect timeout",
        "failed to resolve",
        "unreachable",
        "broken connection",
        "no connections",
        "empty query plan",
        "plan was empty",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// The error for a cluster that did not answer at all within the connection timeout.
pub(crate) fn connect_timeout(operation: &'static str, target: &str, seconds: f64) -> Error {
    cassandra(
        operation,
        target,
        StoreErrorKind::Connect,
        format!("no node answered within {seconds:.1} s"),
        START_HINT.to_string(),
    )
}

/// Builds an [`Error::Store`] for the embedded SQLite file.
pub(crate) fn from_sqlite(operation: &'static str, path: &str, error: rusqlite::Error) -> Error {
    let message = error.to_string();
    let lower = message.to_lowercase();
    let hint = if lower.contains("locked") || lower.contains("busy") {
        "another process is writing the same file and held its lock for 5 s: wait for it, or \
         give each process its own file"
    } else if lower.contains("unable to open") || lower.contains("readonly") {
        "check that the directory exists and is writable, or use `Store::embedded_in_memory()`"
    } else if lower.contains("not a database") || lower.contains("malformed") {
        "the file is not an eddy store (or is damaged): give another path"
    } else {
        "the file may be damaged or written by another program: give another path"
    };
    Error::Store {
        operation,
        backend: "sqlite",
        target: path.to_string(),
        message,
        hint: hint.to_string(),
        kind: StoreErrorKind::File,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fake(&'static str);
    impl std::fmt::Display for Fake {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Fake {}

    fn kind(message: &'static str) -> (StoreErrorKind, String) {
        match from_scylla("write", "127.0.0.1:9042", Consistency::All, &Fake(message)) {
            Error::Store { kind, hint, .. } => (kind, hint),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn driver_messages_get_a_kind_and_a_hint() {
        // The messages are the scylla driver's (DbError's Display in scylla-cql-core 1.9).
        let (k, hint) = kind(
            "Database returned an error: Not enough nodes are alive to satisfy required \
             consistency level (consistency: All, required: 3, alive: 2), Error message: ...",
        );
        assert_eq!(k, StoreErrorKind::Unavailable);
        assert!(
            hint.contains("consistency ALL") && hint.contains("start-node"),
            "{hint}"
        );
        let (k, _) = kind(
            "Not enough nodes responded to the write request in time to satisfy required \
             consistency level (consistency: All, received: 2, required: 3, write_type: Simple)",
        );
        assert_eq!(k, StoreErrorKind::Timeout);
        assert_eq!(
            kind("Authentication failed - bad credentials").0,
            StoreErrorKind::Auth
        );
        let (k, hint) = kind("Control connection pool error: Connection refused (os error 111)");
        assert_eq!(k, StoreErrorKind::Connect);
        assert!(hint.contains("services/cassandra.sh start"), "{hint}");
        assert_eq!(kind("something else").0, StoreErrorKind::Query);
    }

    #[test]
    fn messages_name_operation_backend_and_target() {
        let err = connect_timeout("Store::cassandra", "10.0.0.1:9042, keyspace `course`", 5.0);
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "Store::cassandra: cassandra at 10.0.0.1:9042, keyspace `course`: no node \
                 answered within 5.0 s (hint: start a node with `services/cassandra.sh start`"
            ),
            "{msg}"
        );
    }
}
