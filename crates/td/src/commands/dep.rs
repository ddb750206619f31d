//! `td dep`: placeholder until the dependency commands land.
use anyhow::{bail, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub fn run(_g: &super::Global, _a: Args) -> Result<()> {
    bail!("td dep is not implemented yet")
}
