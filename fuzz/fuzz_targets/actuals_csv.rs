//! The weekly actuals reader (`actuals_week_NN.csv`) on arbitrary bytes, against the
//! shipped store network: a week or an error, never a panic.
#![no_main]

use atelier_core::data::StoreNetwork;
use atelier_fuzz::fuzz_target;
use std::sync::OnceLock;

fn stores() -> &'static StoreNetwork {
    static STORES: OnceLock<StoreNetwork> = OnceLock::new();
    STORES.get_or_init(|| atelier_core::sample::stores().expect("the shipped stores read"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(week) = atelier_core::data::read_actuals(data, "actuals.csv", stores()) {
        let by_store = week.units_by_store(stores());
        assert_eq!(by_store.len(), stores().len());
        assert_eq!(by_store.iter().sum::<u64>(), week.total_units());
    }
});
