//! The lines a push or pull prints, in order, each on its stream.

/// One output line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Stdout(String),
    Stderr(String),
}

impl Line {
    /// Prints the line on its stream.
    pub fn print(&self) {
        match self {
            Line::Stdout(_) => println!("{}", self.text()),
            Line::Stderr(_) => eprintln!("{}", self.text()),
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Line::Stdout(s) | Line::Stderr(s) => s,
        }
    }
}

/// Prints every line in order.
pub fn print_all(lines: &[Line]) {
    for line in lines {
        line.print();
    }
}
