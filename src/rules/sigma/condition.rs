//! Sigma conditions: `and`, `or`, `not`, parentheses, and `1 of` / `any of` / `all of` over a
//! selection name, a name pattern (`selection_*`) or `them` (every selection whose name does
//! not start with `_`). Precedence, loosest first: `or`, `and`, `not`.

/// A parsed condition, with selections by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Selection(String),
}

/// Why a condition did not parse: the message and the byte offset in it.
#[derive(Debug, Clone, PartialEq)]
pub struct CondError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Open,
    Close,
    Pipe,
}

fn tokens(s: &str) -> Result<Vec<(usize, Tok)>, CondError> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' => {
                it.next();
                out.push((i, Tok::Open));
            }
            ')' => {
                it.next();
                out.push((i, Tok::Close));
            }
            '|' => {
                it.next();
                out.push((i, Tok::Pipe));
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '*' || c == '.' => {
                let mut w = String::new();
                while let Some(&(_, c)) = it.peek() {
                    if c.is_alphanumeric() || c == '_' || c == '-' || c == '*' || c == '.' {
                        w.push(c);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push((i, Tok::Word(w)));
            }
            other => {
                return Err(CondError {
                    offset: i,
                    message: format!("unexpected {other:?} in the condition"),
                });
            }
        }
    }
    Ok(out)
}

/// The most nesting a condition may have (parentheses and `not`).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    i: usize,
    names: &'a [String],
    len: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, CondError> {
        Err(CondError {
            offset: self.toks.get(self.i).map_or(self.len, |t| t.0),
            message: message.into(),
        })
    }

    fn word(&self) -> Option<&str> {
        match self.toks.get(self.i) {
            Some((_, Tok::Word(w))) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Cond, CondError> {
        let mut items = vec![self.and()?];
        while self.word() == Some("or") {
            self.i += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, CondError> {
        let mut items = vec![self.not()?];
        while self.word() == Some("and") {
            self.i += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, CondError> {
        if self.word() == Some("not") {
            self.i += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return self.err("condition nested too deeply");
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, CondError> {
        match self.toks.get(self.i).cloned() {
            Some((_, Tok::Open)) => {
                self.i += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return self.err("condition nested too deeply");
                }
                let inner = self.or()?;
                self.depth -= 1;
                match self.toks.get(self.i) {
                    Some((_, Tok::Close)) => {
                        self.i += 1;
                        Ok(inner)
                    }
                    _ => self.err("expected `)`"),
                }
            }
            Some((_, Tok::Word(w))) => {
                if matches!(w.as_str(), "and" | "or" | "of" | "them") {
                    return self.err(format!("unexpected `{w}`"));
                }
                let quant = matches!(w.as_str(), "1" | "any" | "all")
                    && matches!(self.toks.get(self.i + 1), Some((_, Tok::Word(o))) if o == "of");
                if quant {
                    self.i += 2;
                    let Some(target) = self.word().map(str::to_string) else {
                        return self.err(format!("`{w} of` needs a name, a pattern or `them`"));
                    };
                    let names = self.matching(&target)?;
                    self.i += 1;
                    let items: Vec<Cond> = names.into_iter().map(Cond::Selection).collect();
                    return Ok(match (w.as_str(), items.len()) {
                        (_, 1) => items.into_iter().next().unwrap_or(Cond::Or(vec![])),
                        ("all", _) => Cond::And(items),
                        _ => Cond::Or(items),
                    });
                }
                if w.chars().all(|c| c.is_ascii_digit()) {
                    return self.err(format!(
                        "`{w} of` is not supported (only `1 of`, `any of` and `all of`)"
                    ));
                }
                if !self.names.contains(&w) {
                    return self.err(format!("no selection named `{w}`"));
                }
                self.i += 1;
                Ok(Cond::Selection(w))
            }
            Some((_, Tok::Close | Tok::Pipe)) => self.err("unexpected `)`"),
            None => self.err("the condition ends too soon"),
        }
    }

    /// The selections a `x of` target names, in the detection's order.
    fn matching(&self, target: &str) -> Result<Vec<String>, CondError> {
        let names: Vec<String> = if target == "them" {
            (self.names.iter())
                .filter(|n| !n.starts_with('_'))
                .cloned()
                .collect()
        } else if target.contains('*') {
            let g = crate::engine::Glob::new(target, false, false);
            self.names
                .iter()
                .filter(|n| g.matches(n))
                .cloned()
                .collect()
        } else {
            self.names
                .iter()
                .filter(|n| *n == target)
                .cloned()
                .collect()
        };
        if names.is_empty() {
            return self.err(format!("`{target}` names no selection"));
        }
        Ok(names)
    }
}

/// Parse a condition over the selections `names` (in the detection's order).
pub fn parse(s: &str, names: &[String]) -> Result<Cond, CondError> {
    if let Some(at) = s.find('|') {
        return Err(CondError {
            offset: at,
            message: "`|` aggregations are Sigma v1; v2 expresses them as correlation rules (not supported)".into(),
        });
    }
    let mut p = Parser {
        toks: tokens(s)?,
        i: 0,
        names,
        len: s.len(),
        depth: 0,
    };
    let c = p.or()?;
    if p.i < p.toks.len() {
        return p.err("unexpected words after the condition");
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "selection_img",
            "selection_cli",
            "filter_main_a",
            "filter_optional_b",
            "_hidden",
        ]
        .map(String::from)
        .to_vec()
    }

    fn sel(s: &str) -> Cond {
        Cond::Selection(s.into())
    }

    #[test]
    fn precedence_is_or_and_not() {
        let c = parse(
            "selection_img or not selection_cli and filter_main_a",
            &names(),
        )
        .unwrap();
        assert_eq!(
            c,
            Cond::Or(vec![
                sel("selection_img"),
                Cond::And(vec![
                    Cond::Not(Box::new(sel("selection_cli"))),
                    sel("filter_main_a")
                ])
            ])
        );
        let c = parse(
            "(selection_img or selection_cli) and not filter_main_a",
            &names(),
        )
        .unwrap();
        assert_eq!(
            c,
            Cond::And(vec![
                Cond::Or(vec![sel("selection_img"), sel("selection_cli")]),
                Cond::Not(Box::new(sel("filter_main_a")))
            ])
        );
    }

    #[test]
    fn quantifiers_over_patterns_and_them() {
        let all = parse("all of selection_*", &names()).unwrap();
        assert_eq!(
            all,
            Cond::And(vec![sel("selection_img"), sel("selection_cli")])
        );
        let any = parse("1 of filter_*", &names()).unwrap();
        assert_eq!(
            any,
            Cond::Or(vec![sel("filter_main_a"), sel("filter_optional_b")])
        );
        assert_eq!(
            parse("any of filter_main_*", &names()).unwrap(),
            sel("filter_main_a")
        );
        let them = parse("1 of them", &names()).unwrap();
        let Cond::Or(items) = them else { panic!() };
        assert_eq!(items.len(), 4, "`them` leaves out names starting with _");
        assert!(parse("all of them", &names()).is_ok());
    }

    #[test]
    fn errors_name_the_problem() {
        let n = names();
        assert!(
            parse("selection_x", &n)
                .unwrap_err()
                .message
                .contains("no selection")
        );
        assert!(
            parse("1 of nothing_*", &n)
                .unwrap_err()
                .message
                .contains("names no")
        );
        assert!(
            parse("selection_img |", &n)
                .unwrap_err()
                .message
                .contains("correlation")
        );
        assert!(
            parse("selection_img and", &n)
                .unwrap_err()
                .message
                .contains("too soon")
        );
        assert!(
            parse("(selection_img", &n)
                .unwrap_err()
                .message
                .contains("`)`")
        );
        assert!(
            parse("2 of selection_*", &n)
                .unwrap_err()
                .message
                .contains("not supported")
        );
        let deep = "not ".repeat(100) + "selection_img";
        assert!(parse(&deep, &n).unwrap_err().message.contains("deeply"));
        assert!(
            parse("Selection_img", &n).is_err(),
            "names are case-sensitive"
        );
    }
}
