//! [`CassandraBuilder`]: the options of a Cassandra store (replication, consistency, login,
//! timeouts, write batching), then [`build`](CassandraBuilder::build).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVerifyMode};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::policies::timestamp_generator::MonotonicTimestampGenerator;
use scylla::statement::prepared::PreparedStatement;

use super::super::errors::{
    StoreErrorKind, cassandra as store_error, connect_timeout, from_scylla,
};
use super::{Cassandra, schema};
use crate::error::{Error, Result};
use crate::store::{Backend, Consistency, Store};

/// The options of a Cassandra store, made by
/// [`Store::cassandra_builder`](crate::store::Store::cassandra_builder); every option has a
/// default, and [`build`](CassandraBuilder::build) connects.
///
/// | option | default |
/// |---|---|
/// | [`table`](Self::table) | `quotes` |
/// | [`replication_factor`](Self::replication_factor) | the number of nodes, at most 3 (used only to create the keyspace) |
/// | [`consistency`](Self::consistency) | `Quorum` |
/// | [`credentials`](Self::credentials) | none (`AllowAllAuthenticator`) |
/// | [`tls_ca_file`](Self::tls_ca_file) | none (clear text) |
/// | [`connect_timeout`](Self::connect_timeout) | 5 s |
/// | [`batch_rows`](Self::batch_rows) | 100 rows per single-partition batch |
/// | [`concurrency`](Self::concurrency) | 32 requests in flight |
/// | [`page_rows`](Self::page_rows) | 10,000 rows per page of a read |
///
/// ```
/// use eddy::prelude::*;
/// use std::time::Duration;
///
/// let builder = Store::cassandra_builder(&["127.0.0.1:1"], "course")
///     .replication_factor(3)
///     .consistency(Consistency::Quorum)
///     .credentials("cassandra", "cassandra")
///     .connect_timeout(Duration::from_secs(2));
/// assert!(!format!("{builder:?}").contains("\"cassandra\", \"cassandra\"")); // password hidden
/// assert!(builder.build().is_err());                      // nothing listens on port 1
/// ```
#[derive(Clone)]
pub struct CassandraBuilder {
    nodes: Vec<String>,
    keyspace: String,
    table: String,
    replication_factor: Option<u32>,
    consistency: Consistency,
    credentials: Option<(String, String)>,
    tls_ca_file: Option<PathBuf>,
    connect_timeout: Duration,
    batch_rows: usize,
    concurrency: usize,
    page_rows: i32,
}

impl std::fmt::Debug for CassandraBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CassandraBuilder")
            .field("nodes", &self.nodes)
            .field("keyspace", &self.keyspace)
            .field("table", &self.table)
            .field("replication_factor", &self.replication_factor)
            .field("consistency", &self.consistency)
            .field(
                "username",
                &self.credentials.as_ref().map(|(user, _)| user.as_str()),
            )
            .field("tls_ca_file", &self.tls_ca_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("batch_rows", &self.batch_rows)
            .field("concurrency", &self.concurrency)
            .field("page_rows", &self.page_rows)
            .finish()
    }
}

/// `host` → `host:9042`; `host:port` and `[v6]:port` stay as they are.
fn with_port(node: &str) -> String {
    let node = node.trim();
    let has_port = match node.rsplit_once(':') {
        Some((host, port)) => {
            port.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    };
    if has_port {
        node.to_string()
    } else if node.contains(':') && !node.starts_with('[') {
        format!("[{node}]:9042") // a bare IPv6 address
    } else {
        format!("{node}:9042")
    }
}

impl CassandraBuilder {
    pub(crate) fn new(nodes: &[&str], keyspace: &str) -> CassandraBuilder {
        CassandraBuilder {
            nodes: nodes
                .iter()
                .filter(|n| !n.trim().is_empty())
                .map(|n| with_port(n))
                .collect(),
            keyspace: keyspace.to_string(),
            table: "quotes".to_string(),
            replication_factor: None,
            consistency: Consistency::default(),
            credentials: None,
            tls_ca_file: None,
            connect_timeout: Duration::from_secs(5),
            batch_rows: 100,
            concurrency: 32,
            page_rows: 10_000,
        }
    }

    /// The table's name (default `quotes`), a CQL identifier.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").table("ticks");
    /// assert!(format!("{builder:?}").contains("\"ticks\""));
    /// ```
    pub fn table(mut self, name: &str) -> CassandraBuilder {
        self.table = name.to_string();
        self
    }

    /// How many copies of each row the keyspace keeps, when this store creates it
    /// (`SimpleStrategy`). Default: the number of nodes, at most 3. An existing keyspace
    /// keeps its own; asking for another factor than it has is an error rather than a silent
    /// `ALTER` (which would need a repair to take effect).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.3.1", "127.0.3.2"], "course").replication_factor(3);
    /// assert!(format!("{builder:?}").contains("replication_factor: Some(3)"));
    /// ```
    pub fn replication_factor(mut self, copies: u32) -> CassandraBuilder {
        self.replication_factor = Some(copies);
        self
    }

    /// The consistency level of the store's reads and writes (default `Quorum`); change it
    /// for some calls with [`Store::with_consistency`](crate::store::Store::with_consistency).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").consistency(Consistency::One);
    /// assert!(format!("{builder:?}").contains("One"));
    /// ```
    pub fn consistency(mut self, level: Consistency) -> CassandraBuilder {
        self.consistency = level;
        self
    }

    /// Logs in with a username and password (Cassandra's `PasswordAuthenticator`; a node
    /// started with `services/cassandra.sh start --auth` has the superuser
    /// `cassandra`/`cassandra`). The password is sent only during the handshake and never
    /// shown by `Debug`.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").credentials("analyst", "s3cret");
    /// let shown = format!("{builder:?}");
    /// assert!(shown.contains("analyst") && !shown.contains("s3cret"));
    /// ```
    pub fn credentials(mut self, username: &str, password: &str) -> CassandraBuilder {
        self.credentials = Some((username.to_string(), password.to_string()));
        self
    }

    /// Encrypts the connections with TLS (the node's `client_encryption_options`), trusting
    /// the certificate authority in `path` (PEM): a node whose certificate that CA did not
    /// sign is refused. `services/cassandra.sh start --tls` runs such a node and writes its CA
    /// to `$EDDY_HOME/services/cassandra/tls/ca.pem`. Through OpenSSL (the system's
    /// libssl), the scylla driver's `openssl-010` feature.
    ///
    /// ```
    /// use eddy::prelude::*;
    /// use eddy::store::StoreErrorKind;
    ///
    /// // A CA file that does not exist is a configuration error, before any connection.
    /// let err = Store::cassandra_builder(&["127.0.0.1"], "course")
    ///     .tls_ca_file("/nonexistent/ca.pem")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, eddy::Error::Store { kind: StoreErrorKind::Config, .. }));
    /// assert!(err.to_string().contains("ca.pem"));
    /// ```
    pub fn tls_ca_file(mut self, path: &str) -> CassandraBuilder {
        self.tls_ca_file = Some(PathBuf::from(path));
        self
    }

    /// How long [`build`](Self::build) waits for a node to answer before it gives up
    /// (default 5 s).
    ///
    /// ```
    /// use eddy::prelude::*;
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let err = Store::cassandra_builder(&["127.0.0.1:1"], "course")
    ///     .connect_timeout(Duration::from_secs(1))
    ///     .build();
    /// assert!(err.is_err() && t0.elapsed() < Duration::from_secs(3));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> CassandraBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Rows per unlogged batch in a write (default 100). A batch only ever holds rows of one
    /// partition (symbol), which Cassandra applies as one mutation; `1` sends one `INSERT`
    /// per row instead.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").batch_rows(1);
    /// assert!(format!("{builder:?}").contains("batch_rows: 1"));
    /// ```
    pub fn batch_rows(mut self, rows: usize) -> CassandraBuilder {
        self.batch_rows = rows;
        self
    }

    /// The most requests a write or a scan keeps in flight at once (default 32).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").concurrency(64);
    /// assert!(format!("{builder:?}").contains("concurrency: 64"));
    /// ```
    pub fn concurrency(mut self, requests: usize) -> CassandraBuilder {
        self.concurrency = requests;
        self
    }

    /// Rows per page of a read (default 10,000: about 300 KB of quotes, few enough round
    /// trips that a scan runs at the bare driver's speed; smaller pages use less memory per
    /// request on the nodes).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.0.1"], "course").page_rows(1_000);
    /// assert!(format!("{builder:?}").contains("page_rows: 1000"));
    /// ```
    pub fn page_rows(mut self, rows: i32) -> CassandraBuilder {
        self.page_rows = rows;
        self
    }

    fn check(&self) -> Result<(String, String)> {
        const OP: &str = "Store::cassandra";
        let invalid = |name, value: String, rule| Error::InvalidParameter {
            operation: OP,
            name,
            value,
            rule,
        };
        if self.nodes.is_empty() {
            return Err(invalid(
                "nodes",
                "empty".into(),
                "at least one contact point, e.g. &[\"127.0.0.1:9042\"]",
            ));
        }
        if self.replication_factor == Some(0) {
            return Err(invalid("replication_factor", "0".into(), "at least 1"));
        }
        if !(1..=10_000).contains(&self.batch_rows) {
            return Err(invalid(
                "batch_rows",
                self.batch_rows.to_string(),
                "from 1 to 10000",
            ));
        }
        if !(1..=4096).contains(&self.concurrency) {
            return Err(invalid(
                "concurrency",
                self.concurrency.to_string(),
                "from 1 to 4096",
            ));
        }
        if !(1..=1_000_000).contains(&self.page_rows) {
            return Err(invalid(
                "page_rows",
                self.page_rows.to_string(),
                "from 1 to 1000000",
            ));
        }
        if self.connect_timeout.is_zero() {
            return Err(invalid("connect_timeout", "0 s".into(), "longer than zero"));
        }
        Ok((
            schema::identifier("keyspace", &self.keyspace)?,
            schema::identifier("table", &self.table)?,
        ))
    }

    /// Connects, creates the keyspace and table if they are absent (checking them if they
    /// are there), and prepares the statements.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for an option out of range or a keyspace or table name
    /// that is not a CQL identifier; [`Error::Store`] when no node answers within the
    /// connection timeout (`kind` `Connect`), the login is refused (`Auth`), the keyspace or
    /// table exists with another layout (`Schema`), or TLS is asked for (`Config`).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let err = Store::cassandra_builder(&["127.0.0.1:1"], "no-dashes").build().unwrap_err();
    /// assert!(err.to_string().contains("keyspace should be a letter"));
    /// ```
    pub fn build(&self) -> Result<Store> {
        const OP: &str = "Store::cassandra";
        let (keyspace, table) = self.check()?;
        let target = format!("{}, keyspace `{keyspace}`", self.nodes.join(", "));
        let tls = match &self.tls_ca_file {
            Some(path) => Some(tls_context(OP, &target, path)?),
            None => None,
        };
        let cassandra = super::super::run(self.connect(&keyspace, &table, &target, tls))?;
        Ok(Store {
            backend: Backend::Cassandra(Arc::new(cassandra)),
            consistency: self.consistency,
        })
    }

    async fn connect(
        &self,
        keyspace: &str,
        table: &str,
        target: &str,
        tls: Option<SslContext>,
    ) -> Result<Cassandra> {
        const OP: &str = "Store::cassandra";
        let mut builder = SessionBuilder::new()
            .known_nodes(&self.nodes)
            .connection_timeout(self.connect_timeout)
            .hostname_resolution_timeout(Some(self.connect_timeout))
            // Client-side timestamps that never go back: of two writes to one row from this
            // store, the later always wins, even across coordinators.
            .timestamp_generator(Arc::new(MonotonicTimestampGenerator::new()));
        if let Some((user, password)) = &self.credentials {
            builder = builder.user(user, password);
        }
        if tls.is_some() {
            builder = builder.tls_context(tls);
        }
        let t0 = Instant::now();
        // The driver's own errors are more precise; this bounds the wait when they are slow.
        let guard = self.connect_timeout + Duration::from_millis(500);
        let session: Session = match tokio::time::timeout(guard, builder.build()).await {
            Ok(Ok(session)) => session,
            Ok(Err(e)) => return Err(from_scylla(OP, target, self.consistency, &e)),
            Err(_) => return Err(connect_timeout(OP, target, t0.elapsed().as_secs_f64())),
        };
        let replication_factor =
            schema::ensure(&session, keyspace, table, self.replication_factor, target).await?;
        let prepare = |cql: String| {
            let session = &session;
            async move {
                let mut statement: PreparedStatement = session
                    .prepare(cql)
                    .await
                    .map_err(|e| from_scylla(OP, target, self.consistency, &e))?;
                statement.set_is_idempotent(true);
                statement.set_page_size(self.page_rows);
                Ok::<_, Error>(statement)
            }
        };
        let qualified = format!("{keyspace}.{table}");
        Ok(Cassandra {
            insert: prepare(format!(
                "INSERT INTO {qualified} (symbol, ts, price) VALUES (?, ?, ?)"
            ))
            .await?,
            select_range: prepare(format!(
                "SELECT ts, price FROM {qualified} WHERE symbol = ? AND ts >= ? AND ts <= ?"
            ))
            .await?,
            select_tokens: prepare(format!(
                "SELECT symbol, ts, price FROM {qualified} \
                 WHERE token(symbol) > ? AND token(symbol) <= ?"
            ))
            .await?,
            count_tokens: prepare(format!(
                "SELECT count(*) FROM {qualified} WHERE token(symbol) > ? AND token(symbol) <= ?"
            ))
            .await?,
            select_symbols: prepare(format!("SELECT DISTINCT symbol FROM {qualified}")).await?,
            session: Arc::new(session),
            target: target.to_string(),
            keyspace: keyspace.to_string(),
            table: table.to_string(),
            replication_factor,
            batch_rows: self.batch_rows,
            concurrency: self.concurrency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_points_get_the_default_port() {
        assert_eq!(with_port("127.0.0.1"), "127.0.0.1:9042");
        assert_eq!(with_port(" 127.0.3.2:9043 "), "127.0.3.2:9043");
        assert_eq!(with_port("localhost"), "localhost:9042");
        assert_eq!(with_port("::1"), "[::1]:9042");
        assert_eq!(with_port("[::1]:9000"), "[::1]:9000");
    }

    #[test]
    fn options_are_checked_before_connecting() {
        let bad = [
            Store::cassandra_builder(&[], "course"),
            Store::cassandra_builder(&["127.0.0.1"], "course").replication_factor(0),
            Store::cassandra_builder(&["127.0.0.1"], "course").batch_rows(0),
            Store::cassandra_builder(&["127.0.0.1"], "course").concurrency(0),
            Store::cassandra_builder(&["127.0.0.1"], "course").page_rows(0),
            Store::cassandra_builder(&["127.0.0.1"], "course").connect_timeout(Duration::ZERO),
            Store::cassandra_builder(&["127.0.0.1"], "course").table("quotes; DROP"),
        ];
        for builder in bad {
            let err = builder.build().unwrap_err();
            assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        }
    }
}

/// An OpenSSL client context that trusts only the CA certificates in `path` (PEM).
fn tls_context(
    operation: &'static str,
    target: &str,
    path: &std::path::Path,
) -> Result<SslContext> {
    let fail = |what: String| {
        store_error(
            operation,
            target,
            StoreErrorKind::Config,
            format!("TLS: cannot use the CA file {}: {what}", path.display()),
            "give the PEM file of the certificate authority that signed the nodes' \
             certificates (services/cassandra.sh start --tls writes \
             $EDDY_HOME/services/cassandra/tls/ca.pem)"
                .into(),
        )
    };
    if !path.is_file() {
        return Err(fail("no such file".into()));
    }
    let mut builder =
        SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| fail(e.to_string()))?;
    builder
        .set_ca_file(path)
        .map_err(|e| fail(format!("not a PEM certificate file ({e})")))?;
    builder.set_verify(SslVerifyMode::PEER);
    Ok(builder.build())
}
