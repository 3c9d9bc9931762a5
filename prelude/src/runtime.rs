//! The variable store that compiled cells share (used by the kernel's generated code only).
//!
//! evcxr pastes this store's source into every cell; with a prelude it lives here instead, so
//! the `HashMap` behind it is compiled once (in the optimised prelude) and not monomorphised
//! again in each cell: that was a third of a trivial cell's compile time. The names and
//! constants mirror evcxr's `evcxr_internal_runtime` module, which the generated code imports
//! as `use eddy::__runtime as evcxr_internal_runtime;`.

#![allow(missing_docs)]

use std::any::Any;
use std::collections::HashMap;

pub const VARIABLE_CHANGED_TYPE: &str = "EVCXR_VARIABLE_CHANGED_TYPE:";
pub const USER_ERROR_OCCURRED: &str = "EVCXR_ERROR_OCCURRED";
pub const VARIABLE_TYPE: &str = "EVCXR_VARIABLE_TYPE:";
pub const USER_ERROR_MESSAGE: &str = "EVCXR_USER_ERROR_MESSAGE:";
pub const PANIC_MESSAGE: &str = "EVCXR_PANIC_MESSAGE:";

/// Escapes a message onto one line: `\` → `\\`, newline → `\n`.
pub fn escape_line(message: &str) -> String {
    message.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// The session's variables, owned by the runtime child between cells.
#[derive(Default)]
pub struct VariableStore {
    variables: HashMap<String, Box<dyn Any>>,
}

impl VariableStore {
    /// An empty store.
    pub fn new() -> VariableStore {
        VariableStore::default()
    }

    /// Stores a variable whose type the kernel already knows.
    #[inline]
    pub fn put_variable<T: 'static>(&mut self, name: &str, value: T) {
        self.put_boxed(name, Box::new(value));
    }

    /// Stores a variable defined by this cell and reports its type to the kernel.
    #[inline]
    pub fn put_new_variable<T: 'static>(&mut self, name: &str, value: T) {
        report_type(name, std::any::type_name::<T>());
        self.put_boxed(name, Box::new(value));
    }

    /// Whether the stored variable still has type `T` (it may have been redefined).
    #[inline]
    pub fn check_variable<T: 'static>(&mut self, name: &str) -> bool {
        self.check_boxed(name, &|v| v.is::<T>())
    }

    /// Takes a stored variable out for the cell to use.
    #[inline]
    pub fn take_variable<T: 'static>(&mut self, name: &str) -> T {
        match self.take_boxed(name).downcast::<T>() {
            Ok(value) => *value,
            Err(_) => panic!("variable `{name}` changed type"),
        }
    }

    /// A value shared across cells, created on first use.
    pub fn lazy_arc<T: 'static, F: FnOnce() -> T>(
        &mut self,
        name: &str,
        create: F,
    ) -> std::sync::Arc<T> {
        if let Some(value) = self
            .variables
            .entry(name.to_owned())
            .or_insert_with(|| Box::new(std::sync::Arc::new(create())))
            .downcast_mut::<std::sync::Arc<T>>()
        {
            std::sync::Arc::clone(value)
        } else {
            panic!("lazy_arc {name} changed type");
        }
    }

    /// Moves every variable of `other` into this store.
    pub fn merge(&mut self, mut other: VariableStore) {
        self.variables.extend(other.variables.drain());
    }

    fn put_boxed(&mut self, name: &str, value: Box<dyn Any>) {
        self.variables.insert(name.to_owned(), value);
    }

    fn check_boxed(&mut self, name: &str, is_type: &dyn Fn(&dyn Any) -> bool) -> bool {
        if let Some(v) = self.variables.get(name)
            && !is_type(v.as_ref())
        {
            eprintln!("The type of the variable {name} was redefined, so was lost.");
            println!("{VARIABLE_CHANGED_TYPE}{name}");
            return false;
        }
        true
    }

    fn take_boxed(&mut self, name: &str) -> Box<dyn Any> {
        match self.variables.remove(name) {
            Some(v) => v,
            None => panic!("variable `{name}` has gone missing"),
        }
    }
}

/// Called at the start of every cell: an interrupt of an earlier cell no longer counts.
pub fn cell_started() {
    crate::interrupt::reset();
}

fn report_type(name: &str, type_name: &str) {
    println!("{VARIABLE_TYPE}{name}:{type_name}");
}

/// Creates the store; called once per runtime process, by its first cell. Installs the
/// SIGINT handler behind [`crate::interrupt`] and the panic hook that keeps cell panics quiet on stderr (the kernel's error reply carries their
/// message) while panics on other threads are still printed. `EDDY_BACKTRACE=1` restores
/// Rust's default hook.
pub fn create_variable_store() -> *mut VariableStore {
    install_panic_hook();
    crate::interrupt::install_handler();
    Box::into_raw(Box::new(VariableStore::new()))
}

fn install_panic_hook() {
    if std::env::var_os("EDDY_BACKTRACE").is_some_and(|v| v == "1") {
        return;
    }
    // Cells run on the thread that creates the store. Its name is not visible here: the
    // runtime binary and the cells use different copies of std, so compare ids instead.
    let cell_thread = std::thread::current().id();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == cell_thread {
            return;
        }
        default_hook(info);
    }));
}
