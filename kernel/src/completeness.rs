//! Whether a cell's text is ready to run: balanced brackets, closed strings and comments.
//!
//! A scanner rather than a parser: Jupyter asks on every Enter in a console, so it must be
//! instant and must not need the engine.

use crate::engine::Completeness;

/// Classifies `code` for Jupyter's `is_complete_request`.
///
/// ```
/// use eddy_kernel::completeness::is_complete;
/// use eddy_kernel::engine::Completeness;
/// assert_eq!(is_complete("1 + 1"), Completeness::Complete);
/// assert!(matches!(is_complete("let x = {"), Completeness::Incomplete { .. }));
/// assert_eq!(is_complete("let x = 1; }"), Completeness::Invalid);
/// ```
pub fn is_complete(code: &str) -> Completeness {
    let mut stack: Vec<char> = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 1;
                i += 2;
                while i < chars.len() && depth > 0 {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 1;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                if depth > 0 {
                    return incomplete(&stack);
                }
                continue;
            }
            'r' if matches!(next, Some('"') | Some('#')) && !prev_is_ident(&chars, i) => {
                // Raw string: r"…", r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) == Some(&'"') {
                    j += 1;
                    loop {
                        if j >= chars.len() {
                            return incomplete(&stack);
                        }
                        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                            i = j + hashes;
                            break;
                        }
                        j += 1;
                    }
                }
            }
            '"' => {
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return incomplete(&stack),
                        Some('\\') => i += 2,
                        Some('"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            '\'' => {
                // A char literal ('a', '\n', '\u{..}') or a lifetime ('a): skip literals only.
                if next == Some('\\') {
                    let mut j = i + 2;
                    while j < chars.len() && chars[j] != '\'' {
                        j += 1;
                    }
                    i = j;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 2;
                }
            }
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return Completeness::Invalid;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if stack.is_empty() {
        Completeness::Complete
    } else {
        incomplete(&stack)
    }
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn incomplete(stack: &[char]) -> Completeness {
    Completeness::Incomplete {
        indent: "    ".repeat(stack.len().max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_incomplete(code: &str) -> bool {
        matches!(is_complete(code), Completeness::Incomplete { .. })
    }

    #[test]
    fn balanced_code_is_complete() {
        assert_eq!(is_complete("let x = vec![1, 2];"), Completeness::Complete);
        assert_eq!(
            is_complete("fn f() { if true { 1 } else { 2 }; }"),
            Completeness::Complete
        );
        assert_eq!(
            is_complete("let s = \"{ not a brace\";"),
            Completeness::Complete
        );
        assert_eq!(is_complete("let c = '{';"), Completeness::Complete);
        assert_eq!(
            is_complete("fn f<'a>(x: &'a str) -> &'a str { x }"),
            Completeness::Complete
        );
        assert_eq!(
            is_complete("let r = r#\"a \" { b\"#;"),
            Completeness::Complete
        );
        assert_eq!(is_complete("// {\n1"), Completeness::Complete);
    }

    #[test]
    fn open_constructs_are_incomplete() {
        assert!(is_incomplete("let x = {"));
        assert!(is_incomplete("foo(1,\n"));
        assert!(is_incomplete("let s = \"abc"));
        assert!(is_incomplete("/* comment"));
        assert!(is_incomplete("let r = r#\"abc\""));
    }

    #[test]
    fn stray_closers_are_invalid() {
        assert_eq!(is_complete(")"), Completeness::Invalid);
        assert_eq!(is_complete("{ ]"), Completeness::Invalid);
    }
}
