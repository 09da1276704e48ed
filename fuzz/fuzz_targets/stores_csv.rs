//! The store attributes reader (`store_attributes.csv`) on arbitrary bytes: it
//! answers a network or an error naming the line, and never panics.
#![no_main]

use atelier_fuzz::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(network) = atelier_core::data::read_stores(data, "stores.csv") {
        // Every store read is found again by its id.
        for (i, store) in network.stores().iter().enumerate() {
            assert_eq!(network.position(&store.store_id), Some(i));
        }
    }
});
