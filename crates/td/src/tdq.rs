//! TDQ, the board query language (§8.1). Boards only need to know that a query parses,
//! so this module tokenizes and parses into a small AST and reports the first error; it
//! does not evaluate queries.
//!
//! Grammar (lowest precedence first):
//! ```text
//! query   := or? EOF
//! or      := and (("OR" | "||") and)*
//! and     := unary (("AND" | "&&")? unary)*          juxtaposition = AND
//! unary   := ("NOT" | "!" | "-") unary | primary
//! primary := "(" or ")" | sort | func "(" [value ("," value)*] ")"
//!          | field OP value | text
//! field   := ident ("." ident)*
//! OP      := "=" | "!=" | "~" | "!~" | "<" | ">" | "<=" | ">="
//! sort    := "sort:" ["-"] field
//! value   := word (identifier, number, date, @me, EMPTY, NULL, …) | quoted string
//! ```

use thiserror::Error;

/// Nesting deeper than this (parentheses and prefix NOTs) is refused.
pub const MAX_DEPTH: usize = 32;

/// Why a query does not parse; `pos` is a byte offset into the query.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{msg} at position {pos}")]
pub struct ParseError {
    pub pos: usize,
    pub msg: String,
}

fn err<T>(pos: usize, msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        pos,
        msg: msg.into(),
    })
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: String,
        op: Op,
        value: String,
    },
    Text(String),
    Func {
        name: String,
        args: Vec<String>,
    },
    Sort {
        field: String,
        descending: bool,
    },
}

/// Parses `query`; an empty (or blank) query is valid and yields `None`.
pub fn parse(query: &str) -> Result<Option<Expr>, ParseError> {
    let tokens = tokenize(query)?;
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
        end: query.len(),
    };
    if p.peek().is_none() {
        return Ok(None);
    }
    let e = p.or()?;
    match p.peek() {
        None => Ok(Some(e)),
        Some(t) => err(t.pos, format!("unexpected {}", t.kind.describe())),
    }
}

/// Ok when `query` parses (the check `board create/edit` performs).
pub fn validate(query: &str) -> Result<(), ParseError> {
    parse(query).map(|_| ())
}

// ---- tokens ----

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    LParen,
    RParen,
    Comma,
    Op(Op),
    And,
    Or,
    /// `!` on its own (not part of `!=` / `!~`).
    Bang,
    /// A bare word: identifiers, numbers, dates, `@me`, `sort:x`, `-word`.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::LParen => "'('".into(),
            Kind::RParen => "')'".into(),
            Kind::Comma => "','".into(),
            Kind::Op(_) => "operator".into(),
            Kind::And => "AND".into(),
            Kind::Or => "OR".into(),
            Kind::Bang => "'!'".into(),
            Kind::Word(w) => format!("'{w}'"),
            Kind::Str(_) => "string".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: Kind,
    pos: usize,
}

/// Characters that end a bare word.
fn is_delim(c: char) -> bool {
    c.is_whitespace() || "()\"',=!~<>&|".contains(c)
}

fn tokenize(q: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut it = q.char_indices().peekable();
    while let Some(&(pos, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let next_is = |it: &mut std::iter::Peekable<std::str::CharIndices>, want: char| {
            let mut look = it.clone();
            look.next();
            look.peek().map(|&(_, n)| n) == Some(want)
        };
        let (kind, width) = match c {
            '(' => (Kind::LParen, 1),
            ')' => (Kind::RParen, 1),
            ',' => (Kind::Comma, 1),
            '=' => (Kind::Op(Op::Eq), 1),
            '~' => (Kind::Op(Op::Contains), 1),
            '!' if next_is(&mut it, '=') => (Kind::Op(Op::Ne), 2),
            '!' if next_is(&mut it, '~') => (Kind::Op(Op::NotContains), 2),
            '!' => (Kind::Bang, 1),
            '<' if next_is(&mut it, '=') => (Kind::Op(Op::Le), 2),
            '<' => (Kind::Op(Op::Lt), 1),
            '>' if next_is(&mut it, '=') => (Kind::Op(Op::Ge), 2),
            '>' => (Kind::Op(Op::Gt), 1),
            '&' if next_is(&mut it, '&') => (Kind::And, 2),
            '|' if next_is(&mut it, '|') => (Kind::Or, 2),
            '&' | '|' => return err(pos, format!("unexpected '{c}' (use {c}{c})")),
            '"' | '\'' => {
                it.next();
                out.push(Token {
                    kind: Kind::Str(quoted(&mut it, c, pos)?),
                    pos,
                });
                continue;
            }
            _ => {
                let mut w = String::new();
                while let Some(&(_, ch)) = it.peek() {
                    if is_delim(ch) {
                        break;
                    }
                    w.push(ch);
                    it.next();
                }
                out.push(Token {
                    kind: keyword(w),
                    pos,
                });
                continue;
            }
        };
        for _ in 0..width {
            it.next();
        }
        out.push(Token { kind, pos });
    }
    Ok(out)
}

fn keyword(w: String) -> Kind {
    match w.as_str() {
        "AND" | "and" => Kind::And,
        "OR" | "or" => Kind::Or,
        _ => Kind::Word(w),
    }
}

/// Reads a quoted string after its opening quote; `\` escapes the next character.
fn quoted(
    it: &mut std::iter::Peekable<std::str::CharIndices>,
    quote: char,
    start: usize,
) -> Result<String, ParseError> {
    let mut s = String::new();
    while let Some((_, c)) = it.next() {
        match c {
            '\\' => match it.next() {
                Some((_, e)) => s.push(e),
                None => break,
            },
            c if c == quote => return Ok(s),
            c => s.push(c),
        }
    }
    err(start, "unterminated string")
}

// ---- parser ----

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    end: usize,
}

fn is_not_word(w: &str) -> bool {
    w == "NOT" || w == "not"
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_kind(&self, offset: usize) -> Option<&Kind> {
        self.tokens.get(self.at + offset).map(|t| &t.kind)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(
                self.pos(),
                format!("query nested too deeply (max {MAX_DEPTH})"),
            );
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.peek_kind(0) == Some(&Kind::Or) {
            self.next();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// True when the next token can start an operand (implicit AND continues).
    fn starts_operand(&self) -> bool {
        matches!(
            self.peek_kind(0),
            Some(Kind::LParen | Kind::Bang | Kind::Word(_) | Kind::Str(_))
        )
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            if self.peek_kind(0) == Some(&Kind::And) {
                self.next();
            } else if !self.starts_operand() {
                return Ok(left);
            }
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let negated = match self.peek_kind(0) {
            Some(Kind::Bang) => true,
            Some(Kind::Word(w)) => is_not_word(w) || w == "-",
            _ => false,
        };
        if negated {
            self.next();
            return self.negate();
        }
        // `-field = x` / `-word`: a leading '-' on a word negates the rest of it.
        if let Some(Token {
            kind: Kind::Word(w),
            pos,
        }) = self.peek().cloned()
        {
            if let Some(rest) = w.strip_prefix('-') {
                if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                    self.tokens[self.at] = Token {
                        kind: keyword(rest.to_string()),
                        pos: pos + 1,
                    };
                    return self.negate();
                }
            }
        }
        self.primary()
    }

    fn negate(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        if self.peek().is_none() {
            return err(self.end, "expected an expression after NOT");
        }
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(tok) = self.next() else {
            return err(self.end, "expected an expression");
        };
        match tok.kind {
            Kind::LParen => self.group(tok.pos),
            Kind::Str(s) => Ok(Expr::Text(s)),
            Kind::Word(w) => self.word(w, tok.pos),
            other => err(tok.pos, format!("unexpected {}", other.describe())),
        }
    }

    fn group(&mut self, open: usize) -> Result<Expr, ParseError> {
        self.enter()?;
        if self.peek_kind(0) == Some(&Kind::RParen) {
            return err(self.pos(), "empty parentheses");
        }
        let e = self.or()?;
        match self.next() {
            Some(Token {
                kind: Kind::RParen, ..
            }) => {
                self.depth -= 1;
                Ok(e)
            }
            _ => err(open, "unclosed '('"),
        }
    }

    fn word(&mut self, w: String, pos: usize) -> Result<Expr, ParseError> {
        if let Some(spec) = w.strip_prefix("sort:") {
            let (descending, field) = match spec.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, spec),
            };
            check_field(field, pos + w.len() - field.len())?;
            return Ok(Expr::Sort {
                field: field.to_string(),
                descending,
            });
        }
        match self.peek_kind(0) {
            Some(Kind::LParen) => {
                check_ident(&w, pos, "function name")?;
                self.next();
                let args = self.args(pos)?;
                Ok(Expr::Func { name: w, args })
            }
            Some(Kind::Op(op)) => {
                let op = *op;
                check_field(&w, pos)?;
                let op_pos = self.pos();
                self.next();
                let value = self.value(op_pos)?;
                Ok(Expr::Compare {
                    field: w,
                    op,
                    value,
                })
            }
            _ => Ok(Expr::Text(w)),
        }
    }

    fn value(&mut self, op_pos: usize) -> Result<String, ParseError> {
        match self.next() {
            Some(Token {
                kind: Kind::Word(w) | Kind::Str(w),
                ..
            }) => Ok(w),
            Some(t) => err(
                t.pos,
                format!("expected a value, found {}", t.kind.describe()),
            ),
            None => err(op_pos, "expected a value after the operator"),
        }
    }

    /// Function arguments after '(' up to and including ')'.
    fn args(&mut self, name_pos: usize) -> Result<Vec<String>, ParseError> {
        let mut args = Vec::new();
        if self.peek_kind(0) == Some(&Kind::RParen) {
            self.next();
            return Ok(args);
        }
        loop {
            let at = self.pos();
            args.push(self.value(at)?);
            match self.next() {
                Some(Token {
                    kind: Kind::Comma, ..
                }) => continue,
                Some(Token {
                    kind: Kind::RParen, ..
                }) => return Ok(args),
                Some(t) => return err(t.pos, "expected ',' or ')' in function call"),
                None => return err(name_pos, "unclosed function call"),
            }
        }
    }
}

fn check_ident(s: &str, pos: usize, what: &str) -> Result<(), ParseError> {
    let mut chars = s.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        err(pos, format!("invalid {what} '{s}'"))
    }
}

/// A field: identifier with optional `.sub` parts.
fn check_field(s: &str, pos: usize) -> Result<(), ParseError> {
    if s.is_empty() {
        return err(pos, "missing field name");
    }
    for part in s.split('.') {
        check_ident(part, pos, "field name").map_err(|_| ParseError {
            pos,
            msg: format!("invalid field name '{s}'"),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: &str, op: Op, value: &str) -> Expr {
        Expr::Compare {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn e2e_board_queries_parse() {
        let cases = [
            ("status = open", cmp("status", Op::Eq, "open")),
            ("priority = P0", cmp("priority", Op::Eq, "P0")),
            ("type = bug", cmp("type", Op::Eq, "bug")),
            ("status != closed", cmp("status", Op::Ne, "closed")),
            ("labels ~ urgent", cmp("labels", Op::Contains, "urgent")),
            ("points > 3", cmp("points", Op::Gt, "3")),
        ];
        for (q, want) in cases {
            assert_eq!(parse(q), Ok(Some(want)), "{q}");
        }
    }

    #[test]
    fn empty_query_is_valid() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
    }

    #[test]
    fn boolean_structure_and_precedence() {
        let e = parse("a = 1 OR b = 2 c = 3").unwrap().unwrap();
        let want = Expr::Or(
            Box::new(cmp("a", Op::Eq, "1")),
            Box::new(Expr::And(
                Box::new(cmp("b", Op::Eq, "2")),
                Box::new(cmp("c", Op::Eq, "3")),
            )),
        );
        assert_eq!(e, want);
        let e = parse("NOT (status = closed || type=bug) && !x")
            .unwrap()
            .unwrap();
        assert!(matches!(e, Expr::And(ref l, ref r)
            if matches!(**l, Expr::Not(_)) && matches!(**r, Expr::Not(_))));
    }

    #[test]
    fn other_forms_parse() {
        for q in [
            "-status = closed",
            "- (a)",
            "parent.status <= 2",
            "created >= 2024-01-02 AND created < -7d",
            "points >= -1",
            "implementer = @me",
            "description = EMPTY OR sprint != NULL",
            "title ~ \"quoted \\\" text\" 'single'",
            "has(labels) descendant_of(td-abc123, 2)",
            "now()",
            "login bug sort:-priority sort:created",
            "labels !~ wontfix",
        ] {
            assert!(parse(q).is_ok(), "{q}: {:?}", parse(q));
        }
    }

    #[test]
    fn invalid_queries_are_refused() {
        for q in [
            "status =",
            "= open",
            "status = open AND",
            "OR a",
            "(status = open",
            "status = open)",
            "()",
            "a & b",
            "a | b",
            "title ~ \"unterminated",
            "1abc = x",
            "sta-tus = x",
            "sort:",
            "sort:-",
            "f(a b)",
            "f(a,",
            "NOT",
            "!",
            "status = (open)",
            "a..b = 1",
        ] {
            assert!(parse(q).is_err(), "{q} should not parse");
        }
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = parse(&deep).unwrap_err();
        assert!(e.msg.contains("nested too deeply"), "{e}");
        assert!(parse(&"NOT ".repeat(MAX_DEPTH + 1)).is_err());
        assert!(parse(&format!("{}a", "! ".repeat(MAX_DEPTH + 5))).is_err());
    }

    #[test]
    fn errors_carry_a_position() {
        let e = parse("status = open )").unwrap_err();
        assert_eq!(e.pos, 14);
        assert_eq!(e.to_string(), "unexpected ')' at position 14");
    }
}
