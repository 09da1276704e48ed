//! The sales history reader (`historical_sales.csv`) on arbitrary bytes, against
//! the shipped store network: a history or an error, never a panic.
#![no_main]

use atelier_core::data::StoreNetwork;
use atelier_fuzz::fuzz_target;
use std::sync::OnceLock;

fn stores() -> &'static StoreNetwork {
    static STORES: OnceLock<StoreNetwork> = OnceLock::new();
    STORES.get_or_init(|| atelier_core::sample::stores().expect("the shipped stores read"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(history) = atelier_core::data::read_sales(data, "history.csv", stores()) {
        // The views a season reads from a history must not panic either.
        for name in history.category_names() {
            if let Some(category) = history.category(&name) {
                let _ = category.weekly();
                let _ = category.average_unit_price();
                if let Some(last) = category.last_date() {
                    let _ = category.store_units_between(last, last);
                }
            }
        }
    }
});
