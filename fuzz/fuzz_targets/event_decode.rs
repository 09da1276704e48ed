//! Event decoding, as the stores read a payload back: arbitrary text is an event or
//! an error, never a panic; and an event read back from its encoding is the event
//! (the store's promise that a reload gives back what was appended).
#![no_main]

use atelier_engine::event::Event;
use atelier_fuzz::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(event) = serde_json::from_str::<Event>(text) {
        let encoded = serde_json::to_string(&event).expect("a decoded event encodes");
        let again: Event = serde_json::from_str(&encoded).expect("an encoded event decodes");
        assert_eq!(
            again, event,
            "the event read back differs from the one written"
        );
    }
});
