//! Loading the inputs every subcommand shares: store attributes, sales history and
//! season parameters, from files when given and from the shipped sample otherwise.

use anyhow::{Context, Result};
use atelier_core::data::{SalesHistory, StoreNetwork, read_sales, read_stores};
use atelier_core::params::SeasonConfig;
use atelier_core::sample;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Opens a file for streaming, decompressing `.gz` files on the fly.
pub fn open(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2_reader(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

fn flate2_reader<R: Read>(reader: R) -> impl Read {
    atelier_core::sample::GzipReader::new(reader)
}

/// The store network from `path`, or the shipped one.
pub fn stores(path: Option<&Path>) -> Result<StoreNetwork> {
    Ok(match path {
        Some(p) => read_stores(open(p)?, &p.display().to_string())?,
        None => sample::stores()?,
    })
}

/// The sales history from `path`, or the shipped one.
pub fn history(path: Option<&Path>, stores: &StoreNetwork) -> Result<SalesHistory> {
    Ok(match path {
        Some(p) => read_sales(open(p)?, &p.display().to_string(), stores)?,
        None => sample::history(stores)?,
    })
}

/// Season parameters from a JSON file, or the shipped Zara set.
pub fn season_config(path: Option<&Path>) -> Result<SeasonConfig> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            SeasonConfig::from_json(&text).with_context(|| format!("{}", p.display()))
        }
        None => sample::parameter_set(sample::DEFAULT_PARAMETER_SET)
            .context("the default parameter set is missing")?
            .context("the shipped parameter set is invalid"),
    }
}

/// The world of a demand folder: its `world.json` (checked, every bad field named)
/// when there is one, the standard world otherwise.
pub fn world(dir: &Path) -> Result<atelier_core::world::World> {
    use atelier_core::world::{WORLD_FILE, World};
    let file = dir.join(WORLD_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(World::from_json(&text, &file.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(World::standard()),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", file.display())),
    }
}
