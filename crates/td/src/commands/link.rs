//! `td link` / `td unlink`: placeholder until the file-link commands land.
use anyhow::{bail, Result};

#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct UnlinkArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub fn run_link(_g: &super::Global, _a: LinkArgs) -> Result<()> {
    bail!("td link is not implemented yet")
}

pub fn run_unlink(_g: &super::Global, _a: UnlinkArgs) -> Result<()> {
    bail!("td unlink is not implemented yet")
}
