//! Reading requests off a socket: framing and HMAC checks are jupyter-zmq-client's
//! (`RawMessage::from_multipart`); the JSON decoding is ours so that a request with a missing
//! optional field (e.g. `history_request` without `stop`, as `jupyter_client` sends it) gets the
//! protocol's default instead of being dropped unanswered.

use jupyter_protocol::{Header, JupyterMessage, JupyterMessageContent};
use jupyter_zmq_client::{Connection, RawMessage};
use serde_json::{Map, Value, json};
use zeromq::SocketRecv;

/// Why a received message could not be turned into a request.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The socket itself failed; the caller should back off before reading again.
    #[error("socket error: {0}")]
    Socket(#[from] zeromq::ZmqError),
    /// Bad framing or signature: the message is dropped.
    #[error("bad frames or signature: {0}")]
    Frames(#[from] jupyter_zmq_client::RuntimeError),
    /// The frames are fine but the JSON is not a message we understand.
    #[error("undecodable {msg_type}: {reason}")]
    Decode { msg_type: String, reason: String },
}

/// Receives one request from `conn`.
pub async fn recv<S: SocketRecv>(conn: &mut Connection<S>) -> Result<JupyterMessage, WireError> {
    let multipart = conn.socket.recv().await?;
    let raw = RawMessage::from_multipart(multipart, &conn.mac)?;
    decode(raw)
}

/// Decodes the JSON parts of a verified raw message.
pub fn decode(raw: RawMessage) -> Result<JupyterMessage, WireError> {
    let bad = |msg_type: &str, reason: String| WireError::Decode {
        msg_type: msg_type.to_string(),
        reason,
    };
    let [header, parent, metadata, content] = match raw.jparts.get(..4) {
        Some([h, p, m, c]) => [h, p, m, c],
        _ => {
            return Err(bad(
                "?",
                format!("{} JSON parts, expected 4", raw.jparts.len()),
            ));
        }
    };
    let header: Header =
        serde_json::from_slice(header).map_err(|e| bad("?", format!("header: {e}")))?;
    let msg_type = header.msg_type.clone();
    // An empty parent is `{}`, which is not a Header: that is "no parent".
    let parent_header: Option<Header> = serde_json::from_slice(parent).ok();
    let metadata: Value = serde_json::from_slice(metadata).unwrap_or_else(|_| json!({}));
    let mut content: Value =
        serde_json::from_slice(content).map_err(|e| bad(&msg_type, format!("content: {e}")))?;
    fill_defaults(&msg_type, &mut content);
    let content = JupyterMessageContent::from_type_and_content(&msg_type, content)
        .map_err(|e| bad(&msg_type, e.to_string()))?;
    Ok(JupyterMessage {
        zmq_identities: raw.zmq_identities,
        header,
        parent_header,
        metadata,
        content,
        buffers: raw.jparts.get(4..).map(<[_]>::to_vec).unwrap_or_default(),
        channel: None,
    })
}

/// Puts the protocol's defaults into the optional fields of the requests a kernel answers, so
/// that the typed decoding of jupyter-protocol accepts what real clients send.
pub fn fill_defaults(msg_type: &str, content: &mut Value) {
    if !content.is_object() {
        *content = json!({});
    }
    let Some(obj) = content.as_object_mut() else {
        return;
    };
    match msg_type {
        "execute_request" => {
            default(obj, "code", json!(""));
            default(obj, "silent", json!(false));
            let silent = obj.get("silent").and_then(Value::as_bool).unwrap_or(false);
            default(obj, "store_history", json!(!silent));
            default(obj, "allow_stdin", json!(false));
            default(obj, "stop_on_error", json!(true));
            if !obj.get("user_expressions").is_some_and(Value::is_object) {
                obj.insert("user_expressions".into(), json!({}));
            }
        }
        "complete_request" | "inspect_request" => {
            default(obj, "code", json!(""));
            let chars = obj
                .get("code")
                .and_then(Value::as_str)
                .map_or(0, |c| c.chars().count());
            if !obj.get("cursor_pos").is_some_and(Value::is_u64) {
                obj.insert("cursor_pos".into(), json!(chars));
            }
            if msg_type == "inspect_request" && !obj.get("detail_level").is_some_and(Value::is_u64)
            {
                obj.insert("detail_level".into(), json!(0));
            }
        }
        "is_complete_request" => default(obj, "code", json!("")),
        "history_request" => {
            default(obj, "hist_access_type", json!("range"));
            default(obj, "output", json!(false));
            default(obj, "raw", json!(true));
            let kind = obj
                .get("hist_access_type")
                .and_then(Value::as_str)
                .unwrap_or("range");
            match kind {
                "tail" => default(obj, "n", json!(i32::MAX)),
                "search" => {
                    default(obj, "pattern", json!("*"));
                    default(obj, "unique", json!(false));
                    default(obj, "n", json!(i32::MAX));
                }
                _ => {
                    obj.insert("hist_access_type".into(), json!("range"));
                    default(obj, "start", json!(0));
                    default(obj, "stop", json!(i32::MAX));
                }
            }
        }
        "shutdown_request" => default(obj, "restart", json!(false)),
        _ => {}
    }
}

/// Sets `key` to `value` when it is missing or null.
fn default(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if obj.get(key).is_none_or(Value::is_null) {
        obj.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::HistoryRequest;

    fn raw(msg_type: &str, content: Value) -> RawMessage {
        let header = json!({
            "msg_id": "m1", "username": "u", "session": "s", "date": "2026-01-01T00:00:00Z",
            "msg_type": msg_type, "version": "5.3"
        });
        RawMessage {
            zmq_identities: vec![b"peer".to_vec().into()],
            jparts: vec![
                header.to_string().into_bytes().into(),
                b"{}".to_vec().into(),
                b"{}".to_vec().into(),
                content.to_string().into_bytes().into(),
            ],
        }
    }

    #[test]
    fn history_range_without_stop_decodes() {
        let msg = decode(raw(
            "history_request",
            json!({"hist_access_type": "range", "session": 0, "start": 0, "raw": true, "output": false}),
        ))
        .expect("decodes");
        match msg.content {
            JupyterMessageContent::HistoryRequest(HistoryRequest::Range { stop, .. }) => {
                assert_eq!(stop, i32::MAX)
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(msg.parent_header.is_none());
        assert_eq!(msg.zmq_identities.len(), 1);
    }

    #[test]
    fn minimal_execute_request_decodes() {
        let msg = decode(raw("execute_request", json!({"code": "1"}))).expect("decodes");
        match msg.content {
            JupyterMessageContent::ExecuteRequest(r) => {
                assert!(!r.silent && r.store_history && r.stop_on_error);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn complete_without_cursor_defaults_to_end() {
        let msg = decode(raw("complete_request", json!({"code": "héllo"}))).expect("decodes");
        match msg.content {
            JupyterMessageContent::CompleteRequest(r) => assert_eq!(r.cursor_pos, 5),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut r = raw("execute_request", json!({}));
        r.jparts[3] = b"{not json".to_vec().into();
        assert!(matches!(decode(r), Err(WireError::Decode { .. })));
        let mut r = raw("kernel_info_request", json!({}));
        r.jparts[0] = b"[]".to_vec().into();
        assert!(decode(r).is_err());
        let mut r = raw("kernel_info_request", json!({}));
        r.jparts.truncate(2);
        assert!(decode(r).is_err());
    }

    #[test]
    fn unknown_types_pass_through() {
        let msg = decode(raw("frobnicate_request", json!({"x": 1}))).expect("decodes");
        assert_eq!(msg.message_type(), "frobnicate_request");
    }
}
