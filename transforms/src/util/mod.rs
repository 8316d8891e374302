//! Helpers shared by the SMTs: $Key/$Value side, config, requirements, schema cache, field paths, Java text.

pub mod config;
pub mod date_format;
pub mod field_path;
pub mod java;
pub mod map;
pub mod regex;
pub mod requirements;
pub mod schema;
pub mod side;

#[cfg(test)]
pub(crate) mod testing;

pub use side::Side;
