//! The crates whose types a cell can hold, re-exported so the kernel can name them.
//!
//! The kernel learns a variable's type from `std::any::type_name` (for example
//! `polars_core::frame::dataframe::DataFrame`) and writes it back as
//! `eddy::__deps::polars_core::frame::dataframe::DataFrame` in the next cell. A cell cannot
//! name `polars_core` itself (it only links `eddy`), hence these re-exports.
//!
//! `type_name` gives the path where a type is *defined*, which can go through a private
//! module (`frame::dataframe` above). For the types users hold most, the modules below mirror
//! those paths; `tests::type_names_resolve` checks each one against `type_name`, so a polars
//! upgrade that moves a type fails a test rather than a notebook.

pub use plotters;
pub use plotters_backend;
pub use plotters_bitmap;
pub use plotters_svg;
pub use polars;
pub use polars_arrow;
pub use polars_async;
pub use polars_buffer;
pub use polars_compute;
pub use polars_config;
pub use polars_dtype;
pub use polars_error;
pub use polars_expr;
pub use polars_mem_engine;
pub use polars_ooc;
pub use polars_parquet;
pub use polars_row;
pub use polars_schema;
pub use polars_stream;
pub use polars_utils;
pub use serde_json;

// Shims. `type_name` paths go through private modules whose items the parent module
// re-exports, so a shim for a private module `m` of `p` is `pub mod m { pub use p::*; }`,
// nested as deep as the path goes. Each shim is checked by `tests::type_names_resolve`.

/// `polars_core`, with shims for the private modules of common types' paths.
pub mod polars_core {
    pub use ::polars_core::*;

    /// `polars_core::frame`.
    pub mod frame {
        pub use ::polars_core::frame::*;

        /// Shim: `DataFrame`'s defining module.
        pub mod dataframe {
            pub use ::polars_core::frame::*;
        }
    }

    /// `polars_core::datatypes`.
    pub mod datatypes {
        pub use ::polars_core::datatypes::*;

        /// Shim: `DataType`.
        pub mod dtype {
            pub use ::polars_core::datatypes::*;
        }
        /// Shim: `Field`.
        pub mod field {
            pub use ::polars_core::datatypes::*;
        }
        /// Shim: `AnyValue`.
        pub mod any_value {
            pub use ::polars_core::datatypes::*;
        }
        /// Shim: `TimeUnit`, `TimeZone`.
        pub mod temporal {
            pub use ::polars_core::datatypes::*;

            /// Shim: `TimeUnit`.
            pub mod time_unit {
                pub use ::polars_core::datatypes::*;
            }
            /// Shim: `TimeZone`.
            pub mod time_zone {
                pub use ::polars_core::datatypes::*;
            }
        }
    }

    /// `polars_core::chunked_array`.
    pub mod chunked_array {
        pub use ::polars_core::chunked_array::*;

        /// Shim: `Logical` (`DateChunked`, `DatetimeChunked`…).
        pub mod logical {
            pub use ::polars_core::prelude::*;
        }
    }
}

/// `polars_lazy`.
pub mod polars_lazy {
    pub use ::polars_lazy::*;
}

/// `polars_plan`, with shims for `Expr`, `DslPlan` and the DSL options.
pub mod polars_plan {
    pub use ::polars_plan::*;

    /// `polars_plan::dsl`.
    pub mod dsl {
        pub use ::polars_plan::dsl::*;

        /// Shim: `Expr`.
        pub mod expr {
            pub use ::polars_plan::dsl::*;
        }
        /// Shim: `DslPlan`.
        pub mod plan {
            pub use ::polars_plan::dsl::*;
        }
        /// Shim: `StrptimeOptions` and other options.
        pub mod options {
            pub use ::polars_plan::dsl::*;
        }
    }
}

/// `polars_ops`, with shims for join and rank options.
pub mod polars_ops {
    pub use ::polars_ops::*;

    /// `polars_ops::frame`.
    pub mod frame {
        pub use ::polars_ops::frame::*;

        /// `polars_ops::frame::join`.
        pub mod join {
            pub use ::polars_ops::frame::join::*;

            /// Shim: `JoinArgs`, `JoinType`.
            pub mod args {
                pub use ::polars_ops::frame::join::*;
            }
        }
    }

    /// `polars_ops::series`.
    pub mod series {
        pub use ::polars_ops::series::*;

        /// Shim: series operations' options.
        pub mod ops {
            pub use ::polars_ops::series::*;

            /// Shim: `RankOptions`.
            pub mod rank {
                pub use ::polars_ops::series::*;
            }
        }
    }
}

/// `polars_io`, with a shim for `CsvReadOptions`.
pub mod polars_io {
    pub use ::polars_io::*;

    /// `polars_io::csv`.
    pub mod csv {
        pub use ::polars_io::csv::*;

        /// `polars_io::csv::read`.
        pub mod read {
            pub use ::polars_io::csv::read::*;

            /// Shim: `CsvReadOptions`.
            pub mod options {
                pub use ::polars_io::csv::read::*;
            }
        }
    }
}

/// `polars_time`, with a shim for its `Duration`.
pub mod polars_time {
    pub use ::polars_time::*;

    /// Shim: windows.
    pub mod windows {
        pub use ::polars_time::prelude::*;

        /// Shim: `Duration`.
        pub mod duration {
            pub use ::polars_time::prelude::*;
        }
    }
}

/// `chrono`, with shims for its date and time types.
pub mod chrono {
    pub use ::chrono::*;

    /// `chrono::naive`.
    pub mod naive {
        pub use ::chrono::naive::*;

        /// Shim: `NaiveDate`.
        pub mod date {
            pub use ::chrono::naive::*;
        }
        /// Shim: `NaiveDateTime`.
        pub mod datetime {
            pub use ::chrono::naive::*;
        }
        /// Shim: `NaiveTime`.
        pub mod time {
            pub use ::chrono::naive::*;
        }
    }

    /// Shim: `DateTime`.
    pub mod datetime {
        pub use ::chrono::*;
    }

    /// `chrono::offset`.
    pub mod offset {
        pub use ::chrono::offset::*;

        /// Shim: `Utc`.
        pub mod utc {
            pub use ::chrono::offset::*;
        }
        /// Shim: `FixedOffset`.
        pub mod fixed {
            pub use ::chrono::offset::*;
        }
    }
}

#[cfg(test)]
mod tests {
    /// `type_name` of common cell values, each followed by a line that names the type at the
    /// path the kernel will write (`eddy::__deps::` + the `type_name`), so it must compile.
    #[test]
    fn type_names_resolve() {
        use std::any::type_name;
        // The path the kernel writes names the same type as the usual one, and `type_name`
        // still reports that path.
        macro_rules! nameable {
            ($path_ty:ty, $type_name:literal, $usual:ty) => {{
                fn same<T: 'static>(
                    _: std::marker::PhantomData<T>,
                    _: std::marker::PhantomData<T>,
                ) {
                }
                same(
                    std::marker::PhantomData::<$path_ty>,
                    std::marker::PhantomData::<$usual>,
                );
                assert_eq!(type_name::<$usual>(), $type_name);
            }};
        }
        use polars::prelude::*;
        nameable!(
            crate::__deps::polars_core::frame::dataframe::DataFrame,
            "polars_core::frame::dataframe::DataFrame",
            DataFrame
        );
        nameable!(
            crate::__deps::polars_core::series::Series,
            "polars_core::series::Series",
            Series
        );
        nameable!(
            crate::__deps::polars_core::frame::column::Column,
            "polars_core::frame::column::Column",
            Column
        );
        nameable!(
            crate::__deps::polars_lazy::frame::LazyFrame,
            "polars_lazy::frame::LazyFrame",
            LazyFrame
        );
        nameable!(
            crate::__deps::polars_lazy::frame::LazyGroupBy,
            "polars_lazy::frame::LazyGroupBy",
            LazyGroupBy
        );
        nameable!(
            crate::__deps::polars_plan::dsl::expr::Expr,
            "polars_plan::dsl::expr::Expr",
            Expr
        );
        nameable!(
            crate::__deps::polars_plan::dsl::plan::DslPlan,
            "polars_plan::dsl::plan::DslPlan",
            DslPlan
        );
        nameable!(
            crate::__deps::polars_error::PolarsError,
            "polars_error::PolarsError",
            PolarsError
        );
        nameable!(
            crate::__deps::polars_core::datatypes::dtype::DataType,
            "polars_core::datatypes::dtype::DataType",
            DataType
        );
        nameable!(
            crate::__deps::polars_core::datatypes::field::Field,
            "polars_core::datatypes::field::Field",
            Field
        );
        nameable!(
            crate::__deps::polars_core::datatypes::any_value::AnyValue<'static>,
            "polars_core::datatypes::any_value::AnyValue<'_>",
            AnyValue<'static>
        );
        nameable!(
            crate::__deps::polars_core::datatypes::temporal::time_unit::TimeUnit,
            "polars_core::datatypes::temporal::time_unit::TimeUnit",
            TimeUnit
        );
        nameable!(
            crate::__deps::polars_core::datatypes::temporal::time_zone::TimeZone,
            "polars_core::datatypes::temporal::time_zone::TimeZone",
            TimeZone
        );
        nameable!(
            crate::__deps::polars_schema::schema::Schema<crate::__deps::polars_core::datatypes::dtype::DataType, ()>,
            "polars_schema::schema::Schema<polars_core::datatypes::dtype::DataType, ()>",
            Schema
        );
        nameable!(
            crate::__deps::polars_core::chunked_array::ChunkedArray<
                crate::__deps::polars_core::datatypes::Float64Type,
            >,
            "polars_core::chunked_array::ChunkedArray<polars_core::datatypes::Float64Type>",
            Float64Chunked
        );
        nameable!(
            crate::__deps::polars_core::chunked_array::logical::Logical<crate::__deps::polars_core::datatypes::DateType, crate::__deps::polars_core::datatypes::Int32Type>,
            "polars_core::chunked_array::logical::Logical<polars_core::datatypes::DateType, polars_core::datatypes::Int32Type>",
            DateChunked
        );
        nameable!(
            crate::__deps::polars_utils::pl_str::PlSmallStr,
            "polars_utils::pl_str::PlSmallStr",
            PlSmallStr
        );
        nameable!(
            crate::__deps::polars_core::chunked_array::ops::sort::options::SortMultipleOptions,
            "polars_core::chunked_array::ops::sort::options::SortMultipleOptions",
            SortMultipleOptions
        );
        nameable!(
            crate::__deps::polars_core::chunked_array::ops::FillNullStrategy,
            "polars_core::chunked_array::ops::FillNullStrategy",
            FillNullStrategy
        );
        nameable!(
            crate::__deps::polars_ops::frame::join::args::JoinArgs,
            "polars_ops::frame::join::args::JoinArgs",
            JoinArgs
        );
        nameable!(
            crate::__deps::polars_ops::frame::join::args::JoinType,
            "polars_ops::frame::join::args::JoinType",
            JoinType
        );
        nameable!(
            crate::__deps::polars_ops::series::ops::rank::RankOptions,
            "polars_ops::series::ops::rank::RankOptions",
            RankOptions
        );
        nameable!(
            crate::__deps::polars_io::csv::read::options::CsvReadOptions,
            "polars_io::csv::read::options::CsvReadOptions",
            CsvReadOptions
        );
        nameable!(
            crate::__deps::polars_compute::rolling::QuantileMethod,
            "polars_compute::rolling::QuantileMethod",
            QuantileMethod
        );
        nameable!(
            crate::__deps::polars_time::windows::duration::Duration,
            "polars_time::windows::duration::Duration",
            Duration
        );
        nameable!(
            crate::__deps::polars_plan::dsl::options::StrptimeOptions,
            "polars_plan::dsl::options::StrptimeOptions",
            StrptimeOptions
        );
        nameable!(
            crate::__deps::polars_arrow::datatypes::ArrowDataType,
            "polars_arrow::datatypes::ArrowDataType",
            ArrowDataType
        );
        nameable!(
            crate::__deps::chrono::naive::date::NaiveDate,
            "chrono::naive::date::NaiveDate",
            chrono::NaiveDate
        );
        nameable!(
            crate::__deps::chrono::naive::datetime::NaiveDateTime,
            "chrono::naive::datetime::NaiveDateTime",
            chrono::NaiveDateTime
        );
        nameable!(
            crate::__deps::chrono::naive::time::NaiveTime,
            "chrono::naive::time::NaiveTime",
            chrono::NaiveTime
        );
        nameable!(
            crate::__deps::chrono::datetime::DateTime<crate::__deps::chrono::offset::utc::Utc>,
            "chrono::datetime::DateTime<chrono::offset::utc::Utc>",
            chrono::DateTime<chrono::Utc>
        );
        nameable!(
            crate::__deps::serde_json::value::Value,
            "serde_json::value::Value",
            serde_json::Value
        );
        // eddy's own types are reached through their defining (hidden) modules.
        nameable!(
            crate::plot::chart::Chart,
            "eddy::plot::chart::Chart",
            crate::plot::Chart
        );
        nameable!(
            crate::plot::png::Png,
            "eddy::plot::png::Png",
            crate::plot::Png
        );
        nameable!(
            crate::display::handle::DisplayHandle,
            "eddy::display::handle::DisplayHandle",
            crate::display::DisplayHandle
        );
        nameable!(
            crate::display::progress::Progress,
            "eddy::display::progress::Progress",
            crate::display::Progress
        );
        nameable!(
            crate::display::mime::MimeBundle,
            "eddy::display::mime::MimeBundle",
            crate::display::MimeBundle
        );
        nameable!(
            crate::display::mime::Html,
            "eddy::display::mime::Html",
            crate::display::Html
        );
        nameable!(crate::error::Error, "eddy::error::Error", crate::Error);
    }
}
