//! Every reader error of issue 2, one test each: the message names the file, the
//! line and the field (or the header), so a planner can fix the file.

use atelier_core::data::{DataError, StoreNetwork, read_actuals, read_sales, read_stores};

const STORES: &str = "store_id,avg_weekly_sales_12mo,store_size_sqft,median_income,location_tier,fashion_tier,store_format,region,foot_traffic,competitor_density,online_penetration,population_density,mall_location
S001,924,12500,142000,A,Premium,Mall,Southeast,2800,6.2,0.48,14500,True
S002,829,14200,138000,B,Mainstream,Outlet,West,2950,5.1,0.45,12800,False
";

fn stores() -> StoreNetwork {
    read_stores(STORES.as_bytes(), "stores.csv").unwrap()
}

fn sales_err(text: &str) -> String {
    let e = read_sales(text.as_bytes(), "sales.csv", &stores()).unwrap_err();
    e.to_string()
}

const SALES_HEADER: &str = "date,store_id,category,quantity_sold,revenue\n";

#[test]
fn a_good_file_reads() {
    let h = read_sales(
        format!("{SALES_HEADER}2024-01-01,S001,Hats,3,9.0\n2024-01-01,S002,Hats,4,12.0\n")
            .as_bytes(),
        "sales.csv",
        &stores(),
    )
    .unwrap();
    assert_eq!(h.rows, 2);
    assert_eq!(h.category("Hats").unwrap().units, 7);
}

#[test]
fn missing_column() {
    let e = sales_err("date,store_id,category,quantity_sold\n2024-01-01,S001,Hats,3\n");
    assert!(
        e.contains("sales.csv: line 1: missing column(s) revenue"),
        "{e}"
    );
}

#[test]
fn extra_column() {
    let e = sales_err(
        "date,store_id,category,quantity_sold,revenue,colour\n2024-01-01,S001,Hats,3,1,red\n",
    );
    assert!(
        e.contains("sales.csv: line 1: unexpected column(s) colour"),
        "{e}"
    );
}

#[test]
fn unparsable_number() {
    let e = sales_err(&format!(
        "{SALES_HEADER}2024-01-01,S001,Hats,3,9.0\n2024-01-02,S001,Hats,three,9.0\n"
    ));
    assert_eq!(
        e,
        "sales.csv: line 3, field 'quantity_sold': 'three' is not a whole number of units"
    );
}

#[test]
fn unparsable_revenue() {
    let e = sales_err(&format!("{SALES_HEADER}2024-01-02,S001,Hats,3,lots\n"));
    assert_eq!(
        e,
        "sales.csv: line 2, field 'revenue': 'lots' is not a number"
    );
}

#[test]
fn unparsable_date() {
    let e = sales_err(&format!("{SALES_HEADER}02/01/2024,S001,Hats,3,9.0\n"));
    assert_eq!(
        e,
        "sales.csv: line 2, field 'date': '02/01/2024' is not a date (YYYY-MM-DD)"
    );
}

#[test]
fn negative_quantity() {
    let e = sales_err(&format!("{SALES_HEADER}2024-01-01,S001,Hats,-3,9.0\n"));
    assert_eq!(
        e,
        "sales.csv: line 2, field 'quantity_sold': -3 is negative"
    );
}

#[test]
fn duplicate_row() {
    let e = sales_err(&format!(
        "{SALES_HEADER}2024-01-01,S001,Hats,3,9.0\n2024-01-01,S002,Hats,3,9.0\n2024-01-01,S001,Hats,5,9.0\n"
    ));
    assert_eq!(
        e,
        "sales.csv: line 4, field 'date': duplicate row for (2024-01-01, S001, Hats); first on line 2"
    );
}

#[test]
fn unknown_store() {
    let e = sales_err(&format!("{SALES_HEADER}2024-01-01,S999,Hats,3,9.0\n"));
    assert_eq!(
        e,
        "sales.csv: line 2, field 'store_id': store 'S999' is not in the store attributes"
    );
}

#[test]
fn empty_file() {
    assert!(matches!(
        read_sales("".as_bytes(), "sales.csv", &stores()),
        Err(DataError::Empty { .. })
    ));
    let e = sales_err(SALES_HEADER);
    assert!(e.contains("sales.csv: the file is empty"), "{e}");
    assert!(
        read_stores("".as_bytes(), "stores.csv")
            .unwrap_err()
            .to_string()
            .contains("stores.csv: the file is empty")
    );
}

#[test]
fn short_row() {
    let e = sales_err(&format!("{SALES_HEADER}2024-01-01,S001,Hats,3\n"));
    assert_eq!(e, "sales.csv: line 2: has 4 fields, the header has 5");
}

#[test]
fn store_attribute_errors_name_line_and_field() {
    let bad_tier = STORES.replace("B,Mainstream", "B,Luxury");
    let e = read_stores(bad_tier.as_bytes(), "stores.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "stores.csv: line 3, field 'fashion_tier': 'Luxury' is not one of Premium, Mainstream, Value"
    );
    let dup = format!(
        "{STORES}S001,924,12500,142000,A,Premium,Mall,Southeast,2800,6.2,0.48,14500,True\n"
    );
    let e = read_stores(dup.as_bytes(), "stores.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "stores.csv: line 4, field 'store_id': store S001 appears twice (first on line 2)"
    );
    let neg = STORES.replace("12500", "-12500");
    let e = read_stores(neg.as_bytes(), "stores.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "stores.csv: line 2, field 'store_size_sqft': -12500 must be a non-negative number"
    );
}

#[test]
fn actuals_errors_name_line_and_field() {
    let s = stores();
    let head = "date,store_id,quantity_sold\n";
    let e = read_actuals(
        format!("{head}2025-02-17,S003,4\n").as_bytes(),
        "week1.csv",
        &s,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "week1.csv: line 2, field 'store_id': store 'S003' is not in the store attributes"
    );
    let e = read_actuals(
        format!("{head}2025-02-17,S001,4\n2025-02-17,S001,5\n").as_bytes(),
        "week1.csv",
        &s,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "week1.csv: line 3, field 'date': duplicate row for (2025-02-17, S001); first on line 2"
    );
    let e = read_actuals(
        format!("{head}2025-02-17,S001,-1\n").as_bytes(),
        "week1.csv",
        &s,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "week1.csv: line 2, field 'quantity_sold': -1 is negative"
    );
    let e = read_actuals("date,store,quantity_sold\n".as_bytes(), "week1.csv", &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("week1.csv: line 1: missing column(s) store_id"),
        "{e}"
    );
    let e = read_actuals(head.as_bytes(), "week1.csv", &s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the file is empty"), "{e}");
}

#[test]
fn the_shipped_sample_reads_whole() {
    let stores = atelier_core::sample::stores().unwrap();
    assert_eq!(stores.len(), 50);
    let h = atelier_core::sample::history(&stores).unwrap();
    assert_eq!(h.rows, 164_400);
    assert_eq!(
        h.category_names(),
        vec!["Accessories", "Men's Shirts", "Women's Dresses"]
    );
    let weekly = h.category("Women's Dresses").unwrap().weekly().unwrap();
    assert_eq!(weekly.values.len(), 156);
    assert_eq!(weekly.first_monday.to_string(), "2022-01-03");
    // The README's weekly totals for normal_season week 1 and 12.
    let weeks = atelier_core::sample::scenario("normal_season", &stores)
        .unwrap()
        .unwrap();
    assert_eq!(weeks[0].total_units(), 11266);
    assert_eq!(weeks[11].total_units(), 23739);
}

/// A week's file cut short in its last row (`S001,1` of `S001,12`) reads as a
/// smaller sale, so a file without a final line break is refused, naming the line.
#[test]
fn an_actuals_file_cut_mid_row_is_refused_naming_the_line() {
    let s = stores();
    let whole = "date,store_id,quantity_sold\n2025-02-17,S001,12\n";
    assert_eq!(
        read_actuals(whole.as_bytes(), "week1.csv", &s)
            .unwrap()
            .total_units(),
        12
    );
    let cut = &whole[..whole.len() - 2];
    let e = read_actuals(cut.as_bytes(), "week1.csv", &s)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "week1.csv: line 2: the file ends in the middle of this row (no line break after it): it looks cut short; send the whole file"
    );
    // CRLF files end in a line break too.
    let crlf = "date,store_id,quantity_sold\r\n2025-02-17,S001,12\r\n";
    assert!(read_actuals(crlf.as_bytes(), "week1.csv", &s).is_ok());
}

/// A history upload must plan what the current one plans: every category it has,
/// each with the two years of complete weeks a forecast needs.
#[test]
fn a_history_that_cannot_forecast_names_the_categories_and_weeks_it_lacks() {
    use atelier_core::plan::check_history_covers;
    let stores = atelier_core::sample::stores().unwrap();
    let full = atelier_core::sample::history(&stores).unwrap();
    let required = full.category_names();
    assert_eq!(check_history_covers(&full, &required), Ok(()));
    let one_row =
        "date,store_id,category,quantity_sold,revenue\n2024-12-30,S001,Accessories,3,60\n";
    let short = read_sales(one_row.as_bytes(), "upload", &stores).unwrap();
    let e = check_history_covers(&short, &required)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the history lacks categories the current one has: Men's Shirts, Women's Dresses; \
         category 'Accessories' has 0 complete weeks (2024-12-30 to 2024-12-30); \
         a season's forecast needs 104 (two years, Monday to Sunday)"
    );
}

/// A store id a spreadsheet would run as a formula never gets in, so no CSV
/// export can carry one.
#[test]
fn a_store_id_that_a_spreadsheet_would_run_is_refused() {
    for bad in ["=HYPERLINK(\"http://x\";\"S1\")", "+S1", "-S1", "@S1"] {
        let text = STORES.replace("S002", &format!("\"{}\"", bad.replace('"', "\"\"")));
        let e = read_stores(text.as_bytes(), "stores.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("stores.csv: line 3, field 'store_id'") && e.contains("formula"),
            "{bad}: {e}"
        );
    }
}
