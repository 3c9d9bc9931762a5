//! The session's input history, answered to `history_request` (`tail`, `range`, `search`).
//! Only this kernel process's cells are kept: there is no history database across sessions.

use jupyter_protocol::{HistoryEntry, HistoryRequest};

/// The session number this kernel reports. `range` requests for session 0 (IPython's "the
/// current session"), for no session, or for this number are answered; others are empty.
pub const SESSION: usize = 1;

/// Most cells kept; the oldest are forgotten first.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    input: String,
    output: Option<String>,
}

/// The inputs executed with `store_history`, numbered by their execution count.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<Entry>,
}

impl History {
    /// Records the input of the cell numbered `line` (its execution count).
    pub fn record_input(&mut self, line: usize, input: &str) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(Entry {
            line,
            input: input.to_string(),
            output: None,
        });
    }

    /// Records the `text/plain` result of the cell numbered `line`.
    pub fn record_output(&mut self, line: usize, output: &str) {
        if let Some(e) = self.entries.iter_mut().rev().find(|e| e.line == line) {
            e.output = Some(output.to_string());
        }
    }

    /// The entries a `history_request` asks for.
    pub fn answer(&self, request: &HistoryRequest) -> Vec<HistoryEntry> {
        match request {
            HistoryRequest::Tail { n, output, .. } => {
                let n = usize::try_from(*n).unwrap_or(0);
                let skip = self.entries.len().saturating_sub(n);
                to_entries(self.entries[skip..].iter(), *output)
            }
            HistoryRequest::Range {
                session,
                start,
                stop,
                output,
                ..
            } => {
                let ours = match session {
                    None => true,
                    Some(s) => *s == 0 || usize::try_from(*s).is_ok_and(|s| s == SESSION),
                };
                if !ours {
                    return Vec::new();
                }
                let (start, stop) = (i64::from(*start), i64::from(*stop));
                let picked = self.entries.iter().filter(|e| {
                    let line = e.line as i64;
                    line >= start && line < stop
                });
                to_entries(picked, *output)
            }
            HistoryRequest::Search {
                pattern,
                unique,
                output,
                n,
                ..
            } => {
                let mut seen = std::collections::HashSet::new();
                let mut hits: Vec<&Entry> = Vec::new();
                // Newest first, so that `n` keeps the most recent matches and `unique` keeps
                // the last occurrence of each input.
                for e in self.entries.iter().rev() {
                    if !glob_match(pattern, &e.input) {
                        continue;
                    }
                    if *unique && !seen.insert(e.input.as_str()) {
                        continue;
                    }
                    hits.push(e);
                }
                hits.truncate(usize::try_from(*n).unwrap_or(0));
                hits.reverse();
                to_entries(hits.into_iter(), *output)
            }
        }
    }
}

fn to_entries<'a>(entries: impl Iterator<Item = &'a Entry>, output: bool) -> Vec<HistoryEntry> {
    entries
        .map(|e| {
            if output {
                HistoryEntry::InputOutput(
                    SESSION,
                    e.line,
                    (e.input.clone(), e.output.clone().unwrap_or_default()),
                )
            } else {
                HistoryEntry::Input(SESSION, e.line, e.input.clone())
            }
        })
        .collect()
}

/// IPython-style glob: `*` matches any run of characters, `?` any one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(entries: &[HistoryEntry]) -> Vec<(usize, String)> {
        entries
            .iter()
            .map(|e| match e {
                HistoryEntry::Input(_, line, input) => (*line, input.clone()),
                HistoryEntry::InputOutput(_, line, (input, _)) => (*line, input.clone()),
            })
            .collect()
    }

    fn sample() -> History {
        let mut h = History::default();
        h.record_input(1, "let x = 1;");
        h.record_input(2, "x + 1");
        h.record_output(2, "2");
        h.record_input(3, "x + 1");
        h.record_input(4, "println!(\"hi\")");
        h
    }

    #[test]
    fn tail_returns_the_last_n() {
        let h = sample();
        let got = h.answer(&HistoryRequest::Tail {
            n: 2,
            output: false,
            raw: true,
        });
        assert_eq!(
            inputs(&got),
            vec![(3, "x + 1".into()), (4, "println!(\"hi\")".into())]
        );
        let all = h.answer(&HistoryRequest::Tail {
            n: 100,
            output: false,
            raw: true,
        });
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn range_is_half_open_and_session_aware() {
        let h = sample();
        let req = |session, start, stop| HistoryRequest::Range {
            session,
            start,
            stop,
            output: false,
            raw: true,
        };
        assert_eq!(
            inputs(&h.answer(&req(Some(0), 2, 4))),
            vec![(2, "x + 1".into()), (3, "x + 1".into())]
        );
        assert_eq!(h.answer(&req(None, 0, i32::MAX)).len(), 4);
        assert_eq!(h.answer(&req(Some(SESSION as i32), 4, 5)).len(), 1);
        assert!(h.answer(&req(Some(7), 0, i32::MAX)).is_empty());
    }

    #[test]
    fn output_pairs_carry_the_result() {
        let h = sample();
        let got = h.answer(&HistoryRequest::Tail {
            n: 3,
            output: true,
            raw: true,
        });
        match &got[0] {
            HistoryEntry::InputOutput(SESSION, 2, (input, out)) => {
                assert_eq!((input.as_str(), out.as_str()), ("x + 1", "2"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn search_globs_dedups_and_limits() {
        let h = sample();
        let req = |pattern: &str, unique, n| HistoryRequest::Search {
            pattern: pattern.into(),
            unique,
            output: false,
            raw: true,
            n,
        };
        assert_eq!(
            inputs(&h.answer(&req("x*", false, 10))),
            vec![(2, "x + 1".into()), (3, "x + 1".into())]
        );
        assert_eq!(
            inputs(&h.answer(&req("x*", true, 10))),
            vec![(3, "x + 1".into())]
        );
        assert_eq!(
            inputs(&h.answer(&req("*", false, 1))),
            vec![(4, "println!(\"hi\")".into())]
        );
        assert!(h.answer(&req("nothing*", false, 10)).is_empty());
    }

    #[test]
    fn glob() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*b*", "abc"));
        assert!(!glob_match("abc", "abcd"));
    }
}
