//! [`Spark`]: a connection to a Spark Connect server, and the ways data gets into Spark.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polars::prelude::*;
use spark_connect::{SparkSession, SparkSessionBuilder};

use super::call::{START_HINT, call, needs_reconnect, spark_error};
use super::frame::SparkFrame;
use crate::error::{Error, Result};

/// The Spark Connect server of `services/spark.sh start`.
pub const DEFAULT_SPARK_URL: &str = "sc://127.0.0.1:15002";

/// Rows [`SparkFrame::collect`] brings into the kernel unless raised with
/// [`Spark::set_max_rows`].
pub const DEFAULT_MAX_ROWS: usize = 1_000_000;

/// How long connecting may take before the call gives up (the issue's 10 s, with margin).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);

/// A session on a Spark Connect server: SQL, readers, uploads of polars frames.
///
/// Cheap to clone (clones share the session). Calls block the cell until Spark answers and
/// stop on Jupyter's ■, cancelling the query on the server. If the server restarts, the
/// call that notices fails with a clear error and the next call opens a new session.
///
/// ```no_run
/// use eddy::prelude::*;
///
/// let spark = spark("sc://127.0.0.1:15002")?;          // services/spark.sh start
/// let quotes = spark.read_parquet("/data/quotes")?;
/// let daily = quotes.group_by(&["symbol"]).agg(&["avg(price) AS mean", "count(*) AS n"]);
/// let local: DataFrame = daily.collect()?;              // a polars DataFrame
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone)]
pub struct Spark {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    session: Mutex<SparkSession>,
    stale: AtomicBool,
    max_rows: AtomicUsize,
    upload_dir: Mutex<String>,
}

/// Where [`Spark::from_polars`] puts uploads unless told otherwise: the driver's local disk,
/// which `services/spark.sh` allows (`spark.sql.artifact.copyFromLocalToFs.allowDestLocal`).
pub const DEFAULT_UPLOAD_DIR: &str = "/tmp/eddy-spark-upload";

/// Connects to the Spark Connect server at `url` (`sc://host:port`, with `;token=…` or
/// `;use_ssl=true` parameters as in PySpark), checking within 10 s that it answers.
///
/// # Errors
///
/// [`Error::Spark`] naming `services/spark.sh start` if nothing answers at `url`;
/// [`Error::InvalidParameter`] if `url` is not an `sc://` URL.
pub fn spark(url: &str) -> Result<Spark> {
    Spark::connect(url)
}

/// [`spark`] at `$EDDY_SPARK` if set, else at [`DEFAULT_SPARK_URL`].
pub fn spark_default() -> Result<Spark> {
    let url = std::env::var("EDDY_SPARK").unwrap_or_else(|_| DEFAULT_SPARK_URL.to_string());
    Spark::connect(&url)
}

impl Spark {
    /// See [`spark`].
    pub fn connect(url: &str) -> Result<Spark> {
        const OP: &str = "spark";
        let (host, port) = host_port(url)?;
        // A refused TCP connection is known at once; the client's own retries would take
        // much longer to say so.
        let reachable = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok());
        if !reachable {
            return Err(Error::Spark {
                operation: OP,
                class: None,
                message: format!("no Spark Connect server answers at {url} ({host}:{port})"),
                hint: START_HINT.into(),
            });
        }
        let session = open(OP, url)?;
        let spark = Spark {
            inner: Arc::new(Inner {
                url: url.to_string(),
                session: Mutex::new(session),
                stale: AtomicBool::new(false),
                max_rows: AtomicUsize::new(DEFAULT_MAX_ROWS),
                upload_dir: Mutex::new(DEFAULT_UPLOAD_DIR.to_string()),
            }),
        };
        spark.version()?;
        Ok(spark)
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The server's Spark version, e.g. `4.3.0`.
    pub fn version(&self) -> Result<String> {
        self.run("Spark::version", Some(CONNECT_TIMEOUT), |s| s.version())
    }

    /// The rows [`SparkFrame::collect`] may bring into the kernel (default 1,000,000).
    pub fn max_rows(&self) -> usize {
        self.inner.max_rows.load(Ordering::Relaxed)
    }

    /// Raises (or lowers) the row limit of [`SparkFrame::collect`] for this session.
    pub fn set_max_rows(&self, rows: usize) {
        self.inner.max_rows.store(rows, Ordering::Relaxed);
    }

    /// Where [`from_polars`](Spark::from_polars) stages uploads on the server's side: a
    /// directory every executor can read. The default, the driver's local `/tmp`, suits a
    /// cluster on one machine (the project's); on a real cluster give shared storage
    /// (`hdfs://…`, `s3a://…`). A local path needs the server started with
    /// `spark.sql.artifact.copyFromLocalToFs.allowDestLocal=true`, which lets clients write
    /// files on the driver: only for a server that trusted users alone can reach (the
    /// project's binds to 127.0.0.1).
    pub fn set_upload_dir(&self, dir: &str) {
        *self
            .inner
            .upload_dir
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            dir.trim_end_matches('/').to_string();
    }

    /// A frame from a Spark SQL query (lazy: nothing runs until it is collected).
    ///
    /// # Errors
    ///
    /// [`Error::Spark`] with Spark's error class if the query does not parse or resolve.
    pub fn sql(&self, query: &str) -> Result<SparkFrame> {
        let q = query.to_string();
        let df = self.run("Spark::sql", None, move |s| s.sql(&q))?;
        Ok(SparkFrame::new(
            self.clone(),
            df,
            format!("sql: {}", one_line(query)),
        ))
    }

    /// The integers `0..end` in a column `id`, generated inside Spark.
    pub fn range(&self, end: i64) -> Result<SparkFrame> {
        let df = self.run("Spark::range", None, move |s| s.range(end))?;
        Ok(SparkFrame::new(
            self.clone(),
            df,
            format!("range(0, {end})"),
        ))
    }

    /// Parquet files (a file or a directory, partitioned directories included) as a frame.
    /// The path is read by Spark, so it must be visible to the cluster.
    pub fn read_parquet(&self, path: impl AsRef<Path>) -> Result<SparkFrame> {
        let path = path.as_ref().display().to_string();
        let df = self.session().read().parquet(&path);
        Ok(SparkFrame::new(
            self.clone(),
            df,
            format!("read parquet {path}"),
        ))
    }

    /// CSV files with a header row, column types inferred by Spark.
    pub fn read_csv(&self, path: impl AsRef<Path>) -> Result<SparkFrame> {
        let path = path.as_ref().display().to_string();
        let df = self
            .session()
            .read()
            .option("header", "true")
            .option("inferSchema", "true")
            .csv(&path);
        Ok(SparkFrame::new(
            self.clone(),
            df,
            format!("read csv {path}"),
        ))
    }

    /// Uploads a polars frame to Spark: written as Parquet (Arrow columns, no per-row
    /// conversion), streamed to the server in 32 KiB chunks through Spark Connect's
    /// artifact RPC (`copyFromLocalToFs`), and read there. Works with a remote server; the
    /// files go to [`set_upload_dir`](Spark::set_upload_dir)'s directory.
    ///
    /// # Errors
    ///
    /// [`Error::Spark`] if the server refuses the upload; [`Error::Polars`] if the frame
    /// cannot be written as Parquet.
    pub fn from_polars(&self, df: &DataFrame) -> Result<SparkFrame> {
        const OP: &str = "Spark::from_polars";
        let id = uuid_like();
        let local = std::env::temp_dir().join(format!("eddy-upload-{id}.parquet"));
        let dir = self
            .inner
            .upload_dir
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let dest = format!("{dir}/{id}.parquet");
        let mut frame = df.clone();
        {
            let file = std::fs::File::create(&local).map_err(|source| Error::Io {
                operation: OP,
                path: local.clone(),
                source,
            })?;
            ParquetWriter::new(file)
                .with_compression(ParquetCompression::Uncompressed)
                .finish(&mut frame)?;
        }
        let (l, d) = (local.display().to_string(), dest.clone());
        let uploaded = self.run(OP, None, move |s| s.copy_from_local_to_fs(&l, &d));
        let _ = std::fs::remove_file(&local);
        if let Err(Error::Spark { class, message, .. }) = &uploaded {
            if message.contains("local file system destination") {
                return Err(Error::Spark {
                    operation: OP,
                    class: class.clone(),
                    message: message.clone(),
                    hint: format!(
                        "the server does not accept uploads to its local disk ({dir}): give a \
                         directory on the cluster's shared storage with \
                         `spark.set_upload_dir(\"hdfs://…/tmp\")`, or start the server with \
                         spark.sql.artifact.copyFromLocalToFs.allowDestLocal=true (services/spark.sh does)"
                    ),
                });
            }
        }
        uploaded?;
        let out = self.session().read().parquet(&dest);
        Ok(SparkFrame::new(
            self.clone(),
            out,
            format!("from_polars({} rows × {} columns)", df.height(), df.width()),
        ))
    }

    /// Cancels every running query of this session on the server.
    pub fn interrupt_all(&self) -> Result<Vec<String>> {
        let session = self.session();
        session
            .interrupt_all()
            .map_err(|e| spark_error("Spark::interrupt_all", e))
    }

    /// The current client session, reopened if the last call found the server restarted.
    pub(crate) fn session(&self) -> SparkSession {
        let mut guard = self
            .inner
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.inner.stale.swap(false, Ordering::SeqCst) {
            if let Ok(fresh) = open("spark", &self.inner.url) {
                *guard = fresh;
            }
        }
        guard.clone()
    }

    /// Runs a blocking call (see [`call`]); an error that means the server restarted marks
    /// the session for reopening by the next call.
    pub(crate) fn run<T, F>(
        &self,
        operation: &'static str,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&SparkSession) -> spark_connect::Result<T> + Send + 'static,
    {
        let result = call(operation, &self.session(), timeout, f);
        if let Err(e) = &result {
            if needs_reconnect(e) {
                self.inner.stale.store(true, Ordering::SeqCst);
            }
        }
        result
    }
}

impl std::fmt::Debug for Spark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spark({})", self.inner.url)
    }
}

fn open(operation: &'static str, url: &str) -> Result<SparkSession> {
    let session = SparkSessionBuilder::new()
        .remote(url)
        .get_or_create()
        .map_err(|e| spark_error(operation, e))?;
    // `corr` and `ols` aggregate (k+1)(k+2)/2 sums at once (231 for 20 columns): past
    // Spark's default of 100 fields an aggregation is not compiled to Java code but
    // interpreted, 2–3× slower (measured in docs/spark.md).
    session
        .conf()
        .set("spark.sql.codegen.maxFields", CODEGEN_MAX_FIELDS)
        .map_err(|e| spark_error(operation, e))?;
    Ok(session)
}

/// The session's `spark.sql.codegen.maxFields`: whole-stage code generation up to this many
/// fields (Spark's default is 100).
const CODEGEN_MAX_FIELDS: &str = "2000";

/// `sc://host:port/;params` → (host, port); the port defaults to 15002 as in PySpark.
fn host_port(url: &str) -> Result<(String, u16)> {
    let bad = || Error::InvalidParameter {
        operation: "spark",
        name: "url",
        value: format!("{url:?}"),
        rule: "a Spark Connect URL such as \"sc://127.0.0.1:15002\"",
    };
    let rest = url.strip_prefix("sc://").ok_or_else(bad)?;
    let authority = rest.split(['/', ';']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(bad());
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), port.parse().map_err(|_| bad())?)),
        None => Ok((authority.to_string(), 15002)),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name unique to this process and moment, for uploads (no `uuid` dependency for this).
fn uuid_like() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            host_port("sc://127.0.0.1:15002").unwrap(),
            ("127.0.0.1".into(), 15002)
        );
        assert_eq!(
            host_port("sc://spark.example/;token=x").unwrap(),
            ("spark.example".into(), 15002)
        );
        assert!(host_port("http://127.0.0.1:15002").is_err());
        assert!(host_port("sc://").is_err());
    }

    #[test]
    fn nothing_listening_fails_fast_naming_the_script() {
        let t0 = std::time::Instant::now();
        let err = spark("sc://127.0.0.1:1").unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(10));
        assert!(err.to_string().contains("services/spark.sh start"), "{err}");
    }
}
