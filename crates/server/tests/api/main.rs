//! Integration tests of `atelier serve`: a real server on port 0 with a temp
//! database, a real HTTP client and a real WebSocket client.

mod access;
mod cluster;
mod conformance;
mod dashboard;
mod datasets;
mod errors;
mod export;
mod hardening;
mod helpers;
mod idempotency;
mod interrupted;
mod limits;
mod multipart;
mod openapi;
mod outage;
mod parameters;
mod recovery;
mod season;
mod store_page;
mod stream;
mod tune;
