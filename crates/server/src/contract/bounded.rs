//! Values whose bounds are part of their type: a text of at most so many
//! characters, a number within a range. Each bound is declared once, in the type,
//! and both refuses a value outside it while the body is deserialized (so the
//! error carries the field's path, and nothing is written) and states it in the
//! OpenAPI schema (`minLength`/`maxLength`, `minimum`/`maximum`).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// Whether `text` is within `min..=max` characters, and not only blank when
/// something is required.
pub fn check_text(text: &str, min: usize, max: usize) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!("must be at most {max} characters, got {chars}"));
    }
    if chars < min {
        return Err(format!("must be at least {min} characters, got {chars}"));
    }
    if min > 0 && text.trim().is_empty() {
        return Err("must not be blank".to_string());
    }
    Ok(())
}

/// The schema of a text of `min..=max` characters (with a non-blank pattern when
/// some are required).
pub fn text_schema(min: usize, max: usize) -> RefOr<Schema> {
    let mut schema = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(Some(min))
        .max_length(Some(max));
    if min > 0 {
        schema = schema.pattern(Some(r"\S"));
    }
    schema.into()
}

/// The schema of an integer within `min..=max`.
pub fn integer_schema(min: u64, max: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .into()
}

/// Reads an integer and refuses it outside `min..=max`.
pub fn read_bounded_integer<'de, D: Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(D::Error::custom(format!("{n} is outside {min}..={max}")))
    }
}

/// Declares a text type of `min..=max` characters.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Fewest characters taken.
            pub const MIN_CHARS: usize = $min;
            /// Most characters taken.
            pub const MAX_CHARS: usize = $max;

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let text = String::deserialize(d)?;
                $crate::contract::bounded::check_text(&text, $min, $max).map_err(D::Error::custom)?;
                Ok($name(text))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $crate::contract::bounded::text_schema($min, $max)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// Declares an integer type within `min..=max`.
macro_rules! bounded_integer {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Smallest value taken.
            pub const MIN: u64 = $min;
            /// Largest value taken.
            pub const MAX: u64 = $max;

            /// The value.
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::contract::bounded::read_bounded_integer(d, $min, $max).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $crate::contract::bounded::integer_schema($min, $max)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use {bounded_integer, bounded_text};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bounds_count_characters_and_refuse_blank() {
        assert!(check_text("é", 1, 1).is_ok());
        assert!(check_text("ab", 1, 1).is_err());
        assert!(check_text("", 1, 5).is_err());
        assert!(check_text("   ", 1, 5).is_err());
        assert!(check_text("", 0, 5).is_ok());
    }
}
