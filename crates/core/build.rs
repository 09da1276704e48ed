//! Turns the shipped three-year sales history (`data/historical_sales_2022_2024.csv.gz`,
//! the source of truth) into a compact pre-parsed form at compile time, so that
//! `atelier run` does not gunzip and parse 164,000 CSV rows before its first step
//! (that was 82% of its CPU). `sample::history` decodes the form; a unit test there
//! checks that it equals what the CSV reader makes of the file, field for field.
//!
//! The form, little-endian: `u32` first day (days from 0001-01-01 = day 1, chrono's
//! `num_days_from_ce`), `u32` days, `u64` rows, `u32` categories; per category, in
//! order of first appearance: `u16` name length and name, `f64` revenue (summed in
//! row order, as the reader sums it), `u16` stores; per store, in order of first
//! appearance: `u8` id length and id, then one `u16` per day (units sold, or
//! `u16::MAX` when the file has no row for that day).
//!
//! The shipped file is fixed and checked by tests, so anything this script does
//! not expect (quotes, a short row, a duplicate, a number out of range) stops the
//! build with the line it is on, rather than guessing.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

const SOURCE: &str = "../../data/historical_sales_2022_2024.csv.gz";
const HEADER: &str = "date,store_id,category,quantity_sold,revenue";
const ABSENT: u16 = u16::MAX;

/// One category while the file is read.
struct Category {
    name: String,
    revenue: f64,
    stores: Vec<(String, HashMap<i32, u16>)>,
}

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    println!("cargo::rerun-if-changed=build.rs");
    let mut text = String::new();
    let file = std::fs::File::open(SOURCE).unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{SOURCE}: {e}"));
    let form = encode(&text);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("sample_history.bin"), form).expect("OUT_DIR is writable");
}

/// The compact form of the CSV `text`.
fn encode(text: &str) -> Vec<u8> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .map(|h| h.trim_start_matches('\u{feff}').trim());
    assert_eq!(header, Some(HEADER), "{SOURCE}: line 1: unexpected header");
    let mut categories: Vec<Category> = Vec::new();
    let (mut first, mut last, mut rows) = (i32::MAX, i32::MIN, 0u64);
    for (i, line) in lines.enumerate() {
        let at = || format!("{SOURCE}: line {}", i + 2);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        assert!(
            fields.len() == 5 && !line.contains('"') && fields.iter().all(|f| !f.is_empty()),
            "{}: not a plain row of five fields",
            at()
        );
        let day = day_number(fields[0]).unwrap_or_else(|| panic!("{}: bad date", at()));
        let units: u16 = fields[3]
            .parse()
            .ok()
            .filter(|u| *u != ABSENT)
            .unwrap_or_else(|| panic!("{}: bad quantity", at()));
        let revenue: f64 = fields[4]
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r >= 0.0)
            .unwrap_or_else(|| panic!("{}: bad revenue", at()));
        let c = match categories.iter().position(|c| c.name == fields[2]) {
            Some(c) => c,
            None => {
                categories.push(Category {
                    name: fields[2].to_string(),
                    revenue: 0.0,
                    stores: Vec::new(),
                });
                categories.len() - 1
            }
        };
        let category = &mut categories[c];
        category.revenue += revenue;
        let s = match category.stores.iter().position(|(id, _)| id == fields[1]) {
            Some(s) => s,
            None => {
                category
                    .stores
                    .push((fields[1].to_string(), HashMap::new()));
                category.stores.len() - 1
            }
        };
        let earlier = category.stores[s].1.insert(day, units);
        assert!(earlier.is_none(), "{}: duplicate row", at());
        first = first.min(day);
        last = last.max(day);
        rows += 1;
    }
    assert!(rows > 0, "{SOURCE}: no rows");
    write_form(&categories, first, last, rows)
}

fn write_form(categories: &[Category], first: i32, last: i32, rows: u64) -> Vec<u8> {
    let days = (last - first + 1) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&(first as u32).to_le_bytes());
    out.extend_from_slice(&days.to_le_bytes());
    out.extend_from_slice(&rows.to_le_bytes());
    out.extend_from_slice(&(categories.len() as u32).to_le_bytes());
    for c in categories {
        out.extend_from_slice(&(c.name.len() as u16).to_le_bytes());
        out.extend_from_slice(c.name.as_bytes());
        out.extend_from_slice(&c.revenue.to_bits().to_le_bytes());
        out.extend_from_slice(&(c.stores.len() as u16).to_le_bytes());
        for (id, units) in &c.stores {
            out.push(u8::try_from(id.len()).expect("a short store id"));
            out.extend_from_slice(id.as_bytes());
            for day in first..=last {
                let u = units.get(&day).copied().unwrap_or(ABSENT);
                out.extend_from_slice(&u.to_le_bytes());
            }
        }
    }
    out
}

/// `YYYY-MM-DD` as chrono's `Datelike::num_days_from_ce`, read as the CSV reader
/// reads dates (`NaiveDate`'s `FromStr`); `None` for anything else.
fn day_number(text: &str) -> Option<i32> {
    use chrono::Datelike;
    text.parse::<chrono::NaiveDate>()
        .ok()
        .map(|d| d.num_days_from_ce())
}
