//! Finding case files: every `**/*.toml` under the cases root ([`discover`]), or one by name
//! without scanning ([`load_named`]); each read and parsed into a [`DiscoveredCase`].

use std::path::{Path, PathBuf};

use super::{parse, CaseError, DiscoveredCase};

/// Every `**/*.toml` under `root` (the `cases/` directory), sorted by name. A file that does
/// not parse is kept with its error. A missing root yields no cases.
pub fn discover(root: &Path) -> Vec<DiscoveredCase> {
    let mut files = Vec::new();
    let mut broken = Vec::new();
    collect_tomls(root, &mut files, &mut broken);
    let mut out: Vec<DiscoveredCase> = files.iter().map(|p| load(root, p)).collect();
    out.extend(broken);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The case named `name` (`chaos/adaptive-2`) without scanning: `root/<name>.toml`, or
/// `None` when no such file exists.
pub fn load_named(root: &Path, name: &str) -> Option<DiscoveredCase> {
    let path = root.join(format!("{name}.toml"));
    path.is_file().then(|| load(root, &path))
}

/// Reads and parses one file below `root`.
pub fn load(root: &Path, path: &Path) -> DiscoveredCase {
    let name = case_name(root, path);
    let case = match std::fs::read_to_string(path) {
        Ok(text) => parse(&name, path, &text),
        Err(e) => Err(CaseError::whole_file(path, format!("cannot read: {e}"))),
    };
    DiscoveredCase {
        name,
        path: path.to_path_buf(),
        case,
    }
}

/// `chaos/adaptive-2` for `root/chaos/adaptive-2.toml`.
pub fn case_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path).with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Recursive walk; unreadable directories become broken entries.
fn collect_tomls(dir: &Path, files: &mut Vec<PathBuf>, broken: &mut Vec<DiscoveredCase>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            broken.push(DiscoveredCase {
                name: dir.display().to_string(),
                path: dir.to_path_buf(),
                case: Err(CaseError::whole_file(
                    dir,
                    format!("cannot list directory: {e}"),
                )),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_tomls(&path, files, broken);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}
