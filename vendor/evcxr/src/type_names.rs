// eddy patch: turning `std::any::type_name` output into a path a cell can write.
//
// `type_name` prints definition paths, which may go through private modules
// (`std::collections::hash::map::HashMap`) or through crates the cell does not link directly
// (`polars_core::frame::DataFrame`, reachable only through the prelude). This module rewrites
// those paths. It is deliberately textual: a wrong guess shows up as a compile error in the
// next cell, which `EvalContext` turns into a note and drops the variable.

use once_cell::sync::Lazy;
use regex::Regex;

/// Prefix rewrites for the standard library, longest first. `type_name` uses the defining
/// crate (`alloc`, `core`) and private modules; cells see the public `std` re-exports.
const STD_REWRITES: &[(&str, &str)] = &[
    ("alloc::collections::btree::map::", "std::collections::btree_map::"),
    ("alloc::collections::btree::set::", "std::collections::btree_set::"),
    ("alloc::vec::into_iter::", "std::vec::"),
    ("alloc::", "std::"),
    ("std::collections::hash::map::", "std::collections::hash_map::"),
    ("std::collections::hash::set::", "std::collections::hash_set::"),
    ("std::hash::random::", "std::hash::"),
    ("core::", "std::"),
];

/// Crate roots that every cell can name as they are.
const ALWAYS_VISIBLE: &[&str] = &["std", "crate"];

/// Returns a path for `type_name` that a cell can write, or `None` if the type has no name
/// (closures, async blocks, or other compiler-generated types).
///
/// `prelude` is the prelude crate's name: paths into crates it depends on are routed through
/// its hidden `__deps` module. `deps` are crates the user added with `:dep`, named directly.
pub(crate) fn nameable(type_name: &str, prelude: Option<&str>, deps: &[String]) -> Option<String> {
    if type_name.contains("{{") || type_name.contains("{closure") {
        return None;
    }
    static PATH: Lazy<Regex> =
        Lazy::new(|| Regex::new(r"\b([A-Za-z_][A-Za-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap());
    let mut out = String::with_capacity(type_name.len() + 32);
    let mut last = 0;
    for captures in PATH.captures_iter(type_name) {
        let whole = captures.get(0)?;
        out.push_str(&type_name[last..whole.start()]);
        last = whole.end();
        out.push_str(&rewrite_path(whole.as_str(), prelude, deps));
    }
    out.push_str(&type_name[last..]);
    Some(crate::eval_context::replace_reserved_words_in_type(&out))
}

fn rewrite_path(path: &str, prelude: Option<&str>, deps: &[String]) -> String {
    for (from, to) in STD_REWRITES {
        if let Some(rest) = path.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    let (root, rest) = path.split_once("::").unwrap_or((path, ""));
    // Items defined in earlier cells live at the root of the cell crate (`ctx`).
    if root == "ctx" {
        return format!("crate::{rest}");
    }
    if ALWAYS_VISIBLE.contains(&root) || deps.iter().any(|d| d.replace('-', "_") == root) {
        return path.to_owned();
    }
    match prelude {
        Some(prelude) if root == prelude => path.to_owned(),
        Some(prelude) => format!("{prelude}::__deps::{path}"),
        None => path.to_owned(),
    }
}

/// A short form of a type name for messages: `alloc::vec::Vec<i32>` → `Vec<i32>`.
pub(crate) fn short(type_name: &str) -> String {
    static PATH: Lazy<Regex> = Lazy::new(|| Regex::new(r"\b(?:[A-Za-z_][A-Za-z0-9_]*::)+").unwrap());
    PATH.replace_all(type_name, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(t: &str) -> Option<String> {
        nameable(t, Some("eddy"), &["serde_json".to_owned()])
    }

    #[test]
    fn std_types_use_public_paths() {
        assert_eq!(name("i32").as_deref(), Some("i32"));
        assert_eq!(name("alloc::vec::Vec<i32>").as_deref(), Some("std::vec::Vec<i32>"));
        assert_eq!(
            name("std::collections::hash::map::HashMap<alloc::string::String, f64>").as_deref(),
            Some("std::collections::hash_map::HashMap<std::string::String, f64>")
        );
        assert_eq!(
            name("core::option::Option<&str>").as_deref(),
            Some("std::option::Option<&str>")
        );
        assert_eq!(
            name("alloc::collections::btree::map::BTreeMap<u8, u8>").as_deref(),
            Some("std::collections::btree_map::BTreeMap<u8, u8>")
        );
    }

    #[test]
    fn dependency_types_go_through_the_prelude() {
        assert_eq!(
            name("polars_core::frame::DataFrame").as_deref(),
            Some("eddy::__deps::polars_core::frame::DataFrame")
        );
        assert_eq!(name("eddy::plot::Chart").as_deref(), Some("eddy::plot::Chart"));
        assert_eq!(
            name("serde_json::value::Value").as_deref(),
            Some("serde_json::value::Value")
        );
        assert_eq!(name("ctx::Point").as_deref(), Some("crate::Point"));
    }

    #[test]
    fn closures_have_no_name() {
        assert_eq!(name("ctx::run_user_code_3::{{closure}}"), None);
        assert_eq!(
            name("core::iter::adapters::map::Map<alloc::vec::into_iter::IntoIter<i32>, ctx::run_user_code_1::{{closure}}>"),
            None
        );
    }

    #[test]
    fn short_names() {
        assert_eq!(short("alloc::vec::Vec<alloc::string::String>"), "Vec<String>");
    }
}
