//! The keyspace and the `quotes` table: names checked before they go into DDL (identifiers
//! cannot be bound), created if absent, and checked when present.

use std::collections::HashMap;

use scylla::client::session::Session;

use super::super::errors::{StoreErrorKind, cassandra as store_error, from_scylla};
use crate::error::{Error, Result};
use crate::store::Consistency;

const OP: &str = "Store::cassandra";

/// A keyspace or table name: a letter, then up to 47 letters, digits or underscores (CQL's
/// unquoted identifiers; Cassandra folds them to lowercase, and so does this).
pub(super) fn identifier(name: &'static str, value: &str) -> Result<String> {
    let ok = value.len() <= 48
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(Error::InvalidParameter {
            operation: OP,
            name,
            value: format!("{value:?}"),
            rule: "a letter followed by at most 47 letters, digits or underscores",
        });
    }
    Ok(value.to_ascii_lowercase())
}

/// The replication of an existing keyspace: its replication factor (summed over data
/// centres for NetworkTopologyStrategy), or `None` if the keyspace does not exist.
async fn existing_replication(
    session: &Session,
    keyspace: &str,
    target: &str,
) -> Result<Option<u32>> {
    let fail = |e: &dyn std::error::Error| from_scylla(OP, target, Consistency::One, e);
    let result = session
        .query_unpaged(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
            (keyspace,),
        )
        .await
        .map_err(|e| fail(&e))?;
    let rows = result.into_rows_result().map_err(|e| fail(&e))?;
    let Some((replication,)) = rows
        .maybe_first_row::<(HashMap<String, String>,)>()
        .map_err(|e| fail(&e))?
    else {
        return Ok(None);
    };
    let rf = replication
        .iter()
        .filter(|(k, _)| k.as_str() != "class")
        .filter_map(|(_, v)| v.parse::<u32>().ok())
        .sum();
    Ok(Some(rf))
}

/// Creates the keyspace (SimpleStrategy, `replication_factor`) and the table if absent;
/// checks an existing keyspace's replication (when one was asked for) and an existing
/// table's columns. Returns the keyspace's replication factor.
pub(super) async fn ensure(
    session: &Session,
    keyspace: &str,
    table: &str,
    replication_factor: Option<u32>,
    target: &str,
) -> Result<u32> {
    let fail = |e: &dyn std::error::Error| from_scylla(OP, target, Consistency::One, e);
    let nodes = session.get_cluster_state().get_nodes_info().len().max(1) as u32;
    if let Some(rf) = replication_factor
        && rf > nodes
    {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "replication_factor",
            value: format!("{rf} (the cluster has {nodes} node(s))"),
            rule: "at most the number of nodes: each replica lives on another node",
        });
    }
    let rf = match existing_replication(session, keyspace, target).await? {
        Some(existing) => {
            if let Some(asked) = replication_factor
                && asked != existing
            {
                return Err(store_error(
                    OP,
                    target,
                    StoreErrorKind::Schema,
                    format!(
                        "keyspace `{keyspace}` exists with replication factor {existing}, not \
                         {asked}"
                    ),
                    format!(
                        "use another keyspace, leave replication_factor out to use this one, or \
                         change it with `ALTER KEYSPACE {keyspace} WITH replication = {{'class': \
                         'SimpleStrategy', 'replication_factor': {asked}}}` and then \
                         `services/cassandra.sh nodetool --nodes 3 repair {keyspace}`"
                    ),
                ));
            }
            existing
        }
        None => {
            let rf = replication_factor.unwrap_or(nodes.min(3));
            // Identifiers were checked by `identifier` and `rf` is a number: nothing here
            // comes unchecked from the user.
            let ddl = format!(
                "CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = \
                 {{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"
            );
            session.query_unpaged(ddl, ()).await.map_err(|e| fail(&e))?;
            rf
        }
    };
    let ddl = format!(
        "CREATE TABLE IF NOT EXISTS {keyspace}.{table} \
         (symbol text, ts timestamp, price double, PRIMARY KEY ((symbol), ts)) \
         WITH CLUSTERING ORDER BY (ts ASC)"
    );
    session.query_unpaged(ddl, ()).await.map_err(|e| fail(&e))?;
    check_columns(session, keyspace, table, target).await?;
    Ok(rf)
}

/// An existing table must have the quotes layout, or reads and writes would fail later with
/// a less useful message.
async fn check_columns(session: &Session, keyspace: &str, table: &str, target: &str) -> Result<()> {
    let fail = |e: &dyn std::error::Error| from_scylla(OP, target, Consistency::One, e);
    let result = session
        .query_unpaged(
            "SELECT column_name, kind, type, clustering_order FROM system_schema.columns \
             WHERE keyspace_name = ? AND table_name = ?",
            (keyspace, table),
        )
        .await
        .map_err(|e| fail(&e))?;
    let rows = result.into_rows_result().map_err(|e| fail(&e))?;
    let mut found: Vec<String> = Vec::new();
    for row in rows
        .rows::<(String, String, String, String)>()
        .map_err(|e| fail(&e))?
    {
        let (name, kind, ty, order) = row.map_err(|e| fail(&e))?;
        found.push(format!("{name} {ty} ({kind}, {order})"));
    }
    found.sort();
    let expected = [
        "price double (regular, none)",
        "symbol text (partition_key, none)",
        "ts timestamp (clustering, asc)",
    ];
    if found != expected {
        return Err(store_error(
            OP,
            target,
            StoreErrorKind::Schema,
            format!(
                "table `{keyspace}.{table}` exists with columns {}, not the quotes layout {}",
                found.join(", "),
                expected.join(", ")
            ),
            "use another keyspace or table name (`.table(\"…\")`), or drop that table".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_and_folded() {
        assert_eq!(identifier("keyspace", "Course_1").unwrap(), "course_1");
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "ks; DROP TABLE x",
            "é",
            &"a".repeat(49),
        ] {
            let err = identifier("keyspace", bad).unwrap_err().to_string();
            assert!(
                err.starts_with("Store::cassandra: keyspace should be a letter"),
                "{err}"
            );
        }
    }
}
