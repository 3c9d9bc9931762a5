//! Tests against the real broker (`services/kafka.sh start`), `#[ignore]`d: run them with
//! `EDDY_KAFKA=127.0.0.1:9092 cargo test … --lib stream -- --ignored`.
