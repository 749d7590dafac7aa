//! gobgpd's loose scalars, as serde `deserialize_with` helpers.
//!
//! gobgpd decodes its file with mapstructure's *weakly typed* input, so a
//! number may be written as a string (`as = "65001"`), a timer as a float
//! (`hold-time = 90.0`), a boolean as a string or an integer
//! (`passive-mode = "true"`), and a string as a number (`cluster-id = 1`).
//! Every helper returns `Some(value)`: the raw structs keep `Option`s so that
//! validation can tell "unset" from "set to the zero value", as gobgpd does
//! with `viper.IsSet`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// An integer type a loose scalar can become.
pub(crate) trait LooseInt: Sized + Copy {
    /// Name used in "expected ..." messages.
    const EXPECTED: &'static str;
    /// Converts a signed value, if in range.
    fn from_i64(value: i64) -> Option<Self>;
    /// Converts an unsigned value, if in range.
    fn from_u64(value: u64) -> Option<Self>;
}

macro_rules! loose_int {
    ($($ty:ty => $name:literal),*) => {$(
        impl LooseInt for $ty {
            const EXPECTED: &'static str = $name;
            fn from_i64(value: i64) -> Option<Self> {
                <$ty>::try_from(value).ok()
            }
            fn from_u64(value: u64) -> Option<Self> {
                <$ty>::try_from(value).ok()
            }
        }
    )*};
}

loose_int!(u8 => "an unsigned 8-bit integer", u16 => "an unsigned 16-bit integer",
    u32 => "an unsigned 32-bit integer", u64 => "an unsigned 64-bit integer",
    i32 => "a signed 32-bit integer");

struct IntVisitor<T>(PhantomData<T>);

impl<T: LooseInt> IntVisitor<T> {
    fn out_of_range<E: de::Error>(shown: &dyn fmt::Display) -> E {
        E::custom(format_args!(
            "invalid value {shown}: expected {}",
            T::EXPECTED
        ))
    }
}

impl<T: LooseInt> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        T::from_i64(value).ok_or_else(|| Self::out_of_range(&value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::from_u64(value).ok_or_else(|| Self::out_of_range(&value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        // mapstructure truncates floats into integers; we only accept whole
        // numbers, so `as = 65001.5` is an error rather than a surprise.
        if value.fract() == 0.0 && value.is_finite() && value.abs() < 1e18 {
            #[allow(clippy::cast_possible_truncation)]
            let whole = value as i64;
            self.visit_i64(whole)
        } else {
            Err(Self::out_of_range(&value))
        }
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
        self.visit_u64(u64::from(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        let trimmed = value.trim();
        if let Ok(n) = trimmed.parse::<i64>() {
            return self.visit_i64(n);
        }
        if let Ok(n) = trimmed.parse::<u64>() {
            return self.visit_u64(n);
        }
        Err(E::custom(format_args!(
            "cannot parse \"{value}\" as {}",
            T::EXPECTED
        )))
    }
}

/// An optional integer of any [`LooseInt`] type, from an int, a whole float,
/// a bool or a decimal string.
pub(crate) fn int<'de, D: Deserializer<'de>, T: LooseInt>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(IntVisitor::<T>(PhantomData)).map(Some)
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of seconds")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        // Timers are small: i64 -> f64 is exact for every sensible value.
        #[allow(clippy::cast_precision_loss)]
        Ok(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(value as f64)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        Ok(value)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<f64, E> {
        value.trim().parse::<f64>().map_err(|_| {
            E::custom(format_args!(
                "cannot parse \"{value}\" as a number of seconds"
            ))
        })
    }
}

/// An optional float (gobgpd timers are `float64` seconds).
pub(crate) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(FloatVisitor).map(Some)
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<bool, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<bool, E> {
        Ok(value != 0)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<bool, E> {
        Ok(value != 0)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<bool, E> {
        // Go's strconv.ParseBool, plus the empty string (mapstructure: false).
        match value.trim() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
            "" | "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
            _ => Err(E::custom(format_args!(
                "cannot parse \"{value}\" as a boolean"
            ))),
        }
    }
}

/// An optional boolean, from a bool, an int or Go's boolean strings.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor).map(Some)
}

struct StringVisitor;

impl Visitor<'_> for StringVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<String, E> {
        Ok(if value { "1" } else { "0" }.to_owned())
    }
}

/// A string that mapstructure would also take from a number or a bool.
struct LooseString(String);

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringVisitor).map(LooseString)
    }
}

/// An optional string, also from a number or a bool.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(StringVisitor).map(Some)
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }

    // mapstructure's weak decoding wraps a lone scalar into a one-item list.
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Vec<T>, E> {
        T::deserialize(de::value::StrDeserializer::<E>::new(value)).map(|item| vec![item])
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Vec<T>, E> {
        T::deserialize(de::value::I64Deserializer::<E>::new(value)).map(|item| vec![item])
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Vec<T>, E> {
        T::deserialize(de::value::U64Deserializer::<E>::new(value)).map(|item| vec![item])
    }
}

/// An optional list of strings (each item loose); a lone scalar is a list of one.
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let items: Vec<LooseString> = d.deserialize_any(ListVisitor(PhantomData))?;
    Ok(Some(items.into_iter().map(|s| s.0).collect()))
}

/// A `u32` that mapstructure would take from a string too.
struct LooseU32(u32);

impl<'de> Deserialize<'de> for LooseU32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor::<u32>(PhantomData))
            .map(LooseU32)
    }
}

/// An optional list of `u32` (each item loose).
pub(crate) fn u32s<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u32>>, D::Error> {
    let items: Vec<LooseU32> = d.deserialize_any(ListVisitor(PhantomData))?;
    Ok(Some(items.into_iter().map(|n| n.0).collect()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, Default)]
    #[serde(default, rename_all = "kebab-case")]
    struct Sample {
        #[serde(deserialize_with = "super::int")]
        asn: Option<u32>,
        #[serde(deserialize_with = "super::float")]
        hold: Option<f64>,
        #[serde(deserialize_with = "super::boolean")]
        flag: Option<bool>,
        #[serde(deserialize_with = "super::string")]
        text: Option<String>,
        #[serde(deserialize_with = "super::strings")]
        list: Option<Vec<String>>,
        #[serde(deserialize_with = "super::u32s")]
        numbers: Option<Vec<u32>>,
    }

    fn sample(text: &str) -> Result<Sample, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn numbers_given_as_strings_are_accepted() {
        let s = sample("asn = \"65001\"\nnumbers = [\"1\", 2]").expect("loose ints");
        assert_eq!(s.asn, Some(65001));
        assert_eq!(s.numbers, Some(vec![1, 2]));
    }

    #[test]
    fn timers_may_be_floats_ints_or_strings() {
        assert_eq!(sample("hold = 90.0").expect("float").hold, Some(90.0));
        assert_eq!(sample("hold = 90").expect("int").hold, Some(90.0));
        assert_eq!(sample("hold = \"4.5\"").expect("str").hold, Some(4.5));
    }

    #[test]
    fn booleans_follow_go_parse_bool() {
        assert_eq!(sample("flag = \"true\"").expect("str").flag, Some(true));
        assert_eq!(sample("flag = 0").expect("int").flag, Some(false));
        assert!(sample("flag = \"yes\"").is_err());
    }

    #[test]
    fn strings_accept_numbers_and_lone_scalars_become_lists() {
        let s = sample("text = 1\nlist = \"a\"").expect("loose strings");
        assert_eq!(s.text.as_deref(), Some("1"));
        assert_eq!(s.list, Some(vec!["a".to_owned()]));
    }

    #[test]
    fn out_of_range_and_fractional_numbers_are_rejected() {
        assert!(sample("asn = 4294967296").is_err());
        assert!(sample("asn = -1").is_err());
        assert!(sample("asn = 1.5").is_err());
        assert!(sample("asn = \"abc\"").is_err());
    }
}
